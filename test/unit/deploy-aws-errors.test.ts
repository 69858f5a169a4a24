import {
  CloudFormationServiceException,
  InsufficientCapabilitiesException,
} from '@aws-sdk/client-cloudformation';
import { STSServiceException } from '@aws-sdk/client-sts';
import {
  functionError,
  isNoUpdatesError,
  isStackMissingError,
  isTerminalError,
  mapAssumeRoleError,
  mapCloudFormationError,
} from '../../src/aws/aws-errors';
import { StackBusyError, ThrottledError } from '../../src/core/errors';

const cfnError = (name: string, message: string, status = 400) =>
  new CloudFormationServiceException({
    name,
    message,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
const stsError = (name: string, message: string, status = 403) =>
  new STSServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: status } });

const target = {
  accountId: '123456789012',
  region: 'af-south-1',
  stackName: 'stackfleet-baseline',
  roleArn: 'arn:aws:iam::123456789012:role/StackFleetExecution',
  operation: 'UpdateStack',
};

describe('CloudFormation errors as stackfleet errors', () => {
  it.each([
    [cfnError('Throttling', 'Rate exceeded'), 'Throttled', 'throttled'],
    [cfnError('InternalFailure', 'oops', 500), 'TransientError', 'transient'],
    [
      cfnError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403),
      'RegionNotEnabled',
      'Region af-south-1 is not enabled for account 123456789012',
    ],
    [
      cfnError('OptInRequired', 'You are not subscribed to this service.', 403),
      'RegionNotEnabled',
      'af-south-1',
    ],
    [
      cfnError('ValidationError', 'Template format error: YAML not well-formed.'),
      'TemplateInvalid',
      'YAML not well-formed',
    ],
    [
      cfnError('ValidationError', 'Parameters: [AlertEmail] must have values'),
      'TemplateInvalid',
      'AlertEmail',
    ],
    [
      new InsufficientCapabilitiesException({
        message: 'Requires capabilities : [CAPABILITY_IAM]',
        $metadata: {},
      }),
      'TemplateInvalid',
      'capabilities',
    ],
    [
      cfnError('ValidationError', 'Stack:arn:x is in UPDATE_IN_PROGRESS state and can not be updated.'),
      'StackBusy',
      'another operation',
    ],
    [
      cfnError('AlreadyExistsException', 'Stack [stackfleet-baseline] already exists'),
      'StackBusy',
      'already exists',
    ],
    [
      cfnError('AccessDenied', 'not authorized to perform: cloudformation:UpdateStack'),
      'RoleNotAssumable',
      'may not call UpdateStack',
    ],
    [cfnError('LimitExceededException', 'Limit on the number of stacks'), 'StackFailed', 'account limit'],
    // The concurrent-resources quota frees up as other operations finish: retried as StackBusy.
    [
      cfnError('LimitExceededException', 'Limit exceeded for resources in concurrent stack operations'),
      'StackBusy',
      'concurrent stack operations',
    ],
  ])('%s becomes %s', (error, name, message) => {
    const mapped = mapCloudFormationError(error, target);
    expect(mapped.name).toBe(name);
    expect(mapped.message).toContain(message);
    expect(mapped.cause).toBe(error);
  });

  it('leaves an error it does not know as it is', () => {
    const surprise = cfnError('SurpriseFault', 'odd');
    expect(mapCloudFormationError(surprise, target)).toBe(surprise);
  });

  it('recognises both wordings of "no updates" and a missing stack', () => {
    expect(isNoUpdatesError(cfnError('ValidationError', 'No updates are to be performed.'))).toBe(true);
    expect(
      isNoUpdatesError(
        cfnError(
          'ValidationError',
          'CloudFormation failed to preprocess the stack: No updates are to be performed.',
        ),
      ),
    ).toBe(true);
    expect(isNoUpdatesError(cfnError('ValidationError', 'Template format error'))).toBe(false);
    expect(isStackMissingError(cfnError('ValidationError', 'Stack with id x does not exist'))).toBe(true);
    expect(isStackMissingError(cfnError('AccessDenied', 'Stack with id x does not exist'))).toBe(false);
  });
});

describe('AssumeRole errors', () => {
  it.each([
    [stsError('AccessDenied', 'not authorized to perform: sts:AssumeRole'), 'RoleNotAssumable'],
    [stsError('RegionDisabledException', 'STS is not activated in this region'), 'RegionNotEnabled'],
    [stsError('Throttling', 'Rate exceeded', 400), 'Throttled'],
  ])('%s becomes %s, naming the role', (error, name) => {
    const mapped = mapAssumeRoleError(error, target);
    expect(mapped.name).toBe(name);
    expect(mapped.message).toContain(target.roleArn);
  });
});

describe('which errors end a target', () => {
  it('ends on refusals and failures, retries throttling and busy stacks, and never ends on a surprise', () => {
    expect(isTerminalError(mapAssumeRoleError(stsError('AccessDenied', 'no'), target))).toBe(true);
    expect(isTerminalError(new ThrottledError('slow down'))).toBe(false);
    expect(isTerminalError(new StackBusyError('busy'))).toBe(false);
    expect(isTerminalError(new TypeError('bug'))).toBe(false);
  });

  it('a thrown function error keeps its name for Retry and carries the failure cause as JSON', () => {
    const thrown = functionError(new ThrottledError('Rate exceeded "really"'), {
      accountId: '123456789012',
      region: 'eu-west-1',
      stackName: 'stackfleet-baseline',
    });
    expect(thrown.name).toBe('Throttled');
    expect(JSON.parse(thrown.message)).toEqual({
      reason: 'Rate exceeded "really"',
      accountId: '123456789012',
      region: 'eu-west-1',
      stackName: 'stackfleet-baseline',
    });
  });
});

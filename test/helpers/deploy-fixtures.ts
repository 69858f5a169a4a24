/**
 * The fixtures of the unit tests of Deploy stack and Check stack (the handlers alone and the
 * deploy-target workflow around them): one target, the faked STS/CloudFormation/S3 clients the
 * handlers make, and the stacks, events and errors CloudFormation answers with. Kept in one place
 * so every test describes the same target and a change to its shape is made once.
 */
import {
  CloudFormationClient,
  CloudFormationServiceException,
  type Stack,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { clearCredentialCache } from '../../src/aws/assume-role';
import { clearTemplateCache } from '../../src/aws/template-source';
import type { FailureCause, TargetProgress } from '../../src/core/target-progress';

/** The fields of a deploy-target input that name the target; each test adds what it exercises. */
export const TARGET = {
  rolloutId: 'ro-20261127-1a2b3c',
  mode: 'deploy',
  accountId: '123456789012',
  region: 'eu-west-1',
  stackName: 'stackfleet-baseline',
  templateUrl: 'https://my-bucket.s3.us-east-1.amazonaws.com/templates/baseline.yaml?versionId=abc',
  templateVersion: 'abc',
  executionRoleName: 'StackFleetExecution',
};

/** The rollout execution the engine names as the parent of a deploy-target execution. */
export const STARTED_BY_ROLLOUT = {
  AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID:
    'arn:aws:states:us-east-1:111111111111:execution:rollout:ro-20261127-1a2b3c',
};

/** A complete, valid deploy-target input; a fresh copy each call, so a test may change it freely. */
export function deployTargetInput() {
  return {
    ...TARGET,
    parameters: { Key: 'Value' },
    tags: { Owner: 'security' },
    capabilities: ['CAPABILITY_NAMED_IAM'],
    externalId: 'stackfleet-ext-id',
    timeoutSeconds: 3600,
  };
}

/** The target's stack as CloudFormation names it once created. */
export const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/stackfleet-baseline/0f0e';

/** A template of one resource, for tests that need some template but not a particular one. */
export const TOPIC_TEMPLATE = 'Resources:\n  Topic: { Type: AWS::SNS::Topic }\n';

/**
 * Fakes the three clients the handlers make (STS for the execution role, CloudFormation, S3 for
 * the template). Call once per test file, at the top: a second stub of the same client fails.
 */
export function mockDeployClients() {
  return { sts: mockClient(STSClient), cfn: mockClient(CloudFormationClient), s3: mockClient(S3Client) };
}

export type DeployClients = ReturnType<typeof mockDeployClients>;

/** The keys AssumeRole hands out; each test file uses its own values, so a leak names the file. */
export interface RoleKeys {
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
  readonly SessionToken: string;
}

/** Makes AssumeRole answer with `keys`, valid for `validForMs` from now. */
export function assumeRoleGives(sts: DeployClients['sts'], keys: RoleKeys, validForMs = 3600_000): void {
  sts
    .on(AssumeRoleCommand)
    .resolves({ Credentials: { ...keys, Expiration: new Date(Date.now() + validForMs) } });
}

/** The answer of S3 GetObject for a template: a body the handlers read as text. */
export function templateObject(text: string) {
  return { Body: { transformToString: async () => text } as never };
}

/**
 * Starts a test from nothing: no recorded calls or answers, no cached role session or template
 * estimate; the execution role can be assumed and S3 answers with `template` (or refuses with it).
 */
export function resetDeployClients(
  { sts, cfn, s3 }: DeployClients,
  options: { keys: RoleKeys; template: string | Error },
): void {
  sts.reset();
  cfn.reset();
  s3.reset();
  clearCredentialCache();
  clearTemplateCache();
  if (typeof options.template === 'string')
    s3.on(GetObjectCommand).resolves(templateObject(options.template));
  else s3.on(GetObjectCommand).rejects(options.template);
  assumeRoleGives(sts, options.keys);
}

/** A CloudFormation error as the SDK throws it (a 5xx status makes it a server fault). */
export function awsError(name: string, message: string, status = 400): CloudFormationServiceException {
  return new CloudFormationServiceException({
    name,
    message,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

/** DescribeStacks on the target's stack before it exists. */
export function stackMissing(): CloudFormationServiceException {
  return awsError('ValidationError', `Stack with id ${TARGET.stackName} does not exist`);
}

/** The target's stack as DescribeStacks returns it, termination protection on. */
export function describedStack(status: string, extra: Partial<Stack> = {}): Stack {
  return {
    StackName: TARGET.stackName,
    StackId: STACK_ID,
    StackStatus: status as Stack['StackStatus'],
    CreationTime: new Date(),
    EnableTerminationProtection: true,
    ...extra,
  };
}

/** A time `seconds` before now. */
const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);

/** An event of the stack itself, `secondsAgo` before now, of the operation started with `token`. */
export function stackEvent(status: string, secondsAgo = 0, reason?: string, token?: string): StackEvent {
  return {
    StackId: STACK_ID,
    EventId: `${status}-${secondsAgo}`,
    StackName: TARGET.stackName,
    LogicalResourceId: TARGET.stackName,
    ResourceType: 'AWS::CloudFormation::Stack',
    ResourceStatus: status as StackEvent['ResourceStatus'],
    Timestamp: ago(secondsAgo),
    ...(token ? { ClientRequestToken: token } : {}),
    ...(reason ? { ResourceStatusReason: reason } : {}),
  };
}

/** An event of resource `id` of type `type` in the target's stack, like {@link stackEvent}. */
export function resourceEvent(
  id: string,
  type: string,
  status: string,
  secondsAgo: number,
  reason?: string,
  token?: string,
): StackEvent {
  return {
    ...stackEvent(status, secondsAgo, reason, token),
    EventId: `${id}-${status}-${secondsAgo}`,
    LogicalResourceId: id,
    ResourceType: type,
  };
}

/** The failure cause a handler put in its progress; fails the test unless the target failed. */
export function causeOf(progress: TargetProgress): FailureCause {
  expect(progress.status).toBe('FAILED');
  return JSON.parse(progress.cause ?? '{}') as FailureCause;
}

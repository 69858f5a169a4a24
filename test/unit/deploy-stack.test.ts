import {
  type CloudFormationClient,
  ContinueUpdateRollbackCommand,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  InsufficientCapabilitiesException,
  type Stack,
  UpdateStackCommand,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSServiceException } from '@aws-sdk/client-sts';
import { handler } from '../../functions/deploy-stack';
import { clearCredentialCache } from '../../src/aws/assume-role';
import { clientRequestToken } from '../../src/core/names';
import { FIRST_LOOK_SHARE, FIRST_WAIT_SECONDS } from '../../src/core/wait-policy';
import {
  assumeRoleGives,
  awsError,
  causeOf,
  deployTargetInput,
  describedStack,
  mockDeployClients,
  resetDeployClients,
  STACK_ID,
  STARTED_BY_ROLLOUT,
  stackMissing,
  templateObject,
} from '../helpers/deploy-fixtures';

const aws = mockDeployClients();
const { sts, cfn, s3 } = aws;

/** Two chained resources: the wait policy's prior expects Key (90 s) then Alias (5 s), plus overhead. */
const TEMPLATE =
  'Resources:\n  Key: { Type: AWS::KMS::Key }\n  Alias: { Type: AWS::KMS::Alias, Properties: { TargetKeyId: !Ref Key } }\n';

const KEYS = {
  AccessKeyId: 'ASIAQUICKBROWNFOX001',
  SecretAccessKey: 'wJalr-secret-value-001',
  SessionToken: 'session-token-value-001',
};

const input = { ...deployTargetInput(), ...STARTED_BY_ROLLOUT };

/** The stack as an earlier rollout left it: tagged with that rollout and an older template version. */
function existing(status: string, extra: Partial<Stack> = {}): Stack {
  return describedStack(status, {
    Tags: [
      { Key: 'stackfleet:rollout-id', Value: 'ro-older' },
      { Key: 'stackfleet:template-version', Value: 'older' },
    ],
    ...extra,
  });
}

const missing = stackMissing();

/** Every CloudFormation command sent, by name, in order. */
function cfnCalls(): string[] {
  return cfn.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
}

function expectNoCredentials(value: unknown) {
  const text = JSON.stringify(value);
  for (const secret of Object.values(KEYS)) expect(text).not.toContain(secret);
}

beforeEach(() => resetDeployClients(aws, { keys: KEYS, template: TEMPLATE }));

describe('Deploy stack', () => {
  it('creates a missing stack with the assumed role, a deterministic token, protection and stackfleet tags', async () => {
    cfn.on(DescribeStacksCommand).rejects(missing);
    cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });

    const out = await handler(input);

    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toEqual({
      RoleArn: 'arn:aws:iam::123456789012:role/StackFleetExecution',
      RoleSessionName: 'stackfleet-ro-20261127-1a2b3c',
      SourceIdentity: 'stackfleet',
      ExternalId: 'stackfleet-ext-id',
    });
    const create = cfn.commandCalls(CreateStackCommand)[0];
    expect(create?.args[0].input).toEqual({
      StackName: 'stackfleet-baseline',
      RoleARN: 'arn:aws:iam::123456789012:role/StackFleetCloudFormation',
      TemplateURL: input.templateUrl,
      Parameters: [{ ParameterKey: 'Key', ParameterValue: 'Value' }],
      Tags: [
        { Key: 'Owner', Value: 'security' },
        { Key: 'stackfleet:rollout-id', Value: 'ro-20261127-1a2b3c' },
        { Key: 'stackfleet:template-version', Value: 'abc' },
      ],
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      ClientRequestToken: clientRequestToken('create', input.rolloutId, input.accountId, input.region),
      EnableTerminationProtection: true,
    });
    // CloudFormation was called in the target region with the role's credentials.
    const client = create?.thisValue as CloudFormationClient;
    expect(await client.config.region()).toBe('eu-west-1');
    expect((await client.config.credentials()).accessKeyId).toBe(KEYS.AccessKeyId);

    expect(out).toMatchObject({
      status: 'IN_PROGRESS',
      operation: 'CREATE',
      stackId: STACK_ID,
      checks: 0,
    });
    // The first look comes a little past halfway through the create the template predicts.
    expect(out.expectedSeconds).toBeGreaterThan(0);
    expect(out.waitSeconds).toBe(
      Math.max(FIRST_WAIT_SECONDS, Math.ceil(FIRST_LOOK_SHARE * (out.expectedSeconds ?? 0))),
    );
    expectNoCredentials(out);
  });

  it('estimates the create from the template (read once per version) so the wait policy can aim at the finish', async () => {
    cfn.on(DescribeStacksCommand).rejects(missing);
    cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });

    const first = await handler(input);
    await handler({ ...input, accountId: '210987654321' });

    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'my-bucket',
      Key: 'templates/baseline.yaml',
      VersionId: 'abc',
    });
    expect(first).toMatchObject({ resourceCount: 2, expectedSeconds: 100 });
  });

  it('reads the template as the execution role when the function itself may not (the bucket trusts execution roles)', async () => {
    s3.on(GetObjectCommand).rejectsOnce(new Error('AccessDenied')).resolves(templateObject(TEMPLATE));
    cfn.on(DescribeStacksCommand).rejects(missing);
    cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });

    const out = await handler(input);

    const second = s3.commandCalls(GetObjectCommand)[1]?.thisValue as S3Client;
    expect((await second.config.credentials()).accessKeyId).toBe(KEYS.AccessKeyId);
    expect(await second.config.region()).toBe('us-east-1');
    expect(out).toMatchObject({ resourceCount: 2 });
    expect(JSON.stringify(out)).not.toContain(KEYS.SecretAccessKey);
  });

  it('creates without an estimate when the template cannot be read', async () => {
    s3.on(GetObjectCommand).rejects(new Error('AccessDenied'));
    cfn.on(DescribeStacksCommand).rejects(missing);
    cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);

    const out = await handler(input);

    expect(out).toMatchObject({ status: 'IN_PROGRESS', operation: 'CREATE' });
    expect(out).not.toHaveProperty('expectedSeconds');
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(2);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('Could not read'));
    warn.mockRestore();
  });

  it('updates a healthy stack and reports the operation to watch', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [existing('UPDATE_COMPLETE')] });
    cfn.on(UpdateStackCommand).resolves({ StackId: STACK_ID });

    const out = await handler(input);

    expect(cfnCalls()).toEqual(['DescribeStacksCommand', 'UpdateStackCommand']);
    expect(cfn.commandCalls(UpdateStackCommand)[0]?.args[0].input).toMatchObject({
      StackName: STACK_ID,
      RoleARN: 'arn:aws:iam::123456789012:role/StackFleetCloudFormation',
      ClientRequestToken: clientRequestToken('update', input.rolloutId, input.accountId, input.region),
    });
    expect(out).toMatchObject({ status: 'IN_PROGRESS', operation: 'UPDATE', stackId: STACK_ID });
  });

  it('sends no RoleARN when the input asks for no CloudFormation service role', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [existing('UPDATE_COMPLETE')] });
    cfn.on(UpdateStackCommand).resolves({ StackId: STACK_ID });
    await handler({ ...input, cloudFormationRoleName: null });
    expect(cfn.commandCalls(UpdateStackCommand)[0]?.args[0].input).not.toHaveProperty('RoleARN');
  });

  it('turns termination protection on for an existing stack that lacks it', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [existing('CREATE_COMPLETE', { EnableTerminationProtection: false })] });
    cfn.on(UpdateTerminationProtectionCommand).resolves({ StackId: STACK_ID });
    cfn.on(UpdateStackCommand).resolves({ StackId: STACK_ID });

    await handler(input);

    expect(cfnCalls()).toEqual([
      'DescribeStacksCommand',
      'UpdateTerminationProtectionCommand',
      'UpdateStackCommand',
    ]);
    expect(
      cfn.commandCalls(UpdateTerminationProtectionCommand)[0]?.args[0].input.EnableTerminationProtection,
    ).toBe(true);
  });

  it('still updates when the execution role may not turn termination protection on', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [existing('CREATE_COMPLETE', { EnableTerminationProtection: false })] });
    cfn
      .on(UpdateTerminationProtectionCommand)
      .rejects(
        awsError(
          'AccessDenied',
          'not authorized to perform: cloudformation:UpdateTerminationProtection',
          403,
        ),
      );
    cfn.on(UpdateStackCommand).resolves({ StackId: STACK_ID });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);

    const out = await handler(input);

    expect(out).toMatchObject({ status: 'IN_PROGRESS', operation: 'UPDATE' });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('Termination protection left off'));
    warn.mockRestore();
  });

  it('keeps the rollout-id tag of the rollout that brought the template version, so a re-run changes nothing', async () => {
    const current = existing('UPDATE_COMPLETE', {
      Tags: [
        { Key: 'stackfleet:rollout-id', Value: 'ro-first' },
        { Key: 'stackfleet:template-version', Value: 'abc' },
      ],
    });
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [current] });
    cfn.on(UpdateStackCommand).resolves({ StackId: STACK_ID });

    await handler(input);

    expect(cfn.commandCalls(UpdateStackCommand)[0]?.args[0].input.Tags).toContainEqual({
      Key: 'stackfleet:rollout-id',
      Value: 'ro-first',
    });
  });

  it.each([
    'No updates are to be performed.',
    'CloudFormation failed to preprocess the stack: No updates are to be performed.',
  ])('reports NO_CHANGE without polling when CloudFormation says "%s"', async (message) => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [existing('UPDATE_COMPLETE')] });
    cfn.on(UpdateStackCommand).rejects(awsError('ValidationError', message));

    const out = await handler(input);

    expect(out.status).toBe('SUCCEEDED');
    expect(out.result).toMatchObject({
      accountId: '123456789012',
      region: 'eu-west-1',
      stackName: 'stackfleet-baseline',
      stackId: STACK_ID,
      outcome: 'NO_CHANGE',
      checks: 0,
    });
    expect(out.result?.reason).toContain('template version abc');
    expect(Object.keys(out.result ?? {}).sort()).toEqual(
      [
        'accountId',
        'region',
        'stackName',
        'stackId',
        'outcome',
        'reason',
        'startedAt',
        'finishedAt',
        'durationSeconds',
        'checks',
      ].sort(),
    );
  });

  it('deletes a stack left in ROLLBACK_COMPLETE, waits, then creates it again with its own token', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [existing('ROLLBACK_COMPLETE')] });
    cfn.on(UpdateTerminationProtectionCommand).resolves({});
    cfn.on(DeleteStackCommand).resolves({});

    const first = await handler(input);

    expect(cfnCalls()).toEqual([
      'DescribeStacksCommand',
      'UpdateTerminationProtectionCommand',
      'DeleteStackCommand',
    ]);
    expect(
      cfn.commandCalls(UpdateTerminationProtectionCommand)[0]?.args[0].input.EnableTerminationProtection,
    ).toBe(false);
    expect(first).toMatchObject({ status: 'WAITING', recreating: true, stackStatus: 'ROLLBACK_COMPLETE' });
    expect(first.reason).toContain('ROLLBACK_COMPLETE');

    // Next round: the delete still runs.
    cfn.reset();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [existing('DELETE_IN_PROGRESS')] });
    const second = await handler({ ...input, stack: first });
    expect(cfnCalls()).toEqual(['DescribeStacksCommand']);
    expect(second).toMatchObject({ status: 'WAITING', recreating: true, startedAt: first.startedAt });

    // Then the stack is gone: create.
    cfn.reset();
    cfn.on(DescribeStacksCommand).rejects(missing);
    cfn.on(CreateStackCommand).resolves({ StackId: `${STACK_ID}-2` });
    const third = await handler({ ...input, stack: second });
    expect(cfn.commandCalls(CreateStackCommand)[0]?.args[0].input.ClientRequestToken).toBe(
      clientRequestToken('recreate', input.rolloutId, input.accountId, input.region),
    );
    expect(third).toMatchObject({ status: 'IN_PROGRESS', operation: 'CREATE', startedAt: first.startedAt });
  });

  it('deletes an empty REVIEW_IN_PROGRESS stack (a preview never executed) before creating', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [existing('REVIEW_IN_PROGRESS', { EnableTerminationProtection: false })] });
    cfn.on(DeleteStackCommand).resolves({});
    const out = await handler(input);
    expect(cfnCalls()).toEqual(['DescribeStacksCommand', 'DeleteStackCommand']);
    expect(out.status).toBe('WAITING');
  });

  it('continues a failed update rollback, then updates; a second failure is reported, not looped on', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [existing('UPDATE_ROLLBACK_FAILED')] });
    cfn.on(ContinueUpdateRollbackCommand).resolves({});

    const first = await handler(input);
    expect(cfnCalls()).toEqual(['DescribeStacksCommand', 'ContinueUpdateRollbackCommand']);
    expect(first).toMatchObject({ status: 'WAITING', continuedRollback: true });

    cfn.reset();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [existing('UPDATE_ROLLBACK_COMPLETE')] });
    cfn.on(UpdateStackCommand).resolves({ StackId: STACK_ID });
    expect(await handler({ ...input, stack: first })).toMatchObject({
      status: 'IN_PROGRESS',
      operation: 'UPDATE',
    });

    cfn.reset();
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [existing('UPDATE_ROLLBACK_FAILED', { StackStatusReason: 'Bucket could not be rolled back' })],
    });
    const again = await handler({ ...input, stack: first });
    expect(cfn.commandCalls(ContinueUpdateRollbackCommand)).toHaveLength(0);
    expect(again.error).toBe('StackFailed');
    expect(causeOf(again).reason).toContain('Bucket could not be rolled back');

    // With the rollback's events at hand, the resource that could not roll back is named.
    cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        {
          StackId: STACK_ID,
          EventId: 'e2',
          StackName: 'stackfleet-baseline',
          LogicalResourceId: 'LogBucket',
          ResourceType: 'AWS::S3::Bucket',
          ResourceStatus: 'UPDATE_FAILED',
          ResourceStatusReason: 'Bucket policy locked by SCP',
          Timestamp: new Date('2026-11-27T12:00:00Z'),
        },
      ],
    });
    const named = await handler({ ...input, stack: first });
    expect(named.error).toBe('StackFailed');
    expect(causeOf(named).failedResource).toMatchObject({
      logicalId: 'LogBucket',
      statusReason: 'Bucket policy locked by SCP',
    });
    expect(causeOf(named).reason).toContain(
      'LogBucket (AWS::S3::Bucket) UPDATE_FAILED: Bucket policy locked by SCP',
    );
  });

  it("waits for someone else's operation without touching the stack", async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [existing('UPDATE_IN_PROGRESS')] });
    const out = await handler(input);
    expect(cfnCalls()).toEqual(['DescribeStacksCommand']);
    expect(out).toMatchObject({ status: 'WAITING', stackStatus: 'UPDATE_IN_PROGRESS', waitSeconds: 15 });
    expect(out.reason).toContain('UPDATE_IN_PROGRESS');
  });

  it('gives up waiting at the per-target timeout with TargetTimedOut', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [existing('UPDATE_IN_PROGRESS')] });
    const startedAt = new Date(Date.now() - 3700_000).toISOString();
    const out = await handler({
      ...input,
      stack: { status: 'WAITING', startedAt, checks: 0, waitingSince: startedAt },
    });
    expect(out.error).toBe('TargetTimedOut');
    expect(causeOf(out).reason).toMatch(
      /still UPDATE_IN_PROGRESS .* after 3700 s; the per-target timeout is 3600 s/,
    );
  });

  it('watches an operation this rollout already started (a retried Deploy stack) instead of waiting for it', async () => {
    const ours = existing('CREATE_IN_PROGRESS', {
      Tags: [
        { Key: 'stackfleet:rollout-id', Value: input.rolloutId },
        { Key: 'stackfleet:template-version', Value: 'abc' },
      ],
    });
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [ours] });
    const out = await handler(input);
    expect(cfnCalls()).toEqual(['DescribeStacksCommand']);
    expect(out).toMatchObject({ status: 'IN_PROGRESS', operation: 'CREATE', stackId: STACK_ID });
  });

  it.each(['ROLLBACK_FAILED', 'DELETE_FAILED', 'CREATE_FAILED', 'IMPORT_ROLLBACK_FAILED'])(
    'refuses to touch a stack in %s and says why',
    async (status) => {
      cfn
        .on(DescribeStacksCommand)
        .resolves({ Stacks: [existing(status, { StackStatusReason: 'resource X left behind' })] });
      const out = await handler(input);
      expect(cfnCalls()).toEqual(['DescribeStacksCommand']);
      expect(out.error).toBe('StackFailed');
      expect(causeOf(out).reason).toContain(`is in ${status} (resource X left behind)`);
    },
  );

  it('fails with RoleNotAssumable, naming the role, when AssumeRole is denied, and calls no CloudFormation', async () => {
    sts.on(AssumeRoleCommand).rejects(
      new STSServiceException({
        name: 'AccessDenied',
        message: 'User is not authorized to perform: sts:AssumeRole',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const out = await handler(input);
    expect(cfn.calls()).toHaveLength(0);
    expect(out.error).toBe('RoleNotAssumable');
    expect(causeOf(out)).toMatchObject({
      accountId: '123456789012',
      region: 'eu-west-1',
      stackName: 'stackfleet-baseline',
    });
    expect(causeOf(out).reason).toContain('arn:aws:iam::123456789012:role/StackFleetExecution');
  });

  it('refuses bad input before any AWS call, naming the field and the value in the Cause', async () => {
    const out = await handler({ ...input, accountId: '12ab' });
    expect(sts.calls()).toHaveLength(0);
    expect(cfn.calls()).toHaveLength(0);
    expect(out.error).toBe('InvalidInput');
    expect(causeOf(out)).toEqual({
      reason: 'accountId must be 12 digits. Received: 12ab',
      accountId: '12ab',
      region: 'eu-west-1',
      stackName: 'stackfleet-baseline',
    });
  });

  it('refuses a mode other than deploy (a misrouted preview must not change a stack)', async () => {
    const out = await handler({ ...input, mode: 'preview' });
    expect(sts.calls()).toHaveLength(0);
    expect(out.error).toBe('InvalidInput');
    expect(out.reason).toContain('Received: preview');
  });

  it.each([
    [
      'an opt-in region the account has not enabled',
      awsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403),
      'RegionNotEnabled',
      'Region eu-west-1 is not enabled',
    ],
    [
      'a template CloudFormation refuses',
      awsError('ValidationError', 'Template format error: Unresolved resource dependencies [Missing]'),
      'TemplateInvalid',
      'Unresolved resource dependencies',
    ],
    [
      'a missing capability',
      new InsufficientCapabilitiesException({
        message: 'Requires capabilities : [CAPABILITY_NAMED_IAM]',
        $metadata: {},
      }),
      'TemplateInvalid',
      'CAPABILITY_NAMED_IAM',
    ],
    [
      'a role without CloudFormation permissions',
      awsError('AccessDenied', 'not authorized to perform: cloudformation:CreateStack', 403),
      'RoleNotAssumable',
      'may not call CreateStack',
    ],
  ])('fails with a named error for %s', async (_case, error, name, reason) => {
    cfn.on(DescribeStacksCommand).rejects(missing);
    cfn.on(CreateStackCommand).rejects(error);
    const out = await handler(input);
    expect(out.error).toBe(name);
    expect(causeOf(out).reason).toContain(reason);
  });

  it.each([
    ['Throttled', awsError('Throttling', 'Rate exceeded')],
    ['TransientError', awsError('InternalFailure', 'We encountered an internal error', 500)],
    [
      'StackBusy',
      awsError('ValidationError', 'Stack:arn:x is in UPDATE_IN_PROGRESS state and can not be updated.'),
    ],
  ])('throws %s so the state machine retries', async (name, error) => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [existing('UPDATE_COMPLETE')] });
    cfn.on(UpdateStackCommand).rejects(error);
    const thrown = (await handler(input).catch((e: unknown) => e)) as Error;
    expect(thrown.name).toBe(name);
    // The message is the failure cause, so the workflow can end the target with it once retries run out.
    expect(JSON.parse(thrown.message)).toEqual({
      reason: expect.stringContaining((error as Error).message),
      accountId: '123456789012',
      region: 'eu-west-1',
      stackName: 'stackfleet-baseline',
    });
  });

  it('assumes the role once per session and renews it shortly before it expires', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [existing('UPDATE_IN_PROGRESS')] });
    await handler(input);
    await handler(input);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);

    clearCredentialCache();
    assumeRoleGives(sts, KEYS, 60_000);
    await handler(input);
    await handler(input);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(3);
  });

  it('does not remember a refused AssumeRole, so a fixed role works on the next try', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(
        new STSServiceException({ name: 'AccessDenied', message: 'denied', $fault: 'client', $metadata: {} }),
      )
      .resolves({ Credentials: { ...KEYS, Expiration: new Date(Date.now() + 3600_000) } });
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [existing('UPDATE_IN_PROGRESS')] });
    expect((await handler(input)).error).toBe('RoleNotAssumable');
    expect((await handler(input)).status).toBe('WAITING');
  });
});

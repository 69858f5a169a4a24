import {
  CloudFormationClient,
  GetTemplateSummaryCommand,
  ValidateTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, templateUrl } from '../../functions/validate-rollout';
import { configureAws } from '../../src/aws/clients';
import { ErrorNames } from '../../src/core/errors';
import { parseTargetInput } from '../../src/core/target-input';

const s3 = mockClient(S3Client);
const cfn = mockClient(CloudFormationClient);
const org = mockClient(OrganizationsClient);
const ec2 = mockClient(EC2Client);

/** The organisation and template every request below fits, unless a test changes them. */
function organisationAndTemplate() {
  cfn.reset();
  org.reset();
  ec2.reset();
  cfn.on(ValidateTemplateCommand).resolves({ Parameters: [] });
  cfn.on(GetTemplateSummaryCommand).resolves({ Parameters: [], Capabilities: [] });
  org.on(DescribeOrganizationCommand).resolves({ Organization: { MasterAccountId: '999999999999' } });
  org.on(ListAccountsCommand).resolves({
    Accounts: [
      { Id: '999999999999', Status: 'ACTIVE' },
      { Id: '111122223333', Status: 'ACTIVE' },
    ],
  });
  ec2.on(DescribeRegionsCommand).resolves({
    Regions: [
      { RegionName: 'eu-west-1', OptInStatus: 'opt-in-not-required' },
      { RegionName: 'eu-central-1', OptInStatus: 'opt-in-not-required' },
    ],
  });
}

function request(extra: Record<string, unknown> = {}) {
  return {
    rolloutId: 'r1',
    mode: 'deploy',
    template: { bucket: 'stackfleet-artifacts', key: 'templates/base line.yaml' },
    stackName: 'baseline',
    executionRoleName: 'StackFleetExecutionRole',
    targets: { accounts: ['111122223333'], regions: ['eu-west-1'] },
    ...extra,
  };
}

/** What the rollout definition's Validate input passes: one per-target machine per mode. */
const targetStateMachines = {
  deploy: 'arn:aws:states:eu-central-1:111122223333:stateMachine:stackfleet-deploy-target',
  preview: 'arn:aws:states:eu-central-1:111122223333:stateMachine:stackfleet-preview-target',
  drift: 'arn:aws:states:eu-central-1:111122223333:stateMachine:stackfleet-drift-target',
};

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

async function refusal(
  event: Parameters<typeof handler>[0],
): Promise<{ name: string; field?: string; message: string }> {
  try {
    await handler(event);
  } catch (error) {
    return error as { name: string; field?: string; message: string };
  }
  throw new Error('expected the handler to refuse the input');
}

beforeAll(() => {
  configureAws({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  process.env.AWS_REGION = 'eu-central-1';
});
beforeEach(() => {
  s3.reset();
  organisationAndTemplate();
});

describe('validate-rollout handler', () => {
  test('pins the latest version and returns the settings every child shares', async () => {
    s3.on(HeadObjectCommand).resolves({ VersionId: 'ver-7', ContentLength: 1200 });
    const out = await handler({ targetStateMachines, request: request(), executionName: 'exec-1' });
    expect(out.rollout.template).toEqual({
      bucket: 'stackfleet-artifacts',
      key: 'templates/base line.yaml',
      versionId: 'ver-7',
    });
    expect(out.deployment).toEqual({
      rolloutId: 'r1',
      mode: 'deploy',
      stackName: 'baseline',
      templateUrl:
        'https://stackfleet-artifacts.s3.eu-central-1.amazonaws.com/templates/base%20line.yaml?versionId=ver-7',
      templateVersion: 'ver-7',
      tags: {},
      capabilities: [],
      executionRoleName: 'StackFleetExecutionRole',
      externalId: null,
      timeoutSeconds: 3600,
      repair: false,
      stackEvents: false,
    });
    expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toMatchObject({
      Bucket: 'stackfleet-artifacts',
      Key: 'templates/base line.yaml',
    });
  });

  test.each([
    ['deploy', {}],
    ['preview', {}],
    ['drift', { repair: true }],
  ] as const)('picks the %s per-target state machine once for the whole rollout', async (mode, extra) => {
    s3.on(HeadObjectCommand).resolves({ VersionId: 'ver-7' });
    const out = await handler({ targetStateMachines, request: request({ mode, ...extra }) });
    expect(out.targetStateMachineArn).toBe(targetStateMachines[mode]);
    expect(out.deployment.mode).toBe(mode);
  });

  test('names the missing per-target state machine of the mode (a definition defect, not bad input)', async () => {
    const { preview: _preview, ...others } = targetStateMachines;
    const error = await refusal({
      targetStateMachines: others as typeof targetStateMachines,
      request: request({ mode: 'preview' }),
    });
    expect(error.name).not.toBe(ErrorNames.InvalidInput);
    expect(error.message).toBe(
      "targetStateMachines.preview must be the ARN of the preview per-target state machine (the rollout definition's Validate input passes one per mode). Received: (nothing)",
    );
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });

  test('its output is a valid deploy-target input once a target is added', async () => {
    s3.on(HeadObjectCommand).resolves({ VersionId: 'ver-7' });
    const { deployment } = await handler({
      targetStateMachines,
      request: request({ externalId: 'ext-123' }),
    });
    const child = parseTargetInput({
      ...deployment,
      accountId: '111122223333',
      region: 'eu-west-1',
      parameters: {},
    });
    expect(child.externalId).toBe('ext-123');
    expect(child.templateUrl).toContain('?versionId=ver-7');
  });

  test('checks the exact version asked for', async () => {
    s3.on(HeadObjectCommand).resolves({ VersionId: 'v-asked' });
    await handler({
      targetStateMachines,
      request: request({ template: { bucket: 'stackfleet-artifacts', key: 'k.yaml', versionId: 'v-asked' } }),
    });
    expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input.VersionId).toBe('v-asked');
  });

  test('uses the execution name as rollout id when the request has none', async () => {
    s3.on(HeadObjectCommand).resolves({ VersionId: 'v' });
    const out = await handler({
      targetStateMachines,
      request: request({ rolloutId: undefined }),
      executionName: 'drift schedule 2026-11-27',
    });
    expect(out.rollout.rolloutId).toBe('drift-schedule-2026-11-27');
  });

  test('refuses bad input before touching S3', async () => {
    const error = await refusal({
      targetStateMachines,
      request: request({ targets: { accounts: ['12ab'] } }),
    });
    expect(error.name).toBe(ErrorNames.InvalidInput);
    expect(error.field).toBe('targets.accounts[0]');
    expect(error.message).toContain('Received: 12ab');
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });

  test.each([
    [
      'a missing version',
      awsError('NotFound', 404),
      { template: { bucket: 'stackfleet-artifacts', key: 'k.yaml', versionId: 'gone' } },
      'template.versionId',
      'Received: gone',
    ],
    ['a missing key', awsError('NotFound', 404), {}, 'template.key', 'was not found'],
    ['an unreadable bucket', awsError('Forbidden', 403), {}, 'template.bucket', 'denied'],
  ])('refuses %s with InvalidInput naming the field', async (_name, failure, extra, field, fragment) => {
    s3.on(HeadObjectCommand).rejects(failure);
    const error = await refusal({ targetStateMachines, request: request(extra) });
    expect(error.name).toBe(ErrorNames.InvalidInput);
    expect(error.field).toBe(field);
    expect(error.message).toContain(fragment);
  });

  test('refuses an unversioned bucket (children need a pinned version)', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"abc"' });
    const error = await refusal({ targetStateMachines, request: request() });
    expect(error.field).toBe('template.bucket');
    expect(error.message).toContain('versioning enabled');
  });

  test('refuses a template larger than CloudFormation accepts', async () => {
    s3.on(HeadObjectCommand).resolves({ VersionId: 'v', ContentLength: 2_000_000 });
    const error = await refusal({ targetStateMachines, request: request() });
    expect(error.field).toBe('template.key');
    expect(error.message).toContain('2000000 bytes');
  });

  describe('checks what needs AWS before any stack is touched (executions started by the console or a schedule)', () => {
    beforeEach(() => s3.on(HeadObjectCommand).resolves({ VersionId: 'ver-7' }));

    test('validates the pinned version of the template with CloudFormation', async () => {
      await handler({ targetStateMachines, request: request() });
      expect(cfn.commandCalls(ValidateTemplateCommand)[0]?.args[0].input.TemplateURL).toBe(
        'https://stackfleet-artifacts.s3.eu-central-1.amazonaws.com/templates/base%20line.yaml?versionId=ver-7',
      );
    });

    test('refuses a template CloudFormation refuses, with its reason', async () => {
      cfn.on(ValidateTemplateCommand).rejects(
        Object.assign(awsError('ValidationError', 400), {
          message: 'Template format error: Unrecognized resource types: [AWS::S3::Buckett]',
        }),
      );
      const error = await refusal({ targetStateMachines, request: request() });
      expect(error.name).toBe(ErrorNames.InvalidInput);
      expect(error.field).toBe('template');
      expect(error.message).toContain('Unrecognized resource types: [AWS::S3::Buckett]');
    });

    test.each([
      [
        'an undeclared parameter',
        { parameters: { Retention: '30' } },
        'parameters.Retention',
        'is not a parameter of the template (it declares Env). Received: Retention',
      ],
      [
        'a required parameter no entry sets',
        {},
        'parameters.Env',
        'must be set: the template declares Env without a Default',
      ],
      [
        'a value outside AllowedValues',
        { parameters: { Env: 'staging' } },
        'parameters.Env',
        "must be one of the template's AllowedValues (dev, prod). Received: staging",
      ],
      [
        'a capability the template needs',
        { parameters: { Env: 'dev' } },
        'capabilities',
        'must include CAPABILITY_NAMED_IAM',
      ],
    ])('refuses %s, naming the field', async (_what, extra, field, fragment) => {
      cfn.on(GetTemplateSummaryCommand).resolves({
        Parameters: [{ ParameterKey: 'Env', ParameterConstraints: { AllowedValues: ['dev', 'prod'] } }],
        Capabilities: field === 'capabilities' ? ['CAPABILITY_NAMED_IAM'] : [],
        CapabilitiesReason: 'The following resource(s) require capabilities: [AWS::IAM::Role]',
      });
      const error = await refusal({ targetStateMachines, request: request(extra) });
      expect(error.name).toBe(ErrorNames.InvalidInput);
      expect(error.field).toBe(field);
      expect(error.message).toContain(fragment);
    });

    test.each([
      [
        'an account the organisation lacks',
        { targets: { accounts: ['111122224444'], regions: ['eu-west-1'] } },
        'targets.accounts[0]',
        'must be an account of the organisation. Received: 111122224444',
      ],
      [
        'a region the partition lacks',
        { targets: { accounts: ['111122223333'], regions: ['ap-south-2'] } },
        'targets.regions[0]',
        'must be a region of this partition (eu-central-1, eu-west-1). Received: ap-south-2',
      ],
      [
        'a mistyped exclusion',
        {
          targets: { accounts: ['111122223333'], excludeAccounts: ['111122224444'], regions: ['eu-west-1'] },
        },
        'targets.excludeAccounts[0]',
        'Received: 111122224444',
      ],
      [
        'an override for an account the organisation lacks',
        { parameterOverrides: [{ accounts: ['111122224444'], parameters: {} }] },
        'parameterOverrides[0].accounts[0]',
        'Received: 111122224444',
      ],
    ])('refuses %s, naming the field', async (_what, extra, field, fragment) => {
      const error = await refusal({ targetStateMachines, request: request(extra) });
      expect(error.name).toBe(ErrorNames.InvalidInput);
      expect(error.field).toBe(field);
      expect(error.message).toContain(fragment);
    });
  });

  test('reports throttling as Throttled so the state machine retries', async () => {
    s3.on(HeadObjectCommand).rejects(awsError('SlowDown', 503));
    expect((await refusal({ targetStateMachines, request: request() })).name).toBe(ErrorNames.Throttled);
  });
});

describe('templateUrl', () => {
  test.each([
    [
      'b',
      'a/b c/d+e.yaml',
      'us-east-1',
      'v 1',
      'https://b.s3.us-east-1.amazonaws.com/a/b%20c/d%2Be.yaml?versionId=v%201',
    ],
    ['b', 'k.yaml', 'cn-north-1', 'v', 'https://b.s3.cn-north-1.amazonaws.com.cn/k.yaml?versionId=v'],
  ])('%s %s %s', (bucket, key, region, version, expected) => {
    expect(templateUrl(bucket, key, region, version)).toBe(expected);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ADMIN_STACK_NAME,
  adminResourcesFromOutputs,
  chooseBackend,
  resolveAwsRegion,
} from '../../../src/cli/backend';
import { CliError, ExitCodes } from '../../../src/cli/exit-codes';

const arn = (name: string) => `arn:aws:states:us-east-1:111122223333:stateMachine:${name}`;

/** The outputs the admin stack of this version has. */
const outputs = {
  RolloutStateMachineArn: arn('Rollout'),
  DeployTargetStateMachineArn: arn('DeployTarget'),
  PreviewTargetStateMachineArn: arn('PreviewTarget'),
  DriftTargetStateMachineArn: arn('DriftTarget'),
  ArtifactBucketName: 'stackfleet-artifacts',
  NotificationTopicArn: 'arn:aws:sns:us-east-1:111122223333:stackfleet',
  DriftScheduleName: 'schedule',
};

function thrown(fn: () => unknown): CliError {
  try {
    fn();
  } catch (error) {
    return error as CliError;
  }
  throw new Error('expected an error');
}

describe('admin stack outputs', () => {
  it('name the per-target machine of every mode', () => {
    expect(adminResourcesFromOutputs(outputs)).toEqual({
      rolloutStateMachineArn: arn('Rollout'),
      targetStateMachineArns: {
        deploy: arn('DeployTarget'),
        preview: arn('PreviewTarget'),
        drift: arn('DriftTarget'),
      },
      artifactBucket: 'stackfleet-artifacts',
      topicArn: 'arn:aws:sns:us-east-1:111122223333:stackfleet',
    });
  });

  it("name the stacks form's lane walker when the stack has it (stackfleet ui serves its executions)", () => {
    const walkLane = arn('WalkLane');
    expect(adminResourcesFromOutputs({ ...outputs, WalkLaneStateMachineArn: walkLane })).toMatchObject({
      walkLaneStateMachineArn: walkLane,
    });
  });

  it('of a stack deployed before the preview and drift machines existed are refused, naming each missing output', () => {
    const { PreviewTargetStateMachineArn: _p, DriftTargetStateMachineArn: _d, ...older } = outputs;
    const error = thrown(() => adminResourcesFromOutputs(older));
    expect(error).toBeInstanceOf(CliError);
    expect(error.exitCode).toBe(ExitCodes.unreachable);
    expect(error.message).toBe(
      `the admin stack ${ADMIN_STACK_NAME} lacks outputs PreviewTargetStateMachineArn, DriftTargetStateMachineArn; ` +
        'it was deployed by an older stackfleet or changed by hand. Deploy it again with `npm run deploy-admin`',
    );
  });

  it('with one output empty name that one', () => {
    const error = thrown(() => adminResourcesFromOutputs({ ...outputs, DriftTargetStateMachineArn: '' }));
    expect(error.message).toContain('lacks output DriftTargetStateMachineArn;');
  });
});

describe('the backend rule: the sandbox unless AWS is asked for', () => {
  it.each([
    [{}, {}, 'sandbox', 'default'],
    // Credentials, a profile or an endpoint in the environment do not switch to AWS on their own.
    [
      {},
      { AWS_ACCESS_KEY_ID: 'AKIA', AWS_PROFILE: 'prod', AWS_ENDPOINT_URL: 'http://x' },
      'sandbox',
      'default',
    ],
    [{ sandbox: true }, { STACKFLEET_BACKEND: 'aws' }, 'sandbox', '--sandbox'],
    [{ aws: true }, {}, 'aws', '--aws'],
    [{ profile: 'prod' }, {}, 'aws', '--profile'],
    [{ 'local-engine': true }, {}, 'aws', '--local-engine'],
    [{}, { STACKFLEET_BACKEND: 'aws' }, 'aws', 'STACKFLEET_BACKEND=aws'],
    [{}, { STACKFLEET_BACKEND: 'sandbox' }, 'sandbox', 'STACKFLEET_BACKEND=sandbox'],
  ] as const)('%j with %j -> %s (%s)', (values, env, kind, chosenBy) => {
    expect(chooseBackend(values, env)).toEqual({ kind, chosenBy });
  });

  it('refuses contradictions and unknown values, naming them', () => {
    expect(() => chooseBackend({ sandbox: true, profile: 'prod' }, {})).toThrow(
      '--sandbox cannot be used with --profile prod (those run against AWS). Received: --sandbox --profile prod',
    );
    expect(() => chooseBackend({}, { STACKFLEET_BACKEND: 'prod' })).toThrow(
      'STACKFLEET_BACKEND must be aws or sandbox. Received: "prod"',
    );
  });
});

describe('the AWS region follows the SDK chain, never a silent us-east-1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-region-'));
  const configFile = join(dir, 'config');
  writeFileSync(
    configFile,
    '[default]\nregion = eu-north-1\n[profile ops]\nregion = ap-southeast-2\n[profile bare]\noutput = json\n',
  );
  const saved = { ...process.env };
  beforeEach(() => {
    // The developer's machine must not leak in: only this file is the shared config.
    for (const key of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[key];
    process.env.AWS_CONFIG_FILE = configFile;
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
  });
  afterAll(() => {
    process.env = saved;
  });

  it.each([
    [{ region: 'eu-west-3' }, { AWS_REGION: 'us-west-2' }, 'eu-west-3', '--region'],
    [{}, { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'ca-central-1' }, 'us-west-2', 'AWS_REGION'],
    [{}, { AWS_DEFAULT_REGION: 'ca-central-1' }, 'ca-central-1', 'AWS_DEFAULT_REGION'],
    [{ profile: 'ops' }, {}, 'ap-southeast-2', 'profile ops'],
    [{}, {}, 'eu-north-1', 'profile default'],
  ] as const)('%j %j -> %s from %s', async (values, env, region, source) => {
    await expect(resolveAwsRegion(values, { ...env, AWS_CONFIG_FILE: configFile })).resolves.toEqual({
      region,
      source,
    });
  });

  it('refuses a profile without a region, saying what to set', async () => {
    await expect(resolveAwsRegion({ profile: 'bare' }, { AWS_CONFIG_FILE: configFile })).rejects.toThrow(
      `no AWS region for the admin account: pass --region, set AWS_REGION, or set region for profile bare in ${configFile}. Received: (nothing)`,
    );
  });
});

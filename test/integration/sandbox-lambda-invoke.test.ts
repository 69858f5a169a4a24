/**
 * Lambda's Invoke API on the sandbox (Lambda API Reference, API_Invoke), through the real
 * LambdaClient: a function the admin stack deployed runs as its own execution role whoever invokes
 * it, a function error comes back as 200 with X-Amz-Function-Error and the runtime's
 * {errorType, errorMessage}, and the caller needs lambda:InvokeFunction. This is how a local engine
 * in another process (`rollout --local-engine` against `sandbox serve`) runs the admin functions;
 * `remoteFunction` (src/engine/remote-identity.ts) is the local engine's side of it, and turns what
 * Lambda answers into the errors Step Functions reports.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { configureAws } from '../../src/aws/clients';
import { ErrorNames } from '../../src/core/errors';
import { remoteFunction } from '../../src/engine/remote-identity';
import type { Scenario } from '../../src/sandbox/scenario-types';
import { openSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness';

const ADMIN = '999999999999';
const MEMBER = '888888888888';
const REGION = 'us-east-1';

const SCENARIO: Scenario = {
  seed: 7,
  organization: {
    id: 'o-lambda00001',
    rootId: 'r-la01',
    managementAccountId: ADMIN,
    ous: [{ id: 'ou-la01-members0', name: 'Members' }],
    accounts: [
      { id: ADMIN, name: 'management' },
      { id: MEMBER, name: 'member', parent: 'ou-la01-members0' },
    ],
  },
  regions: [REGION],
  optInRegions: [],
  executionRoleName: 'StackFleetExecution',
  durations: { default: 1 },
  faults: {},
};

let h: SandboxHarness;
let detectDriftArn: string;
let validateArn: string;

/** A drift-mode target input for MEMBER, whose stack does not exist. */
function driftTarget() {
  return {
    rolloutId: 'ro-20261201-lambda',
    mode: 'drift',
    accountId: MEMBER,
    region: REGION,
    stackName: 'stackfleet-baseline',
    templateUrl: `https://${h.template?.bucket}.s3.${REGION}.amazonaws.com/${h.template?.key}?versionId=${h.template?.versionId}`,
    templateVersion: h.template?.versionId ?? '',
    executionRoleName: 'StackFleetExecution',
    repair: false,
  };
}

function lambdaAs(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
  return new LambdaClient({ region: REGION, requestHandler: h.sandbox.requestHandler(), credentials });
}

async function memberSession() {
  const sts = new STSClient({
    region: REGION,
    requestHandler: h.sandbox.requestHandler(),
    credentials: { ...h.sandbox.managementCredentials },
  });
  const c = (
    await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`,
        RoleSessionName: 'lambda-test',
      }),
    )
  ).Credentials;
  return {
    accessKeyId: c?.AccessKeyId ?? '',
    secretAccessKey: c?.SecretAccessKey ?? '',
    sessionToken: c?.SessionToken ?? '',
  };
}

const payloadOf = (out: { Payload?: Uint8Array }) =>
  JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'));

beforeAll(async () => {
  h = await openSandboxHarness({ scenario: SCENARIO, region: REGION });
  detectDriftArn = h.admin?.substitutions.DetectDriftFunctionArn ?? '';
  validateArn = h.admin?.substitutions.ValidateRolloutFunctionArn ?? '';
  expect(detectDriftArn).toMatch(/^arn:aws:lambda:us-east-1:999999999999:function:/);
}, 120_000);

describe('Lambda Invoke on the sandbox', () => {
  it('runs the deployed function as its own role: it reaches the member, which its invoker (root) could not', async () => {
    const out = await h.virtual(() =>
      lambdaAs(h.sandbox.managementCredentials).send(
        new InvokeCommand({
          FunctionName: detectDriftArn,
          Payload: Buffer.from(JSON.stringify(driftTarget())),
        }),
      ),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
    // The execution role trusts only the admin functions' roles: the function assumed it and found no stack.
    expect(payloadOf(out)).toMatchObject({ accountId: MEMBER, result: { outcome: 'MISSING' } });
  });

  it('answers a function error as 200 with X-Amz-Function-Error and the runtime error document', async () => {
    const out = await h.virtual(() =>
      lambdaAs(h.sandbox.managementCredentials).send(
        new InvokeCommand({
          FunctionName: validateArn,
          Payload: Buffer.from(JSON.stringify({ request: {} })),
        }),
      ),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    const error = payloadOf(out) as { errorType: string; errorMessage: string };
    expect(error.errorType).toBe(ErrorNames.InvalidInput);
    expect(error.errorMessage).toContain('rolloutId');
  });

  it('refuses a function that does not exist, and a caller without lambda:InvokeFunction', async () => {
    const missing = `arn:aws:lambda:${REGION}:${ADMIN}:function:no-such-function`;
    await expect(
      lambdaAs(h.sandbox.managementCredentials).send(new InvokeCommand({ FunctionName: missing })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: `Function not found: ${missing}` });
    // Another account's session: no function policy lets it in.
    const denied = lambdaAs(await memberSession()).send(
      new InvokeCommand({ FunctionName: detectDriftArn, Payload: Buffer.from('{}') }),
    );
    await expect(denied).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(denied).rejects.toThrow(
      `is not authorized to perform: lambda:InvokeFunction on resource: ${detectDriftArn}`,
    );
  });

  it('refuses a payload that is not JSON', async () => {
    await expect(
      lambdaAs(h.sandbox.managementCredentials).send(
        new InvokeCommand({ FunctionName: detectDriftArn, Payload: Buffer.from('{not json') }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRequestContentException' });
  });
});

describe('remoteFunction: the local engine invoking a deployed function', () => {
  afterEach(() => {
    configureAws({
      requestHandler: h.sandbox.requestHandler(),
      credentials: { ...h.sandbox.adminCredentials },
    });
  });

  it('returns what the function returned', async () => {
    const result = await h.virtual(async () =>
      remoteFunction(detectDriftArn, REGION)(driftTarget(), {} as never),
    );
    expect(result).toMatchObject({ result: { outcome: 'MISSING' } });
  });

  it('throws the function error under its own name, as Step Functions shows it', async () => {
    await expect(
      h.virtual(async () => remoteFunction(validateArn, REGION)({ request: {} }, {} as never)),
    ).rejects.toMatchObject({ name: ErrorNames.InvalidInput });
  });

  it('names Lambda API failures Lambda.<exception>, an access denial Lambda.AWSLambdaException', async () => {
    const missing = `arn:aws:lambda:${REGION}:${ADMIN}:function:no-such-function`;
    await expect(remoteFunction(missing, REGION)({}, {} as never)).rejects.toMatchObject({
      name: 'Lambda.ResourceNotFoundException',
    });
    configureAws({ requestHandler: h.sandbox.requestHandler(), credentials: await memberSession() });
    await expect(remoteFunction(detectDriftArn, REGION)({}, {} as never)).rejects.toMatchObject({
      name: 'Lambda.AWSLambdaException',
      message: expect.stringContaining('lambda:InvokeFunction'),
    });
  });
});

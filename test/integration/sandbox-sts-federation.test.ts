/**
 * STS GetFederationToken on the sandbox, as AWS documents it (STS API Reference,
 * GetFederationToken; IAM User Guide, id_credentials_temp_control-access_getfederationtoken and
 * id_credentials_temp_request "Compare AWS STS credentials"): the caller needs
 * sts:GetFederationToken; temporary credentials cannot call it; the session's permissions are the
 * intersection of the issuing user's policies and the session policy (none without one); a
 * federated session calls no IAM and no STS operation but GetCallerIdentity; a root user's session
 * lasts at most an hour.
 */
import { callInternal } from '../../src/sandbox/internal-call';
import { Sandbox } from '../../src/sandbox/sandbox';
import { sessionCaller, stsState } from '../../src/sandbox/services/sts';
import type { Caller } from '../../src/sandbox/types';
import { MEMBER, mallory, REGION, tamperScenario } from '../helpers/tamper-world';

const admin: Caller = {
  accountId: MEMBER,
  accessKeyId: 'ASIAADMINSESSION',
  arn: `arn:aws:sts::${MEMBER}:assumed-role/OrganizationAccountAccessRole/admin`,
  roleName: 'OrganizationAccountAccessRole',
  sessionName: 'admin',
};
const root: Caller = { accountId: MEMBER, accessKeyId: `root-${MEMBER}`, arn: `arn:aws:iam::${MEMBER}:root` };

type Token = {
  Credentials: { AccessKeyId: string; Expiration: Date };
  FederatedUser: { Arn: string; FederatedUserId: string };
};

describe('STS GetFederationToken on the sandbox', () => {
  let sandbox: Sandbox;
  const call = (caller: Caller, service: string, operation: string, params: Record<string, unknown> = {}) =>
    callInternal(sandbox.world, { caller, service, operation, params, region: REGION });
  /** The caller the sandbox authenticates for the token's key (as a request signed with it would be). */
  const federated = (token: Token): Caller => {
    const session = stsState(sandbox.world).sessions[token.Credentials.AccessKeyId];
    if (!session) throw new Error(`no session for ${token.Credentials.AccessKeyId}`);
    return sessionCaller(token.Credentials.AccessKeyId, session);
  };
  const sessionPolicy = (actions: string[]) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
    });

  beforeAll(async () => {
    sandbox = await Sandbox.open({ scenario: tamperScenario(), stateDir: null });
  });

  it('needs sts:GetFederationToken on the federated user, named in the denial', async () => {
    await expect(call(mallory, 'sts', 'GetFederationToken', { Name: 'contractor' })).rejects.toThrow(
      `User: arn:aws:iam::${MEMBER}:user/mallory is not authorized to perform: sts:GetFederationToken on resource: arn:aws:sts::${MEMBER}:federated-user/contractor`,
    );
    await call(admin, 'iam', 'PutUserPolicy', {
      UserName: 'mallory',
      PolicyName: 'federate',
      PolicyDocument: sessionPolicy(['sts:GetFederationToken']),
    });
  });

  it("grants only what both the user's policies and the session policy allow", async () => {
    const token = (await call(mallory, 'sts', 'GetFederationToken', {
      Name: 'contractor',
      Policy: sessionPolicy(['cloudtrail:DescribeTrails', 'sns:ListTopics']),
    })) as Token;
    expect(token.FederatedUser).toEqual({
      Arn: `arn:aws:sts::${MEMBER}:federated-user/contractor`,
      FederatedUserId: `${MEMBER}:contractor`,
    });
    const session = federated(token);
    await expect(call(session, 'cloudtrail', 'DescribeTrails')).resolves.toEqual({ trailList: [] });
    // The session policy allows it, mallory's policies do not.
    await expect(call(session, 'sns', 'ListTopics')).rejects.toThrow(
      /not authorized to perform: sns:ListTopics/,
    );
    // mallory's policies allow it, the session policy does not.
    await expect(call(session, 'cloudtrail', 'GetTrailStatus', { Name: 'x' })).rejects.toThrow(
      /federated-user\/contractor is not authorized to perform: cloudtrail:GetTrailStatus/,
    );
    await expect(call(session, 'sts', 'GetCallerIdentity')).resolves.toMatchObject({
      Arn: `arn:aws:sts::${MEMBER}:federated-user/contractor`,
    });
  });

  it('without a session policy the session is allowed nothing', async () => {
    const session = federated((await call(mallory, 'sts', 'GetFederationToken', { Name: 'bare' })) as Token);
    await expect(call(session, 'cloudtrail', 'DescribeTrails')).rejects.toThrow(
      /federated-user\/bare is not authorized to perform: cloudtrail:DescribeTrails/,
    );
  });

  it('a federated session calls no IAM and no STS operation but GetCallerIdentity', async () => {
    const session = federated(
      (await call(mallory, 'sts', 'GetFederationToken', {
        Name: 'wide',
        Policy: sessionPolicy(['*']),
      })) as Token,
    );
    await expect(
      call(session, 'iam', 'GetUserPolicy', { UserName: 'mallory', PolicyName: 'federate' }),
    ).rejects.toThrow(/federated user sessions cannot call IAM API operations/);
    await expect(call(session, 'sts', 'GetFederationToken', { Name: 'again' })).rejects.toThrow(
      /federated user sessions cannot call STS API operations/,
    );
    await expect(
      call(session, 'sts', 'AssumeRole', {
        RoleArn: `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`,
        RoleSessionName: 'escape',
      }),
    ).rejects.toThrow(/not authorized to perform: sts:AssumeRole/);
  });

  it('is refused to temporary credentials (a role session)', async () => {
    await expect(call(admin, 'sts', 'GetFederationToken', { Name: 'contractor' })).rejects.toThrow(
      'Cannot call GetFederationToken with session credentials',
    );
  });

  it("caps a root user's session at one hour, and validates the name and the duration", async () => {
    const now = sandbox.world.now();
    const token = (await call(root, 'sts', 'GetFederationToken', {
      Name: 'rooted',
      DurationSeconds: 43_200,
      Policy: sessionPolicy(['*']),
    })) as Token;
    // One hour from the call (the world's clock may move on between reading it and the call),
    // never the 12 hours asked for.
    const lifetime = token.Credentials.Expiration.getTime() - now;
    expect(lifetime).toBeGreaterThanOrEqual(3_600_000);
    expect(lifetime).toBeLessThan(3_660_000);
    await expect(call(mallory, 'sts', 'GetFederationToken', { Name: 'x' })).rejects.toThrow(
      "Value 'x' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
    await expect(
      call(mallory, 'sts', 'GetFederationToken', { Name: 'long', DurationSeconds: 129_601 }),
    ).rejects.toThrow('Member must have value less than or equal to 129600');
  });
});

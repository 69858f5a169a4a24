/**
 * The sandbox's IAM API on the state authorization reads: an inline policy put on a user or a
 * role decides that principal's next call (IAM User Guide, reference_policies_evaluation-logic:
 * an explicit deny wins), and AWS's session revocation (id_roles_use_revoke-sessions: a deny on
 * `aws:TokenIssueTime` before now) stops sessions issued before it while later ones work.
 */
import {
  containmentPolicy,
  ROLE_REVOCATION_POLICY,
  USER_CONTAINMENT_POLICY,
} from '../../src/core/tamper/containment';
import { callInternal } from '../../src/sandbox/internal-call';
import { Sandbox } from '../../src/sandbox/sandbox';
import type { Caller } from '../../src/sandbox/types';
import { MEMBER, mallory, REGION, tamperScenario } from '../helpers/tamper-world';

const admin: Caller = {
  accountId: MEMBER,
  accessKeyId: 'ASIAADMINSESSION',
  arn: `arn:aws:sts::${MEMBER}:assumed-role/OrganizationAccountAccessRole/responder`,
  roleName: 'OrganizationAccountAccessRole',
  sessionName: 'responder',
};

describe('IAM inline policies through the sandbox API take effect on later calls', () => {
  let sandbox: Sandbox;
  const call = (caller: Caller, service: string, operation: string, params: Record<string, unknown>) =>
    callInternal(sandbox.world, { caller, service, operation, params, region: REGION });

  beforeAll(async () => {
    sandbox = await Sandbox.open({ scenario: tamperScenario(), stateDir: null });
  });

  it('a deny-all policy on a user denies the user its next call, and reads back URL-encoded', async () => {
    await expect(call(mallory, 'cloudtrail', 'DescribeTrails', {})).resolves.toEqual({ trailList: [] });
    const policy = containmentPolicy(
      { action: 'deny-user', userName: 'mallory', accountId: MEMBER, reason: '' },
      new Date().toISOString(),
    );
    await call(admin, 'iam', 'PutUserPolicy', {
      UserName: 'mallory',
      PolicyName: policy?.name,
      PolicyDocument: policy?.document,
    });
    await expect(call(mallory, 'cloudtrail', 'DescribeTrails', {})).rejects.toThrow(
      /User: arn:aws:iam::222222222222:user\/mallory is not authorized to perform: cloudtrail:DescribeTrails with an explicit deny in an identity-based policy/,
    );
    const read = (await call(admin, 'iam', 'GetUserPolicy', {
      UserName: 'mallory',
      PolicyName: USER_CONTAINMENT_POLICY,
    })) as { PolicyDocument: string };
    expect(JSON.parse(decodeURIComponent(read.PolicyDocument)).Statement[0].Effect).toBe('Deny');
    await call(admin, 'iam', 'DeleteUserPolicy', {
      UserName: 'mallory',
      PolicyName: USER_CONTAINMENT_POLICY,
    });
    await expect(call(mallory, 'cloudtrail', 'DescribeTrails', {})).resolves.toEqual({ trailList: [] });
  });

  it("revoking a role's older sessions stops a session issued before, not one issued after", async () => {
    const now = sandbox.world.now();
    const older: Caller = {
      ...admin,
      accessKeyId: 'ASIAOLDER',
      sessionName: 'older',
      arn: admin.arn.replace('responder', 'older'),
      issuedAt: now - 60_000,
    };
    const policy = containmentPolicy(
      {
        action: 'revoke-role-sessions',
        roleName: 'OrganizationAccountAccessRole',
        accountId: MEMBER,
        reason: '',
      },
      new Date(now - 1000).toISOString(),
    );
    await call(admin, 'iam', 'PutRolePolicy', {
      RoleName: 'OrganizationAccountAccessRole',
      PolicyName: ROLE_REVOCATION_POLICY,
      PolicyDocument: policy?.document,
    });
    await expect(call(older, 'cloudtrail', 'DescribeTrails', {})).rejects.toThrow(
      /with an explicit deny in an identity-based policy/,
    );
    const newer: Caller = { ...older, accessKeyId: 'ASIANEWER', sessionName: 'newer', issuedAt: now };
    await expect(call(newer, 'cloudtrail', 'DescribeTrails', {})).resolves.toEqual({ trailList: [] });
  });

  it('answers NoSuchEntity and MalformedPolicyDocument as IAM does', async () => {
    await expect(
      call(admin, 'iam', 'PutUserPolicy', { UserName: 'nobody', PolicyName: 'x', PolicyDocument: '{}' }),
    ).rejects.toThrow('The user with name nobody cannot be found.');
    await expect(
      call(admin, 'iam', 'PutUserPolicy', {
        UserName: 'mallory',
        PolicyName: 'x',
        PolicyDocument: 'not json',
      }),
    ).rejects.toMatchObject({ code: 'MalformedPolicyDocument' });
  });

  it('names the missing principal or policy the way each API does (IAM API Reference: GetUserPolicy, GetRolePolicy, DeleteRolePolicy, GetRole)', async () => {
    const role = { RoleName: 'OrganizationAccountAccessRole' };
    await expect(call(admin, 'iam', 'GetRole', { RoleName: 'nobody' })).rejects.toMatchObject({
      code: 'NoSuchEntity',
      message: 'The role with name nobody cannot be found.',
    });
    await expect(
      call(admin, 'iam', 'GetUserPolicy', { UserName: 'mallory', PolicyName: 'absent' }),
    ).rejects.toMatchObject({
      code: 'NoSuchEntity',
      message: 'The user policy with name absent cannot be found.',
    });
    await expect(
      call(admin, 'iam', 'GetRolePolicy', { ...role, PolicyName: 'absent' }),
    ).rejects.toMatchObject({
      code: 'NoSuchEntity',
      message: 'The role policy with name absent cannot be found.',
    });
    await expect(
      call(admin, 'iam', 'DeleteRolePolicy', { ...role, PolicyName: 'absent' }),
    ).rejects.toMatchObject({
      code: 'NoSuchEntity',
      message: 'The role policy with name absent cannot be found.',
    });
    const document = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'sns:Publish', Resource: '*' }],
    });
    await call(admin, 'iam', 'PutRolePolicy', { ...role, PolicyName: 'kept', PolicyDocument: document });
    await expect(call(admin, 'iam', 'GetRolePolicy', { ...role, PolicyName: 'kept' })).resolves.toEqual({
      ...role,
      PolicyName: 'kept',
      PolicyDocument: encodeURIComponent(document),
    });
    await expect(call(admin, 'iam', 'ListRolePolicies', role)).resolves.toMatchObject({
      PolicyNames: expect.arrayContaining(['kept']),
    });
    await call(admin, 'iam', 'DeleteRolePolicy', { ...role, PolicyName: 'kept' });
    await expect(call(admin, 'iam', 'ListRolePolicies', role)).resolves.not.toMatchObject({
      PolicyNames: expect.arrayContaining(['kept']),
    });
  });
});

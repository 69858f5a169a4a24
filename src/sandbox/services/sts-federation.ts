/**
 * STS GetFederationToken (STS API Reference, GetFederationToken; IAM User Guide,
 * id_credentials_temp_control-access_getfederationtoken): called with the long-term keys of an
 * IAM user (or, not recommended, the root user's); never with temporary credentials. The session
 * is `arn:aws:sts::ACCOUNT:federated-user/NAME` and its permissions are the intersection of the
 * issuing user's identity-based policies (evaluated at each request, so a deny put on the user
 * later also denies its federated sessions) and the session policies passed here; without a
 * session policy it is allowed nothing (src/sandbox/iam/evaluate.ts). Durations are 900 to 129,600
 * seconds (default 43,200); a root user's session lasts at most one hour.
 */
import { findUser, iamSection } from '../iam/state';
import { AwsError, type OperationContext } from '../types';
import type { World } from '../world';
import {
  checkLength,
  issueKeys,
  NAME_CHARS,
  packedPolicySize,
  type StsSession,
  sessionPoliciesOf,
  stsState,
  validationError,
} from './sts';

export function federatedUserArn(accountId: string, name: string): string {
  return `arn:aws:sts::${accountId}:federated-user/${name}`;
}

export function getFederationToken(params: Record<string, unknown>, ctx: OperationContext) {
  const world = ctx.world as World;
  const { caller } = ctx;
  const name = String(params.Name ?? '');
  checkLength('name', name, 2, 32);
  if (!NAME_CHARS.test(name))
    throw validationError('name', name, 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
  // "You must call the GetFederationToken operation using the long-term security credentials of
  // an IAM user": temporary credentials (role or federated sessions) are refused.
  if (caller.roleName !== undefined || caller.federatedUser !== undefined)
    throw new AwsError('AccessDenied', 'Cannot call GetFederationToken with session credentials', 403);
  const rootCaller = caller.userName === undefined;
  const requested = params.DurationSeconds === undefined ? 43_200 : Number(params.DurationSeconds);
  if (!Number.isInteger(requested) || requested < 900 || requested > 129_600)
    throw validationError(
      'durationSeconds',
      String(params.DurationSeconds),
      requested < 900
        ? 'Member must have value greater than or equal to 900'
        : 'Member must have value less than or equal to 129600',
    );
  // "If the specified duration is longer than one hour, the session obtained by using root user
  // credentials defaults to one hour."
  const duration = rootCaller ? Math.min(requested, 3600) : requested;
  const sessionPolicies = sessionPoliciesOf(params, world, caller.arn);
  const state = stsState(world);
  const keys = issueKeys(world, state);
  const expiration = ctx.now() + duration * 1000;
  const federatedUser: NonNullable<StsSession['federatedUser']> = { name };
  if (!rootCaller) {
    if (!findUser(iamSection(world), caller.accountId, caller.userName as string))
      throw new AwsError(
        'AccessDenied',
        `User: ${caller.arn} is not authorized to perform: sts:GetFederationToken`,
        403,
      );
    federatedUser.issuerUserName = caller.userName as string;
  }
  const session: StsSession = {
    accountId: caller.accountId,
    roleName: '',
    sessionName: name,
    federatedUser,
    expiration,
    issuedAt: ctx.now(),
  };
  if (sessionPolicies.length > 0) session.sessionPolicies = sessionPolicies;
  state.sessions[keys.accessKeyId] = session;
  return {
    Credentials: {
      AccessKeyId: keys.accessKeyId,
      SecretAccessKey: keys.secretAccessKey,
      SessionToken: keys.sessionToken,
      Expiration: new Date(expiration),
    },
    FederatedUser: {
      FederatedUserId: `${caller.accountId}:${name}`,
      Arn: federatedUserArn(caller.accountId, name),
    },
    PackedPolicySize: packedPolicySize(sessionPolicies),
  };
}

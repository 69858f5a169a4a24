/**
 * STS: AssumeRole into member accounts and GetCallerIdentity. Sessions are kept in the world
 * state so keys issued in one command still work in the next, and they expire in virtual time,
 * so a long simulated rollout meets ExpiredToken just as a real one would.
 */
import { createHmac } from 'node:crypto';
import { decide } from '../iam/authorize';
import { awsManagedPolicy } from '../iam/managed-policies';
import { parsePolicy } from '../iam/policy';
import { servicePrincipal } from '../iam/principal';
import { findManagedPolicy, findRoleByArn, iamSection } from '../iam/state';
import { AwsError, type Caller, type OperationContext, type ServiceEmulator } from '../types';
import type { World } from '../world';
import { getFederationToken } from './sts-federation';

/**
 * A temporary session issued by AssumeRole. Its secret and token are derived from the access
 * key id and the scenario seed (`sessionSecrets`), so the persisted record stays small even with
 * tens of thousands of live sessions in a large rollout.
 */
export interface StsSession {
  accountId: string;
  /** The role of an AssumeRole session (empty for a federated user session). */
  roleName: string;
  /** A GetFederationToken session: the federated user's name and the IAM user that issued it. */
  federatedUser?: { name: string; issuerUserName?: string };
  sessionName: string;
  sourceIdentity?: string;
  /** Virtual epoch ms. */
  expiration: number;
  /** When it was issued (virtual epoch ms): aws:TokenIssueTime. */
  issuedAt?: number;
  /** Session policies (JSON text) from AssumeRole's `Policy` and `PolicyArns`. */
  sessionPolicies?: string[];
}

export interface StsState {
  counter: number;
  sessions: Record<string, StsSession>;
}

export function stsState(world: { section<T extends object>(name: string, init: () => T): T }): StsState {
  return world.section<StsState>('sts', () => ({ counter: 0, sessions: {} }));
}

/** Drops sessions that expired before `now`, so the persisted state stays small. */
/**
 * How long an expired session is remembered: AWS answers an expired token with ExpiredToken (the
 * token describes itself), so forgetting it at once would turn that into InvalidClientTokenId.
 */
export const EXPIRED_SESSION_RETENTION_MS = 24 * 60 * 60 * 1000;

export function pruneExpiredSessions(state: StsState, now: number): number {
  let removed = 0;
  for (const [key, session] of Object.entries(state.sessions)) {
    if (session.expiration + EXPIRED_SESSION_RETENTION_MS <= now) {
      delete state.sessions[key];
      removed += 1;
    }
  }
  return removed;
}

export const NAME_CHARS = /^[\w+=,.@-]*$/;

export function validationError(field: string, value: string, constraint: string): AwsError {
  return new AwsError(
    'ValidationError',
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

export function checkLength(field: string, value: string, min: number, max: number): void {
  if (value.length < min)
    throw validationError(field, value, `Member must have length greater than or equal to ${min}`);
  if (value.length > max)
    throw validationError(field, value, `Member must have length less than or equal to ${max}`);
}

/**
 * Session policies of an AssumeRole call: the inline `Policy` (at most 2,048 characters, STS API
 * reference AssumeRole "Policy") and the managed policies of `PolicyArns` (at most 10), as JSON text.
 */
export function sessionPoliciesOf(
  params: Record<string, unknown>,
  world: World,
  callerArn: string,
): string[] {
  const out: string[] = [];
  if (params.Policy !== undefined) {
    const text = String(params.Policy);
    if (text.length > 2048) {
      throw validationError(
        'policy',
        `${text.slice(0, 40)}...`,
        'Member must have length less than or equal to 2048',
      );
    }
    try {
      parsePolicy(text, 'the session policy');
    } catch (error) {
      throw new AwsError('MalformedPolicyDocument', (error as Error).message);
    }
    out.push(text);
  }
  const arns = Array.isArray(params.PolicyArns) ? (params.PolicyArns as Array<{ arn?: unknown }>) : [];
  if (arns.length > 10) {
    throw validationError(
      'policyArns',
      `${arns.length} items`,
      'Member must have length less than or equal to 10',
    );
  }
  for (const entry of arns) {
    const arn = String(entry?.arn ?? '');
    const aws = /^arn:aws[a-z-]*:iam::aws:policy\//.test(arn) ? awsManagedPolicy(arn) : undefined;
    const text = aws ? JSON.stringify(aws) : findManagedPolicy(iamSection(world), arn)?.document;
    if (text === undefined) {
      throw new AwsError(
        'NoSuchEntity',
        `Policy ${arn} does not exist or is not attachable. (caller ${callerArn})`,
        404,
      );
    }
    out.push(text);
  }
  return out;
}

/** PackedPolicySize: the share (percent) of the packed session policy limit the policies use. */
export function packedPolicySize(policies: string[]): number {
  const size = policies.reduce((n, p) => n + p.replace(/\s+/g, '').length, 0);
  return Math.ceil((size / 2048) * 100);
}

function notAuthorized(caller: Caller, roleArn: string): AwsError {
  return new AwsError(
    'AccessDenied',
    `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    403,
  );
}

/**
 * A federated user session may call no STS operation but GetCallerIdentity (IAM User Guide,
 * id_credentials_temp_request, "Compare AWS STS credentials": GetFederationToken sessions "cannot
 * call AWS STS API operations except GetCallerIdentity").
 */
export function federatedStsDenied(caller: Caller, operation: string, resource: string): AwsError {
  return new AwsError(
    'AccessDenied',
    `User: ${caller.arn} is not authorized to perform: sts:${operation} on resource: ${resource}`,
    403,
  );
}

/** The caller a request signed with a session's key is (a role session or a federated user). */
export function sessionCaller(accessKeyId: string, session: StsSession): Caller {
  const caller: Caller = session.federatedUser
    ? {
        accountId: session.accountId,
        accessKeyId,
        arn: `arn:aws:sts::${session.accountId}:federated-user/${session.federatedUser.name}`,
        federatedUser: { ...session.federatedUser },
      }
    : {
        accountId: session.accountId,
        accessKeyId,
        arn: `arn:aws:sts::${session.accountId}:assumed-role/${session.roleName}/${session.sessionName}`,
        roleName: session.roleName,
        sessionName: session.sessionName,
      };
  if (session.sourceIdentity !== undefined) caller.sourceIdentity = session.sourceIdentity;
  if (session.issuedAt !== undefined) caller.issuedAt = session.issuedAt;
  if (session.sessionPolicies !== undefined) caller.sessionPolicies = session.sessionPolicies;
  return caller;
}

const secretsCache = new Map<string, { secretAccessKey: string; sessionToken: string }>();

/** The secret and session token of a session key (deterministic for a seed, cached). */
export function sessionSecrets(
  seed: number,
  accessKeyId: string,
): { secretAccessKey: string; sessionToken: string } {
  const cacheKey = `${seed}/${accessKeyId}`;
  let secrets = secretsCache.get(cacheKey);
  if (!secrets) {
    const mac = createHmac('sha256', `stackfleet-sandbox-${seed}`).update(accessKeyId).digest('base64');
    secrets = {
      secretAccessKey: mac.slice(0, 40),
      sessionToken: `IQoJsandbox${Buffer.from(`${accessKeyId}:${mac}`).toString('base64')}`,
    };
    if (secretsCache.size > 50_000) secretsCache.clear();
    secretsCache.set(cacheKey, secrets);
  }
  return secrets;
}

export function issueKeys(
  world: World,
  state: StsState,
): { accessKeyId: string; secretAccessKey: string; sessionToken: string } {
  state.counter += 1;
  const accessKeyId = `ASIA${state.counter.toString(36).toUpperCase().padStart(16, '0')}`;
  return { accessKeyId, ...sessionSecrets(world.scenario.seed, accessKeyId) };
}

function assumeRole(params: Record<string, unknown>, ctx: OperationContext) {
  const world = ctx.world as World;
  const roleArn = String(params.RoleArn ?? '');
  const sessionName = String(params.RoleSessionName ?? '');
  checkLength('roleArn', roleArn, 20, 2048);
  checkLength('roleSessionName', sessionName, 2, 64);
  if (!NAME_CHARS.test(sessionName)) {
    throw validationError(
      'roleSessionName',
      sessionName,
      'Member must satisfy regular expression pattern: [\\w+=,.@-]*',
    );
  }
  const arn = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/.exec(roleArn);
  if (!arn) throw new AwsError('ValidationError', `${roleArn} is invalid`);
  const [, accountId = ''] = arn;
  const externalId = params.ExternalId === undefined ? undefined : String(params.ExternalId);
  if (externalId !== undefined) {
    checkLength('externalId', externalId, 2, 1224);
    if (!/^[\w+=,.@:/-]*$/.test(externalId)) {
      throw validationError(
        'externalId',
        externalId,
        'Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*',
      );
    }
  }
  let sourceIdentity = params.SourceIdentity === undefined ? undefined : String(params.SourceIdentity);
  if (sourceIdentity !== undefined) {
    checkLength('sourceIdentity', sourceIdentity, 2, 64);
    if (!NAME_CHARS.test(sourceIdentity)) {
      throw validationError(
        'sourceIdentity',
        sourceIdentity,
        'Member must satisfy regular expression pattern: [\\w+=,.@-]*',
      );
    }
  }
  if (ctx.caller.federatedUser !== undefined) throw federatedStsDenied(ctx.caller, 'AssumeRole', roleArn);
  const chained = ctx.caller.roleName !== undefined;
  if (ctx.caller.sourceIdentity !== undefined) {
    // SourceIdentity survives role chaining and cannot be changed once set.
    if (sourceIdentity !== undefined && sourceIdentity !== ctx.caller.sourceIdentity)
      throw notAuthorized(ctx.caller, roleArn);
    sourceIdentity = ctx.caller.sourceIdentity;
  }
  const duration = params.DurationSeconds === undefined ? 3600 : Number(params.DurationSeconds);
  if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) {
    throw validationError(
      'durationSeconds',
      String(params.DurationSeconds),
      duration < 900
        ? 'Member must have value greater than or equal to 900'
        : 'Member must have value less than or equal to 43200',
    );
  }
  if (chained && duration > 3600) {
    throw new AwsError(
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  }

  // The role must exist and its trust policy must admit the caller (with the caller's own identity
  // policies where the trust names only the account, and both sides across accounts: IAM User
  // Guide, id_roles_compare-resource-policies). AWS answers every refusal with the same AccessDenied.
  const role = findRoleByArn(iamSection(world), roleArn);
  if (!role) throw notAuthorized(ctx.caller, roleArn);
  const trustContext: Record<string, string> = { 'sts:RoleSessionName': sessionName };
  if (externalId !== undefined) trustContext['sts:ExternalId'] = externalId;
  if (sourceIdentity !== undefined) trustContext['sts:SourceIdentity'] = sourceIdentity;
  const trust = (action: string) =>
    ctx.iam.decide({
      action,
      resource: role.arn,
      resourceAccountId: role.accountId,
      resourcePolicy: role.trustPolicy,
      resourcePolicyMode: 'role-trust',
      context: trustContext,
    }).decision.effect === 'Allow';
  if (!trust('sts:AssumeRole')) throw notAuthorized(ctx.caller, roleArn);
  // Setting a source identity for the first time needs sts:SetSourceIdentity in the trust policy
  // (IAM User Guide, id_credentials_temp_control-access_monitor: "sts:SetSourceIdentity").
  if (
    params.SourceIdentity !== undefined &&
    ctx.caller.sourceIdentity === undefined &&
    !trust('sts:SetSourceIdentity')
  ) {
    throw new AwsError(
      'AccessDenied',
      `User: ${ctx.caller.arn} is not authorized to perform: sts:SetSourceIdentity on resource: ${roleArn}`,
      403,
    );
  }
  if (duration > role.maxSessionDuration) {
    throw new AwsError(
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }
  const sessionPolicies = sessionPoliciesOf(params, world, ctx.caller.arn);

  const state = stsState(world);
  if (state.counter % 1000 === 0) pruneExpiredSessions(state, ctx.now());
  const keys = issueKeys(world, state);
  const expiration = ctx.now() + duration * 1000;
  const session: StsSession = {
    accountId,
    roleName: role.name,
    sessionName,
    expiration,
    issuedAt: ctx.now(),
  };
  if (sessionPolicies.length > 0) session.sessionPolicies = sessionPolicies;
  if (sourceIdentity !== undefined) session.sourceIdentity = sourceIdentity;
  state.sessions[keys.accessKeyId] = session;
  const roleId = role.roleId;
  return {
    Credentials: {
      AccessKeyId: keys.accessKeyId,
      SecretAccessKey: keys.secretAccessKey,
      SessionToken: keys.sessionToken,
      Expiration: new Date(expiration),
    },
    AssumedRoleUser: {
      AssumedRoleId: `${roleId}:${sessionName}`,
      Arn: `arn:aws:sts::${accountId}:assumed-role/${role.name}/${sessionName}`,
    },
    PackedPolicySize: packedPolicySize(sessionPolicies),
    SourceIdentity: sourceIdentity,
  };
}

function getCallerIdentity(_params: unknown, ctx: OperationContext) {
  const { caller } = ctx;
  const userId = String(ctx.iam.who.context['aws:userid'] ?? caller.accountId);
  return { UserId: userId, Account: caller.accountId, Arn: caller.arn };
}

/** Credentials of a session a service principal opened on a role (see `assumeRoleAsService`). */
export interface ServiceSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: number;
  arn: string;
}

/**
 * A service principal (`lambda.amazonaws.com`, `states.amazonaws.com`, `cloudformation.amazonaws.com`)
 * assumes a role on its own behalf, as the service does before it acts with the role: the role must
 * exist and its trust policy must allow the service with the request context that service sends
 * (`context`: e.g. aws:SourceArn and aws:SourceAccount for Step Functions, nothing for CloudFormation).
 * Returns the session, or the AWS-shaped AccessDenied the service would meet.
 */
export function assumeRoleAsService(
  world: World,
  input: {
    service: string;
    roleArn: string;
    sessionName: string;
    now: number;
    context?: Record<string, string>;
    durationSeconds?: number;
  },
): ServiceSession | AwsError {
  const role = findRoleByArn(iamSection(world), input.roleArn);
  const denied = new AwsError(
    'AccessDenied',
    `${input.service} is not authorized to perform: sts:AssumeRole on resource: ${input.roleArn}`,
    403,
  );
  if (!role) return denied;
  const who = servicePrincipal(input.service);
  const { decision } = decide(
    world,
    who,
    {
      action: 'sts:AssumeRole',
      resource: role.arn,
      resourceAccountId: role.accountId,
      resourcePolicy: role.trustPolicy,
      resourcePolicyMode: 'role-trust',
      context: { 'sts:RoleSessionName': input.sessionName, ...(input.context ?? {}) },
    },
    { region: 'us-east-1', now: input.now },
  );
  if (decision.effect !== 'Allow') return denied;
  const state = stsState(world);
  const keys = issueKeys(world, state);
  const expiration = input.now + (input.durationSeconds ?? Math.min(role.maxSessionDuration, 3600)) * 1000;
  state.sessions[keys.accessKeyId] = {
    accountId: role.accountId,
    roleName: role.name,
    sessionName: input.sessionName,
    expiration,
    issuedAt: input.now,
  };
  return {
    ...keys,
    expiration,
    arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${input.sessionName}`,
  };
}

export function createStsService(): ServiceEmulator {
  return {
    signingName: 'sts',
    protocol: 'query',
    xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
    operations: {
      AssumeRole: assumeRole,
      GetCallerIdentity: getCallerIdentity,
      GetFederationToken: getFederationToken,
    },
  };
}

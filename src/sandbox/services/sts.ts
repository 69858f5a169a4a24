/**
 * STS: AssumeRole into member accounts and GetCallerIdentity. Sessions are kept in the world
 * state so keys issued in one command still work in the next, and they expire in virtual time,
 * so a long simulated rollout meets ExpiredToken just as a real one would.
 */
import { createHmac } from 'node:crypto';
import { AwsError, type Caller, type OperationContext, type ServiceEmulator } from '../types';
import type { World } from '../world';

/**
 * A temporary session issued by AssumeRole. Its secret and token are derived from the access
 * key id and the scenario seed (`sessionSecrets`), so the persisted record stays small even with
 * tens of thousands of live sessions in a large rollout.
 */
export interface StsSession {
  accountId: string;
  roleName: string;
  sessionName: string;
  sourceIdentity?: string;
  /** Virtual epoch ms. */
  expiration: number;
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

const NAME_CHARS = /^[\w+=,.@-]*$/;

function validationError(field: string, value: string, constraint: string): AwsError {
  return new AwsError(
    'ValidationError',
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

function checkLength(field: string, value: string, min: number, max: number): void {
  if (value.length < min)
    throw validationError(field, value, `Member must have length greater than or equal to ${min}`);
  if (value.length > max)
    throw validationError(field, value, `Member must have length less than or equal to ${max}`);
}

/** The roles that exist in an account: the execution role (unless missing) and the org access role. */
export function roleExists(world: World, accountId: string, roleName: string): boolean {
  const account = world.accounts.get(accountId);
  if (!account) return false;
  if (roleName === world.scenario.executionRoleName) return account.executionRole !== 'missing';
  return roleName === 'OrganizationAccountAccessRole' && accountId !== world.managementAccountId;
}

function notAuthorized(caller: Caller, roleArn: string): AwsError {
  return new AwsError(
    'AccessDenied',
    `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    403,
  );
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

function issueKeys(
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
  const [, accountId = '', roleName = ''] = arn;
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
  if (duration > 3600) {
    throw new AwsError(
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }

  // Trust: the role must exist, trust the caller (a member of the organisation), not deny, and
  // get the ExternalId it requires. AWS answers all of these with the same AccessDenied.
  const account = world.accounts.get(accountId);
  if (!account || !roleExists(world, accountId, roleName)) throw notAuthorized(ctx.caller, roleArn);
  if (!world.isMember(ctx.caller.accountId)) throw notAuthorized(ctx.caller, roleArn);
  if (roleName === world.scenario.executionRoleName) {
    if (account.executionRole === 'deny') throw notAuthorized(ctx.caller, roleArn);
    if (world.scenario.externalId !== undefined && externalId !== world.scenario.externalId) {
      throw notAuthorized(ctx.caller, roleArn);
    }
  } else if (ctx.caller.accountId !== world.managementAccountId) {
    throw notAuthorized(ctx.caller, roleArn);
  }

  const state = stsState(world);
  if (state.counter % 1000 === 0) pruneExpiredSessions(state, ctx.now());
  const keys = issueKeys(world, state);
  const expiration = ctx.now() + duration * 1000;
  const session: StsSession = {
    accountId,
    roleName,
    sessionName,
    expiration,
  };
  if (sourceIdentity !== undefined) session.sourceIdentity = sourceIdentity;
  state.sessions[keys.accessKeyId] = session;
  const roleId = `AROA${createHmac('sha256', 'role').update(`${accountId}/${roleName}`).digest('hex').slice(0, 17).toUpperCase()}`;
  return {
    Credentials: {
      AccessKeyId: keys.accessKeyId,
      SecretAccessKey: keys.secretAccessKey,
      SessionToken: keys.sessionToken,
      Expiration: new Date(expiration),
    },
    AssumedRoleUser: {
      AssumedRoleId: `${roleId}:${sessionName}`,
      Arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
    },
    PackedPolicySize: 0,
    SourceIdentity: sourceIdentity,
  };
}

function getCallerIdentity(_params: unknown, ctx: OperationContext) {
  const { caller } = ctx;
  const userId =
    caller.roleName !== undefined
      ? `AROA${createHmac('sha256', 'role').update(`${caller.accountId}/${caller.roleName}`).digest('hex').slice(0, 17).toUpperCase()}:${caller.sessionName}`
      : caller.accountId;
  return { UserId: userId, Account: caller.accountId, Arn: caller.arn };
}

export function createStsService(): ServiceEmulator {
  return {
    signingName: 'sts',
    protocol: 'query',
    xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
    operations: { AssumeRole: assumeRole, GetCallerIdentity: getCallerIdentity },
  };
}

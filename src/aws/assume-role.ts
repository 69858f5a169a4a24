import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { executionRoleArn, roleSessionName, SOURCE_IDENTITY } from '../core/names';
import { mapAssumeRoleError } from './aws-errors';
import { awsClients } from './clients';

/**
 * Credentials for the execution role in a target account. Each function assumes the role
 * itself (credentials never travel through state), and keeps them in module scope like a warm
 * Lambda does, so Check stack every few seconds does not call STS every time.
 */

export interface ExecutionRoleRequest {
  readonly accountId: string;
  readonly roleName: string;
  readonly rolloutId: string;
  /** Target region; picks the partition of the role ARN. */
  readonly region: string;
  readonly externalId?: string;
}

/** Credentials are renewed when less than this is left, so no call runs on a session that expires mid-flight. */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;
/** Used when STS answers without an expiration (it always sends one; the sandbox might not). */
const ASSUMED_LIFETIME_FALLBACK_MS = 15 * 60_000;

interface CacheEntry {
  credentials: Promise<AwsCredentialIdentity>;
  expiresAt: number;
}

const cache = new Map<string, CacheEntry>();

/** Forgets every cached session (tests; a cold start). */
export function clearCredentialCache(): void {
  cache.clear();
}

/** The region STS is called in: the function's own (AWS_REGION in Lambda), so a disabled target region cannot block it. */
function stsRegion(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

async function assume(
  request: ExecutionRoleRequest,
  roleArn: string,
  entry: CacheEntry,
): Promise<AwsCredentialIdentity> {
  const sts = awsClients.sts({ region: stsRegion() });
  try {
    const answer = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: roleSessionName(request.rolloutId),
        SourceIdentity: SOURCE_IDENTITY,
        ...(request.externalId === undefined ? {} : { ExternalId: request.externalId }),
      }),
    );
    const c = answer?.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) {
      throw new Error(`STS answered AssumeRole for ${roleArn} without credentials`);
    }
    const expiration = c.Expiration ? new Date(c.Expiration) : undefined;
    entry.expiresAt = expiration ? expiration.getTime() : Date.now() + ASSUMED_LIFETIME_FALLBACK_MS;
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      ...(expiration ? { expiration } : {}),
    };
  } catch (error) {
    throw mapAssumeRoleError(error, {
      accountId: request.accountId,
      region: request.region,
      roleArn,
      operation: 'AssumeRole',
    });
  }
}

/**
 * Assumes `arn:aws:iam::<account>:role/<roleName>` with session `stackfleet-<rolloutId>`,
 * SourceIdentity `stackfleet` and the ExternalId, or returns cached credentials that are not
 * about to expire. Concurrent callers for the same session share one STS call.
 * Throws `RoleNotAssumable` when the role refuses, `Throttled`/`TransientError` when worth retrying.
 */
export async function assumeExecutionRole(request: ExecutionRoleRequest): Promise<AwsCredentialIdentity> {
  const roleArn = executionRoleArn(request.accountId, request.roleName, request.region);
  const key = [roleArn, roleSessionName(request.rolloutId), request.externalId ?? ''].join('|');
  const cached = cache.get(key);
  if (cached && cached.expiresAt - Date.now() > REFRESH_BEFORE_EXPIRY_MS) return cached.credentials;

  // Until STS answers, the entry counts as fresh so parallel callers wait on the same promise.
  const entry = { expiresAt: Number.POSITIVE_INFINITY } as CacheEntry;
  const pending = assume(request, roleArn, entry);
  entry.credentials = pending;
  cache.set(key, entry);
  try {
    return await pending;
  } catch (error) {
    // A refusal must not be remembered: the operator may fix the role and the workflow retries.
    if (cache.get(key) === entry) cache.delete(key);
    throw error;
  }
}

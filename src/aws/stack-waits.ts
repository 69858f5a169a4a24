/**
 * The token store in S3 and the two sides that meet in it (records: src/core/stack-waits.ts).
 *
 * One object per stack operation; whoever writes first wins with a conditional write
 * (`If-None-Match: *`), and a replacement names the version it replaces (`If-Match: <etag>`), so:
 * - Register stack wait creates the waiter; if the object exists it is either an event that came
 *   first (the task is told to check now) or an older waiter whose task is closed (replaced).
 * - Match stack event reads the waiter and completes its task; with nobody waiting (no object, an
 *   expired one, or a waiter whose task already closed) it leaves the event for the next
 *   registration of the operation.
 * An event and a registration that cross each other cannot both miss: each writes before it
 * reads, and S3 is strongly consistent, so the later of the two sees the earlier's object. An event
 * that is lost, late, duplicated or out of order costs speed only: the waiting task times out and
 * Check stack polls, exactly as without events. A completed waiter is removed (only the version it
 * read: `If-Match`); everything else expires.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { StackFleetError, TransientError } from '../core/errors';
import {
  EVENT_RECORD_SECONDS,
  EVENTS_FLOWING_SECONDS,
  type EventRecord,
  eventsFlowingAt,
  eventsFlowingKey,
  isExpired,
  parseStackWaitRecord,
  STACK_WAIT_BUCKET_VARIABLE,
  type StackStatusFacts,
  type StackWaitRecord,
  stackWaitKey,
  type WaiterRecord,
} from '../core/stack-waits';
import { functionEnvironment } from './ambient-identity';
import { awsErrorCode } from './aws-errors';
import { awsClients, currentAwsTransport } from './clients';

/** The bucket of the token store, read once per call from the function's environment. */
export function stackWaitBucket(): string {
  const bucket = functionEnvironment(STACK_WAIT_BUCKET_VARIABLE);
  if (!bucket) {
    throw new StackFleetError(
      `${STACK_WAIT_BUCKET_VARIABLE} must name the stack-wait bucket (the admin stack sets it). Received: ${bucket === undefined ? 'nothing' : '""'}`,
    );
  }
  return bucket;
}

export interface StoredRecord {
  record: StackWaitRecord;
  etag: string;
}

/** Conditional reads and writes of one record per key. */
export interface StackWaitStore {
  get(key: string): Promise<StoredRecord | undefined>;
  /** Writes only where no object is; false when one is there. */
  create(key: string, record: StackWaitRecord): Promise<boolean>;
  /** Writes over exactly the version `etag`; false when it changed or is gone. */
  replace(key: string, record: StackWaitRecord, etag: string): Promise<boolean>;
  /** Removes exactly the version `etag`; a changed or missing object stays as it is. */
  remove(key: string, etag: string): Promise<void>;
}

const status = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

function storeError(operation: string, key: string, error: unknown): Error {
  const code = awsErrorCode(error) ?? 'Error';
  const message = `${operation} of the stack wait ${key} failed: ${code}: ${(error as Error)?.message ?? String(error)}`;
  if (
    code === 'SlowDown' ||
    code === 'ServiceUnavailable' ||
    code === 'InternalError' ||
    (status(error) ?? 0) >= 500
  )
    return new TransientError(message, { cause: error });
  return new StackFleetError(message, { cause: error });
}

/** The store in an S3 bucket of the admin account (the function's own identity). */
export function s3StackWaitStore(bucket: string, region: string): StackWaitStore {
  const s3 = () => awsClients.s3({ region });
  const put = async (
    key: string,
    record: StackWaitRecord,
    condition: { IfNoneMatch?: string; IfMatch?: string },
  ) => {
    try {
      await s3().send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(record),
          ContentType: 'application/json',
          ...condition,
        }),
      );
      return true;
    } catch (error) {
      // 412: the condition did not hold; 404: the object to replace is gone; 409: a concurrent write.
      if (status(error) === 412 || status(error) === 404 || status(error) === 409) return false;
      throw storeError('PutObject', key, error);
    }
  };
  return {
    async get(key) {
      try {
        const answer = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const record = parseStackWaitRecord((await answer.Body?.transformToString()) ?? '');
        return record && answer.ETag ? { record, etag: answer.ETag } : undefined;
      } catch (error) {
        if (status(error) === 404 || awsErrorCode(error) === 'NoSuchKey') return undefined;
        throw storeError('GetObject', key, error);
      }
    },
    create: (key, record) => put(key, record, { IfNoneMatch: '*' }),
    replace: (key, record, etag) => put(key, record, { IfMatch: etag }),
    async remove(key, etag) {
      try {
        await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }));
      } catch (error) {
        if (status(error) === 412 || status(error) === 404 || status(error) === 409) return;
        throw storeError('DeleteObject', key, error);
      }
    },
  };
}

/**
 * What this process (a warm Lambda container) last wrote or read of each region's marker, per
 * transport (a sandbox configures its own) and bucket: the marker says "events came within
 * EVENTS_FLOWING_SECONDS" (6 hours), so writing it for every forwarded event, and reading it for
 * every Deploy stack, were an S3 request per target each that told nothing new.
 */
const markers = new WeakMap<object, { written: Map<string, number>; read: Map<string, number> }>();

/** A container writes a region's marker again only this long after it last did. */
export const EVENTS_FLOWING_REWRITE_SECONDS = 300;
/** A container trusts a marker it read (that said "flowing") this long, at most until it expires. */
export const EVENTS_FLOWING_REREAD_SECONDS = 60;

function markersOfThisTransport() {
  const transport = currentAwsTransport();
  let entry = markers.get(transport);
  if (!entry) {
    entry = { written: new Map(), read: new Map() };
    markers.set(transport, entry);
  }
  return entry;
}

/**
 * Notes that a forwarded event of `region` came now (Deploy stack reads it: eventsFlowingKey);
 * skipped when this container wrote it less than EVENTS_FLOWING_REWRITE_SECONDS ago.
 */
export async function markEventsFlowing(
  bucket: string,
  adminRegion: string,
  region: string,
  now: Date,
): Promise<void> {
  const key = eventsFlowingKey(region);
  const written = markersOfThisTransport().written;
  const cacheKey = `${adminRegion}/${bucket}/${key}`;
  const last = written.get(cacheKey);
  const ms = now.getTime();
  if (last !== undefined && last <= ms && ms - last < EVENTS_FLOWING_REWRITE_SECONDS * 1000) return;
  try {
    await awsClients.s3({ region: adminRegion }).send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify({ lastEventAt: now.toISOString() }),
        ContentType: 'application/json',
      }),
    );
  } catch (error) {
    throw storeError('PutObject', key, error);
  }
  written.set(cacheKey, ms);
}

/**
 * Whether forwarded events of `region` came lately; false when unknown or unreadable (poll as
 * usual). A "flowing" answer is kept for EVENTS_FLOWING_REREAD_SECONDS (never past the marker's
 * own expiry); "not flowing" is read again every time, so the first event counts at once.
 */
export async function eventsFlowing(
  bucket: string,
  adminRegion: string,
  region: string,
  now: Date,
): Promise<boolean> {
  const read = markersOfThisTransport().read;
  const cacheKey = `${adminRegion}/${bucket}/${region}`;
  const ms = now.getTime();
  const until = read.get(cacheKey);
  if (until !== undefined && ms < until) return true;
  let text: string | undefined;
  try {
    const answer = await awsClients
      .s3({ region: adminRegion })
      .send(new GetObjectCommand({ Bucket: bucket, Key: eventsFlowingKey(region) }));
    text = await answer.Body?.transformToString();
  } catch {
    return false;
  }
  if (!eventsFlowingAt(text, now)) {
    read.delete(cacheKey);
    return false;
  }
  // eventsFlowingAt parsed it: lastEventAt is a date.
  const lastEventAt = Date.parse((JSON.parse(text as string) as { lastEventAt: string }).lastEventAt);
  read.set(
    cacheKey,
    Math.min(ms + EVENTS_FLOWING_REREAD_SECONDS * 1000, lastEventAt + EVENTS_FLOWING_SECONDS * 1000),
  );
  return true;
}

/** How a waiting task is answered. */
export type StackWaitOutcome =
  | { kind: 'success'; output: unknown }
  | { kind: 'failure'; error: string; cause: string };

/** SendTaskSuccess / SendTaskFailure; `closed` when the task no longer waits (AWS: TaskTimedOut, InvalidToken, TaskDoesNotExist). */
export interface TaskCallbacks {
  send(token: string, outcome: StackWaitOutcome): Promise<'sent' | 'closed'>;
}

// Step Functions API Reference, SendTaskSuccess / SendTaskFailure "Errors": TaskTimedOut ("The task
// token has either expired or the task associated with the token has already been closed"),
// InvalidToken, TaskDoesNotExist. Each means nobody waits on this token any more.
const CLOSED = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

export function sfnTaskCallbacks(region: string): TaskCallbacks {
  return {
    async send(token, outcome) {
      const sfn = awsClients.sfn({ region });
      try {
        if (outcome.kind === 'success') {
          await sfn.send(
            new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(outcome.output) }),
          );
        } else {
          await sfn.send(
            new SendTaskFailureCommand({ taskToken: token, error: outcome.error, cause: outcome.cause }),
          );
        }
        return 'sent';
      } catch (error) {
        if (CLOSED.has(awsErrorCode(error) ?? '')) return 'closed';
        throw error;
      }
    },
  };
}

/** Tries of a compare-and-set loop before giving up (each lost race means someone else moved on). */
const ATTEMPTS = 4;

export type RegisterResult =
  | { registered: true; key: string; replaced: boolean }
  | { registered: false; key: string; eventFirst: EventRecord };

/**
 * Files the waiter for its operation. When the operation's final event is already there, nothing
 * is filed: the caller tells the task to check at once.
 */
export async function registerStackWait(
  store: StackWaitStore,
  waiter: WaiterRecord,
  now: Date,
): Promise<RegisterResult> {
  const stackId = waiter.progress.stackId ?? '';
  const key = stackWaitKey(stackId, waiter.progress.clientRequestToken ?? '');
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await store.create(key, waiter)) return { registered: true, key, replaced: false };
    const found = await store.get(key);
    if (!found) continue;
    if (found.record.kind === 'event' && !isExpired(found.record, now)) {
      await store.remove(key, found.etag);
      return { registered: false, key, eventFirst: found.record };
    }
    // An older waiter of this operation (its task timed out or was retried), or an expired record.
    if (await store.replace(key, waiter, found.etag)) return { registered: true, key, replaced: true };
  }
  throw new TransientError(
    `Could not file the stack wait ${key}: it changed ${ATTEMPTS} times while being written`,
  );
}

export type MatchResult =
  | { result: 'ignored'; why: string }
  | { result: 'completed'; key: string; outcome: StackWaitOutcome['kind'] }
  | { result: 'kept'; key: string; why: string }
  | { result: 'duplicate'; key: string };

/**
 * Hands an operation's final event to the task waiting for it. `answer` turns the waiter and the
 * event into the task's outcome (it may read the target's events for a failure's reason).
 */
export async function matchStackEvent(
  store: StackWaitStore,
  callbacks: TaskCallbacks,
  facts: StackStatusFacts,
  now: Date,
  answer: (waiter: WaiterRecord) => Promise<StackWaitOutcome>,
): Promise<MatchResult> {
  if (facts.clientRequestToken === '')
    return {
      result: 'ignored',
      why: 'the operation has no ClientRequestToken (stackfleet starts none without)',
    };
  const key = stackWaitKey(facts.stackId, facts.clientRequestToken);
  const event: EventRecord = {
    kind: 'event',
    status: facts.status,
    reason: facts.reason,
    time: facts.time,
    expiresAt: new Date(now.getTime() + EVENT_RECORD_SECONDS * 1000).toISOString(),
  };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const found = await store.get(key);
    if (!found) {
      if (await store.create(key, event))
        return { result: 'kept', key, why: 'nobody waits for this operation yet' };
      continue;
    }
    if (isExpired(found.record, now)) {
      if (await store.replace(key, event, found.etag))
        return { result: 'kept', key, why: 'the waiter had expired' };
      continue;
    }
    if (found.record.kind === 'event') return { result: 'duplicate', key };
    const outcome = await answer(found.record);
    if ((await callbacks.send(found.record.taskToken, outcome)) === 'sent') {
      await store.remove(key, found.etag);
      return { result: 'completed', key, outcome: outcome.kind };
    }
    // The waiter's task closed (it timed out and polls now): keep the event for its next wait.
    if (await store.replace(key, event, found.etag))
      return { result: 'kept', key, why: "the waiter's task had already closed" };
  }
  throw new TransientError(
    `Could not settle the stack wait ${key}: it changed ${ATTEMPTS} times while being read`,
  );
}

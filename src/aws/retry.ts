import { StackFleetError, ThrottledError, TransientError } from '../core/errors';

/**
 * Retries for the planning calls (Organizations, EC2, STS, S3) of "Validate input", "Plan targets"
 * and the CLI's checks before a rollout: throttling and transient errors are retried with capped
 * exponential backoff and a deterministic full jitter, on top of the SDK's own attempts.
 */
export interface RetryOptions {
  /** Base of the backoff between attempts on throttling (ms); tests make it small. */
  retryBaseMs?: number;
  /** Attempts per call on throttling/transient errors, on top of the SDK's own retries. */
  maxAttempts?: number;
}

export function errorCode(error: unknown): string {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e?.Code ?? e?.name ?? '';
}

const RETRYABLE =
  /throttl|toomanyrequests|requestlimitexceeded|slowdown|serviceunavailable|internal|timeout|transient/i;

function isRetryable(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return RETRYABLE.test(errorCode(error)) || (status !== undefined && status >= 500);
}

/** A deterministic jitter in [0, 1): the same call and attempt always waits the same (simulated) time. */
function jitter(label: string, attempt: number): number {
  let h = 2166136261;
  for (const ch of `${label}#${attempt}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return ((h >>> 0) % 10_000) / 10_000;
}

/**
 * Runs an AWS call, retrying throttling and transient errors with capped exponential backoff and
 * full jitter, on top of the SDK's own attempts. After the last attempt it throws Throttled or
 * TransientError, which the state machine retries as a whole.
 */
export async function withRetries<T>(
  label: string,
  call: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const attempts = options.maxAttempts ?? 6;
  const base = options.retryBaseMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (
        error instanceof StackFleetError &&
        !(error instanceof ThrottledError || error instanceof TransientError)
      )
        throw error;
      const retryable =
        error instanceof ThrottledError || error instanceof TransientError || isRetryable(error);
      if (!retryable) throw error;
      if (attempt >= attempts) {
        const message = `${label} still failing after ${attempts} attempts: ${(error as Error).message}`;
        throw /throttl|toomany|limitexceeded|slowdown/i.test(`${errorCode(error)} ${(error as Error).name}`)
          ? new ThrottledError(message, { cause: error })
          : new TransientError(message, { cause: error });
      }
      const delay = Math.min(5_000, base * 2 ** (attempt - 1)) * jitter(label, attempt);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Runs `work` over `items` with at most `limit` at once, keeping results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await work(items[index] as T);
    }
  });
  await Promise.all(runners);
  return out;
}

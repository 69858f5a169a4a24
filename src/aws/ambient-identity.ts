/**
 * The identity a Lambda function runs as. On AWS, Lambda puts the execution role's credentials in
 * the function's environment and the SDK's default chain finds them; the local engine runs every
 * function in one process, so each invocation carries its role's credentials in an async context
 * instead, and `src/aws/clients.ts` uses them wherever a client is made without explicit ones.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AwsCredentialIdentity } from '@smithy/types';

export interface AmbientIdentity {
  /** The function's role session. The same object for the session's life (clients are cached by it). */
  credentials: AwsCredentialIdentity;
  /** Who runs: the function name, so per-function caches (warm module scope on AWS) stay per function. */
  owner: string;
  /**
   * The function's environment variables as Lambda sets them (the deployed function's
   * configuration); `functionEnvironment` reads them, process.env on AWS.
   */
  environment?: Readonly<Record<string, string>>;
}

const storage = new AsyncLocalStorage<AmbientIdentity>();

/** Runs `work` as `identity`: every client made inside without credentials uses the identity's. */
export function runWithAmbientIdentity<T>(identity: AmbientIdentity, work: () => T): T {
  return storage.run(identity, work);
}

/** Runs `work` as no function (timers it makes are not bound to the caller's identity). */
export function outsideAmbientIdentity<T>(work: () => T): T {
  return storage.exit(work);
}

/** The identity of the function running now, if any. */
export function ambientIdentity(): AmbientIdentity | undefined {
  return storage.getStore();
}

/**
 * Binds a callback to the identity current when it is scheduled. Fake timers call their callbacks
 * from whoever advances the clock, outside the invocation's async context; the virtual clock binds
 * them so a retry after a backoff still runs as the function that scheduled it.
 */
export function bindToAmbientIdentity<F extends (...args: never[]) => unknown>(callback: F): F {
  const identity = storage.getStore();
  if (identity === undefined) return callback;
  return ((...args: never[]) => storage.run(identity, () => callback(...args))) as F;
}

/**
 * An environment variable of the function running now: its configured environment under the
 * local engine and the sandbox (every function runs in one process there), process.env on AWS.
 */
export function functionEnvironment(name: string): string | undefined {
  const environment = storage.getStore()?.environment;
  if (environment && Object.hasOwn(environment, name)) return environment[name];
  return process.env[name];
}

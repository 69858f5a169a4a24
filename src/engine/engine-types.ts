/** Types shared by the local engine and its parts (Distributed Map, Task dispatch). */
import type { S3Client } from '@aws-sdk/client-s3';
import type { PreparedDefinition } from './definition';
import type { EngineIdentity } from './identity';
import type { LambdaHandler } from './lambda-binding';
import type { Json } from './payload';
import type { EngineStore, StoredExecution, StoredMapRun } from './types';

export interface EngineOptions {
  /** Persisted records (the sandbox passes its world section); a fresh in-memory store otherwise. */
  store?: EngineStore;
  /** Seed of the deterministic ids (the scenario seed). */
  seed?: string | number;
  /** Lambda handlers by function name, in addition to (and ahead of) the `functions/` registry. */
  functions?: Record<string, LambdaHandler>;
  /** Virtual now (the world's clock); `Date.now` otherwise. */
  now?: () => number;
  /** Act as each state machine's role and run functions as theirs (the sandbox); see identity.ts. */
  identity?: EngineIdentity;
}

export interface StartExecutionInput {
  stateMachineArn: string;
  name?: string;
  /** JSON text; `{}` when absent. */
  input?: string;
  parentExecutionArn?: string;
}

/** How an execution ended, before it is written to its record. */
export type Outcome =
  | { kind: 'succeeded'; output: Json }
  | { kind: 'failed'; error?: string; cause?: string }
  | { kind: 'aborted'; error?: string; cause?: string }
  | { kind: 'timedOut' };

/** An execution running in this process. */
export interface LiveExecution {
  readonly execution: StoredExecution;
  readonly done: Promise<StoredExecution>;
  /** Child executions (nested .sync tasks, map run children) to stop with this one. */
  readonly children: Set<string>;
  stop(outcome: Outcome): void;
}

/** Internal view of an engine for the Distributed Map implementation. */
export interface EngineInternals {
  nextId(): string;
  now(): number;
  store: EngineStore;
  /** An S3 client acting as the execution's state machine role. */
  s3(region: string, execution: StoredExecution): S3Client;
  /** Throws the task error AWS would raise when the execution's role may not take `action` on `resource`. */
  authorizeAs(execution: StoredExecution, action: string, resource: string, error: string): void;
  startMapRunChild(options: {
    mapRun: StoredMapRun;
    processor: PreparedDefinition;
    input: Json;
    parent: StoredExecution;
  }): LiveExecution;
}

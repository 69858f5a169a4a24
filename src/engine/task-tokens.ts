/**
 * Task tokens of the callback pattern (`.waitForTaskToken`): issued when a callback task starts,
 * completed by SendTaskSuccess / SendTaskFailure, kept alive by SendTaskHeartbeat, closed by the
 * task's TimeoutSeconds / HeartbeatSeconds or by the end of its execution. A token names its
 * execution (so IAM can authorize a call on it against the state machine, as AWS does) and carries
 * a MAC of the engine's seed, so a token the engine did not issue is InvalidToken, not a lookup.
 *
 * What a call on a token answers (Step Functions API Reference, SendTaskSuccess "Errors"):
 * - the task is waiting: it completes (heartbeats reset its HeartbeatSeconds clock);
 * - the task is closed (completed, timed out, its execution ended): TaskTimedOut, "The task token
 *   has either expired or the task associated with the token has already been closed"; nothing
 *   changes, so a token completed twice is harmless;
 * - a token in the engine's format whose execution the engine never had: TaskDoesNotExist;
 * - anything else: InvalidToken.
 */
import { createHash } from 'node:crypto';
import { EngineError } from './errors';
import type { Json } from './payload';

/** SendTask* take tokens of 1-2048 characters (API Reference, SendTaskSuccess: taskToken). */
export const MAX_TASK_TOKEN_LENGTH = 2048;

/** What ends a waiting callback task. */
export type CallbackOutcome =
  | { kind: 'success'; output: Json }
  | { kind: 'failure'; error?: string; cause?: string }
  | { kind: 'timeout'; error: 'States.Timeout' | 'States.HeartbeatTimeout' }
  | { kind: 'closed' };

interface TokenPayload {
  /** Format version. */
  v: 1;
  /** The execution the token's task belongs to. */
  e: string;
  /** Unique per issue (a retry of the task gets a new token). */
  n: string;
  /** MAC over the rest with the engine's seed. */
  m: string;
}

function mac(seed: string, executionArn: string, nonce: string): string {
  return createHash('sha256').update(`${seed}\n${executionArn}\n${nonce}`).digest('base64url').slice(0, 22);
}

/**
 * The parts of a token in the engine's format (without checking its MAC); undefined for anything
 * else. Cheap and pure: IAM mapping reads the execution from it.
 */
export function decodeTaskToken(
  token: string,
): { executionArn: string; nonce: string; mac: string } | undefined {
  if (typeof token !== 'string' || token.length > MAX_TASK_TOKEN_LENGTH || !token.startsWith('AQ'))
    return undefined;
  try {
    const payload = JSON.parse(
      Buffer.from(token.slice(2), 'base64url').toString('utf8'),
    ) as Partial<TokenPayload>;
    if (
      payload.v !== 1 ||
      typeof payload.e !== 'string' ||
      typeof payload.n !== 'string' ||
      typeof payload.m !== 'string'
    )
      return undefined;
    return { executionArn: payload.e, nonce: payload.n, mac: payload.m };
  } catch {
    return undefined;
  }
}

/**
 * The state machine a token's task runs in: what SendTask* calls are authorized against. A map run
 * child (`execution:<machine>/<label>:<id>`) belongs to its machine.
 */
export function taskTokenStateMachineArn(token: string): string | undefined {
  const decoded = decodeTaskToken(token);
  const m =
    decoded &&
    /^(arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}):execution:([^:/]+)(?:\/[^:]*)?:[^:]+$/.exec(
      decoded.executionArn,
    );
  return m ? `${m[1]}:stateMachine:${m[2]}` : undefined;
}

/** One waiting callback task. */
interface OpenTask {
  executionArn: string;
  stateName: string;
  settle(outcome: CallbackOutcome): void;
  heartbeatMs?: number;
  heartbeatTimer?: ReturnType<typeof setTimeout>;
  timeoutTimer?: ReturnType<typeof setTimeout>;
}

/** A task waiting for its token, as the runner sees it. */
export interface TokenWait {
  readonly outcome: Promise<CallbackOutcome>;
  /** Closes the task (its invocation failed, or the runner gave up): later calls answer TaskTimedOut. */
  close(): void;
}

/**
 * The `$$.Task` object of one execution. Reading `Token` issues the token of the callback task
 * about to run (the package evaluates Parameters synchronously right before it calls the task's
 * handler, which takes the token), so the token in the Parameters is the token of that task.
 */
export interface TaskContext {
  /** What the execution's context object holds under `Task`. */
  readonly object: { readonly Token: string };
  /** The token issued for the task starting now, if its Parameters read one (then cleared). */
  take(): string | undefined;
}

export class TaskTokens {
  private readonly open = new Map<string, OpenTask>();

  constructor(
    private readonly seed: string,
    private readonly nextId: () => string,
    /** Whether the engine knows an execution (tokens of unknown ones are TaskDoesNotExist). */
    private readonly knowsExecution: (executionArn: string) => boolean,
  ) {}

  /** A new token for a task of `executionArn`. */
  issue(executionArn: string): string {
    const nonce = this.nextId();
    const payload: TokenPayload = { v: 1, e: executionArn, n: nonce, m: mac(this.seed, executionArn, nonce) };
    return `AQ${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  }

  contextFor(executionArn: string): TaskContext {
    let pending: string | undefined;
    const object = {} as { readonly Token: string };
    Object.defineProperty(object, 'Token', {
      enumerable: true,
      get: () => {
        pending ??= this.issue(executionArn);
        return pending;
      },
    });
    return {
      object,
      take: () => {
        const token = pending;
        pending = undefined;
        return token;
      },
    };
  }

  /**
   * Opens the task of `token`: from now on SendTask* calls reach it, until it is settled, times
   * out (TimeoutSeconds from now; HeartbeatSeconds from now and from each heartbeat) or closes.
   */
  wait(
    token: string,
    task: { executionArn: string; stateName: string; timeoutSeconds: number; heartbeatSeconds?: number },
  ): TokenWait {
    let resolve!: (outcome: CallbackOutcome) => void;
    const outcome = new Promise<CallbackOutcome>((r) => {
      resolve = r;
    });
    const entry: OpenTask = {
      executionArn: task.executionArn,
      stateName: task.stateName,
      settle: (o) => {
        if (this.open.get(token) !== entry) return;
        this.open.delete(token);
        if (entry.timeoutTimer !== undefined) clearTimeout(entry.timeoutTimer);
        if (entry.heartbeatTimer !== undefined) clearTimeout(entry.heartbeatTimer);
        resolve(o);
      },
    };
    this.open.set(token, entry);
    entry.timeoutTimer = setTimeout(
      () => entry.settle({ kind: 'timeout', error: 'States.Timeout' }),
      task.timeoutSeconds * 1000,
    );
    if (task.heartbeatSeconds !== undefined) {
      entry.heartbeatMs = task.heartbeatSeconds * 1000;
      this.armHeartbeat(entry);
    }
    return { outcome, close: () => entry.settle({ kind: 'closed' }) };
  }

  private armHeartbeat(entry: OpenTask): void {
    if (entry.heartbeatMs === undefined) return;
    if (entry.heartbeatTimer !== undefined) clearTimeout(entry.heartbeatTimer);
    entry.heartbeatTimer = setTimeout(
      () => entry.settle({ kind: 'timeout', error: 'States.HeartbeatTimeout' }),
      entry.heartbeatMs,
    );
  }

  /** SendTaskSuccess: `output` is the task's JSON result. */
  succeed(token: string, output: Json): void {
    this.require(token).settle({ kind: 'success', output });
  }

  /** SendTaskFailure. */
  fail(token: string, error?: string, cause?: string): void {
    this.require(token).settle({
      kind: 'failure',
      ...(error === undefined ? {} : { error }),
      ...(cause === undefined ? {} : { cause }),
    });
  }

  /** SendTaskHeartbeat: resets the HeartbeatSeconds clock (a task without one just stays open). */
  heartbeat(token: string): void {
    this.armHeartbeat(this.require(token));
  }

  /** Closes every waiting task of an execution that ended (stopped, timed out, failed elsewhere). */
  closeExecution(executionArn: string): void {
    for (const entry of [...this.open.values()]) {
      if (entry.executionArn === executionArn) entry.settle({ kind: 'closed' });
    }
  }

  /** Number of tasks waiting for a token. */
  get waiting(): number {
    return this.open.size;
  }

  private require(token: string): OpenTask {
    const entry = this.open.get(token);
    if (entry) return entry;
    const decoded = decodeTaskToken(token);
    if (!decoded || decoded.mac !== mac(this.seed, decoded.executionArn, decoded.nonce)) {
      throw new EngineError(
        'InvalidToken',
        `Invalid Token: 'taskToken' is not a token this service issued. Received: ${show(token)}`,
      );
    }
    if (!this.knowsExecution(decoded.executionArn)) {
      throw new EngineError(
        'TaskDoesNotExist',
        `Task Does Not Exist: the task of this token belongs to an execution that does not exist: ${decoded.executionArn}`,
      );
    }
    throw new EngineError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
  }
}

function show(token: string): string {
  return token.length > 60 ? `${token.slice(0, 60)}... (${token.length} characters)` : token;
}

/**
 * The progress record: what "Deploy stack" and "Check stack" return into `$.stack` of the
 * deploy-target state, and how a target's end (result or failure cause) is written. Small facts
 * only (never credentials, never templates), so the state stays far below 256 KiB and is safe to
 * show in the console. The input those functions check is in target-input.ts.
 */

/** Routes of the "Stack settled?" Choice. */
export const TargetStatuses = {
  /** Our operation runs: wait, then check. */
  InProgress: 'IN_PROGRESS',
  /** Another operation (or our delete / continue-rollback) holds the stack: wait, then deploy again. */
  Waiting: 'WAITING',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
} as const;
export type TargetStatus = (typeof TargetStatuses)[keyof typeof TargetStatuses];

/** How a target ended when it succeeded. */
export const TargetOutcomes = { Created: 'CREATED', Updated: 'UPDATED', NoChange: 'NO_CHANGE' } as const;
export type TargetOutcome = (typeof TargetOutcomes)[keyof typeof TargetOutcomes];

/** Which stack operation stackfleet started and is watching. */
export type WatchedOperation = 'CREATE' | 'UPDATE';

/** The execution output of a target that succeeded. */
export interface TargetResult {
  readonly accountId: string;
  readonly region: string;
  readonly stackName: string;
  readonly stackId: string;
  readonly outcome: TargetOutcome;
  readonly reason: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationSeconds: number;
  readonly checks: number;
  /**
   * The rollout waited for this operation's Stack Status Change event and none came before the
   * wait ran out: polling noticed the end (a lost event, or no forwarding rule in the region).
   */
  readonly stackEventMissed?: true;
}

/** Parsed into the Fail state's Cause (as a JSON string) of a target that failed. */
export interface FailureCause {
  readonly reason: string;
  readonly accountId: string | null;
  readonly region: string | null;
  readonly stackName: string | null;
  readonly stackStatus?: string;
  readonly failedResource?: {
    readonly logicalId: string;
    readonly type: string;
    readonly status: string;
    readonly statusReason: string;
  };
}

export interface TargetProgress {
  readonly status: TargetStatus;
  readonly accountId: string | null;
  readonly region: string | null;
  readonly stackName: string | null;
  readonly stackId?: string;
  readonly operation?: WatchedOperation;
  readonly clientRequestToken?: string;
  /** When the target started (first Deploy stack), ISO 8601; the per-target timeout counts from here. */
  readonly startedAt: string;
  /** When our operation was started, ISO 8601. */
  readonly operationStartedAt?: string;
  /** Since when we wait for another operation (WAITING only). */
  readonly waitingSince?: string;
  readonly checks: number;
  /** Seconds for the next Wait (IN_PROGRESS and WAITING). */
  readonly waitSeconds: number;
  /**
   * IN_PROGRESS with stack events on: how long "Wait for stack event" waits for the operation's
   * event before Check stack polls (src/core/event-wait.ts). Absent: poll with waitSeconds.
   */
  readonly eventWaitSeconds?: number;
  readonly stackStatus?: string;
  readonly reason: string;
  /** Creates only: seconds the template's slowest chain of resources should take (the wait policy's prior). */
  readonly expectedSeconds?: number;
  /** Creates only: resources the template makes in this target. */
  readonly resourceCount?: number;
  /** Set once a failed first create was deleted, so the next create gets its own token. */
  readonly recreating?: boolean;
  /** Set once ContinueUpdateRollback was sent, so a second UPDATE_ROLLBACK_FAILED is reported, not looped on. */
  readonly continuedRollback?: boolean;
  /** SUCCEEDED only: the execution output. */
  readonly result?: TargetResult;
  /** Drift mode: why the run deployed this stack (missing, failed, outdated), kept into the outcome's reason. */
  readonly because?: string;
  /** FAILED only: an error name from errors.ts, for the Fail state's ErrorPath. */
  readonly error?: string;
  /** FAILED only: `FailureCause` as a JSON string, for the Fail state's CausePath. */
  readonly cause?: string;
}

/** The progress a previous state left in `$.stack`, if any (tolerates anything else there). */
export function previousProgress(input: unknown): Partial<TargetProgress> | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const stack = (input as Record<string, unknown>).stack;
  if (typeof stack !== 'object' || stack === null || Array.isArray(stack)) return undefined;
  const progress = stack as Partial<TargetProgress>;
  return typeof progress.startedAt === 'string' ? progress : undefined;
}

/** The target's identity as given, even when invalid, so a refusal still says which target it was. */
export function targetIdentity(input: unknown): {
  accountId: string | null;
  region: string | null;
  stackName: string | null;
} {
  const raw = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const text = (value: unknown) =>
    typeof value === 'string' ? value : value === undefined ? null : JSON.stringify(value);
  return { accountId: text(raw.accountId), region: text(raw.region), stackName: text(raw.stackName) };
}

/**
 * Keeps why a drift run deployed the stack (Detect drift's CONVERGE reason, which Deploy stack
 * finds in `$.stack`) on the progress record, and puts it in front of the outcome's reason, so
 * a person reads "Stack x does not exist: deploying the baseline; Stack x created ...", not a
 * bare deploy outcome.
 */
export function carryConvergeReason(
  previous: Partial<TargetProgress> | undefined,
  progress: TargetProgress,
): TargetProgress {
  const because =
    (previous?.status as string | undefined) === 'CONVERGE' ? previous?.reason : previous?.because;
  if (!because) return progress;
  if (!progress.result) return { ...progress, because };
  return {
    ...progress,
    because,
    result: { ...progress.result, reason: `${because}; ${progress.result.reason}` },
  };
}

/** A FAILED progress record whose `error`/`cause` the "Target failed" state turns into the execution's failure. */
export function failedProgress(
  base: {
    accountId: string | null;
    region: string | null;
    stackName: string | null;
    startedAt: string;
    checks?: number;
  },
  error: string,
  cause: Omit<FailureCause, 'accountId' | 'region' | 'stackName'>,
  extra: Partial<TargetProgress> = {},
): TargetProgress {
  const full: FailureCause = {
    ...cause,
    accountId: base.accountId,
    region: base.region,
    stackName: base.stackName,
  };
  return {
    ...extra,
    status: TargetStatuses.Failed,
    accountId: base.accountId,
    region: base.region,
    stackName: base.stackName,
    startedAt: base.startedAt,
    checks: base.checks ?? 0,
    waitSeconds: 0,
    reason: cause.reason,
    error,
    cause: JSON.stringify(full),
  };
}

/** Whole seconds between two instants. */
export function secondsBetween(from: string | Date, to: string | Date): number {
  return Math.max(0, Math.round((new Date(to).getTime() - new Date(from).getTime()) / 1000));
}

/**
 * What the UI server sends the page (and what a static export inlines). Compact on purpose:
 * a rollout of 10,000 targets travels as index tables and small row tuples, and live polls
 * carry only the rows that changed since the version the page already has.
 */
import type { FailureDetail, StateStatus, TimelineRow } from './execution-history';
import type { LaidOutGraph } from './layout';

/** Target outcomes the matrix colours; outcomes it does not know get a neutral colour. */
export const Outcomes = {
  Pending: 'PENDING',
  InProgress: 'IN_PROGRESS',
  /** Succeeded, but the finer outcome (created/updated/no change) is not loaded yet. */
  Succeeded: 'SUCCEEDED',
  Created: 'CREATED',
  Updated: 'UPDATED',
  NoChange: 'NO_CHANGE',
  NotStarted: 'NOT_STARTED',
  Aborted: 'ABORTED',
  /** Preview: deploying would change resources. */
  Changes: 'CHANGES',
  InSync: 'IN_SYNC',
  DriftRepaired: 'DRIFT_REPAIRED',
  Drifted: 'DRIFTED',
  Missing: 'MISSING',
  Outdated: 'OUTDATED',
  Inoperable: 'INOPERABLE',
  Skipped: 'SKIPPED',
  Failed: 'FAILED',
  /** The stacks form: not started in a target because a dependency failed there. */
  Blocked: 'BLOCKED',
} as const;
export type Outcome = (typeof Outcomes)[keyof typeof Outcomes];

/** Outcomes every mode shows while it runs or when it stops early. */
const common = [
  Outcomes.Pending,
  Outcomes.InProgress,
  Outcomes.Succeeded,
  Outcomes.Failed,
  Outcomes.Skipped,
  Outcomes.NotStarted,
  Outcomes.Aborted,
];

/**
 * The outcomes a target of each mode can end in (src/core/summary.ts TargetOutcomes,
 * src/core/changes.ts PreviewOutcomes, src/core/drift.ts DriftOutcomes; a drift target that
 * converges ends like a deploy target), in the order the legend lists them.
 */
export const outcomesByMode: Record<string, readonly string[]> = {
  deploy: [Outcomes.Created, Outcomes.Updated, Outcomes.NoChange, ...common],
  preview: [Outcomes.Changes, Outcomes.NoChange, ...common],
  drift: [
    Outcomes.InSync,
    Outcomes.DriftRepaired,
    Outcomes.Drifted,
    Outcomes.Missing,
    Outcomes.Outdated,
    Outcomes.Inoperable,
    Outcomes.Created,
    Outcomes.Updated,
    Outcomes.NoChange,
    ...common,
  ],
};

/** Colours per outcome; chosen so failed stands out and in-progress reads as "moving". */
export const outcomeColours: Record<string, string> = {
  PENDING: '#d9dde3',
  IN_PROGRESS: '#4b8bf5',
  SUCCEEDED: '#7cc68a',
  CREATED: '#2e9e4f',
  UPDATED: '#1f7a8c',
  NO_CHANGE: '#a7d9b2',
  NOT_STARTED: '#bdc1c6',
  ABORTED: '#7f3a33',
  CHANGES: '#6aa9c9',
  IN_SYNC: '#8fd19e',
  DRIFT_REPAIRED: '#8e6bd6',
  DRIFTED: '#e0a526',
  // Drift with repair false: not as requested and left as found.
  OUTDATED: '#d4892a',
  MISSING: '#c9a227',
  INOPERABLE: '#b8651b',
  SKIPPED: '#9aa0a6',
  FAILED: '#d93025',
  // Failed because of another stack: red, but lighter than the failure it comes from.
  BLOCKED: '#f28b82',
};
export const unknownOutcomeColour = '#c58af9';

/** Colours per state status in a graph (console-like). */
export const stateStatusColours: Record<StateStatus, string> = {
  'not-started': '#f1f3f4',
  'in-progress': '#c6dafc',
  succeeded: '#b7e1c1',
  failed: '#f4b4ae',
  caught: '#fbd99b',
};

export interface MapRunWire {
  mapRunArn: string;
  status: string;
  startDate: number;
  stopDate?: number;
  maxConcurrency?: number;
  itemCounts: Record<string, number>;
  executionCounts: Record<string, number>;
}

export interface RolloutListItemWire {
  executionArn: string;
  name: string;
  status: string;
  /** `deploy`, `preview` or `drift`, from the execution's input. */
  mode?: string;
  startDate: number;
  stopDate?: number;
  /** The summary's counts once finished; the map runs' item counts while running. */
  counts?: Record<string, number>;
  total?: number;
}

export interface RolloutHeaderWire {
  executionArn: string;
  name: string;
  status: string;
  stateMachineArn: string;
  /** `deploy`, `preview` or `drift` (from the input); the legend lists the outcomes of this mode. */
  mode?: string;
  /** The per-target state machine (of the rollout's mode) the map run's items start. */
  targetStateMachineArn?: string;
  startDate: number;
  stopDate?: number;
  /** Server clock when this was read (elapsed time of a running rollout). */
  now: number;
  error?: string;
  cause?: string;
  mapRuns: MapRunWire[];
  /** Count per outcome over the targets known so far (or the summary's counts once finished). */
  counts: Record<string, number>;
  total: number;
  done: number;
  /** Rollout graph colouring: node id -> status. */
  statuses: Record<string, StateStatus>;
  /** The rollout execution's output (the summary) once it finished. */
  summary?: unknown;
  /** The stacks form: the request's stacks in graph order (absent for one template). */
  stacks?: StackWire[];
}

/** One stack of a stacks-form request and the stacks it depends on. */
export interface StackWire {
  name: string;
  dependsOn: string[];
}

/**
 * One target row: [account index, region index, outcome index, execution name, reason, stack].
 * The execution ARN is `executionPrefix + name`. In the stacks form a target has one row per
 * stack (the stack's name last) and one without a stack: its worst stack's outcome.
 */
export type TargetRowWire = [number, number, number, string, string, string?];

export interface TargetsDeltaWire {
  /** Pass back as `since` to receive only later changes. */
  version: number;
  /** True when `rows` is the full set (first load). */
  reset: boolean;
  /** Entries appended to the account/region/outcome tables after the offsets the page sent. */
  accountsOffset: number;
  accounts: string[];
  /** Account names and OU paths, parallel to `accounts` ('' when Organizations did not say). */
  accountNames: string[];
  accountOus: string[];
  /** Why names and OUs are missing, when they are. */
  directoryUnavailable?: string;
  regionsOffset: number;
  regions: string[];
  outcomesOffset: number;
  outcomes: string[];
  executionPrefix: string;
  rows: TargetRowWire[];
}

export interface RolloutWire {
  rollout: RolloutHeaderWire;
  targets: TargetsDeltaWire;
}

export interface DefinitionsWire {
  rollout: LaidOutGraph;
  target?: LaidOutGraph;
}

export interface TargetDetailWire {
  executionArn: string;
  name: string;
  account?: string;
  region?: string;
  status: string;
  outcome: string;
  reason?: string;
  startDate: number;
  stopDate?: number;
  statuses: Record<string, StateStatus>;
  retries: Record<string, number>;
  timeline: TimelineRow[];
  failure?: FailureDetail;
  output?: unknown;
}

/** Everything a static export needs, inlined into the HTML. */
export interface ExportBundleWire {
  exportedAt: number;
  definitions: DefinitionsWire;
  rollout: RolloutWire;
  /** Details of the targets an export carries (failed ones first, capped). */
  targets: Record<string, TargetDetailWire>;
}

/**
 * Records the engine keeps (and the sandbox persists): JSON-serialisable, times in virtual
 * epoch milliseconds. The Step Functions API turns them into AWS's response shapes.
 */

export const ExecutionStatus = {
  RUNNING: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  TIMED_OUT: 'TIMED_OUT',
  ABORTED: 'ABORTED',
} as const;
export type ExecutionStatus = (typeof ExecutionStatus)[keyof typeof ExecutionStatus];

export const MapRunStatus = {
  RUNNING: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  ABORTED: 'ABORTED',
} as const;
export type MapRunStatus = (typeof MapRunStatus)[keyof typeof MapRunStatus];

export interface StoredStateMachine {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD';
  status: 'ACTIVE';
  creationDate: number;
  updateDate?: number;
  revisionId: string;
  description?: string;
}

/** A history event in AWS's shape, except `timestamp` (epoch ms, turned into a Date by the API). */
export interface StoredHistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

export interface StoredExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  /** JSON text, as AWS keeps it. */
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: number;
  stopDate?: number;
  /** Map run children: the map run that started them. */
  mapRunArn?: string;
  /** The execution that started this one (AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID or the calling Task). */
  parentExecutionArn?: string;
  /** Definition text run by this execution (map run children run their processor, not a state machine's). */
  definition: string;
  roleArn: string;
  /** Count of states entered: what Standard workflows are billed on. */
  stateTransitions: number;
  history: StoredHistoryEvent[];
}

export interface MapRunCounts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
  total: number;
  resultsWritten: number;
  failuresNotRedrivable: number;
  pendingRedrive: number;
}

export interface StoredMapRun {
  mapRunArn: string;
  executionArn: string;
  stateMachineArn: string;
  label: string;
  status: MapRunStatus;
  startDate: number;
  stopDate?: number;
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
  itemCounts: MapRunCounts;
  executionCounts: MapRunCounts;
}

/** The persisted section of the world the engine owns. */
export interface EngineStore {
  stateMachines: Record<string, StoredStateMachine>;
  executions: Record<string, StoredExecution>;
  mapRuns: Record<string, StoredMapRun>;
  /** Counter behind deterministic ids (execution names, map run ids). */
  sequence: number;
}

export function emptyStore(): EngineStore {
  return { stateMachines: {}, executions: {}, mapRuns: {}, sequence: 0 };
}

export function zeroCounts(total = 0): MapRunCounts {
  return {
    pending: total,
    running: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    aborted: 0,
    total,
    resultsWritten: 0,
    failuresNotRedrivable: 0,
    pendingRedrive: 0,
  };
}

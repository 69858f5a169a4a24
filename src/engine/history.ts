/**
 * Writes AWS-shaped execution history. The engine hands an instance to aws-local-stepfunctions
 * in place of its own EventLogger, so events arrive synchronously, in the order the states run
 * (the package's async event generator would deliver them after Task handlers have logged
 * theirs), and nothing is queued for a consumer: the history costs one object per event.
 */
import type { StoredExecution, StoredHistoryEvent } from './types';

/** AWS fails a Standard execution that would exceed this many history events. */
export const MAX_HISTORY_EVENTS = 25000;

type Json = unknown;

interface PackageStateEvent {
  type: string;
  state?: { name: string; type: string; input: Json; output?: Json };
  Error?: string;
  Cause?: unknown;
}

/**
 * Event details keep state inputs and outputs as the JSON values themselves, under `$input`,
 * `$output` and `$parameters`; they become AWS's JSON strings (`input`, `output`, `parameters`)
 * only when the history is read. Consecutive events share one value (a state's output is the
 * next state's input), so 10,000 targets' histories cost references, not copies of the state.
 */
export function renderEventDetails(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (key.startsWith('$')) out[key.slice(1)] = JSON.stringify(value ?? null);
    else out[key] = value;
  }
  return out;
}

/** `$$.State` as AWS defines it; the recorder keeps it current (the package does not). */
export interface StateContext {
  Name?: string;
  /** ISO time the state was entered; computed only when a path reads it. */
  readonly EnteredTime?: string;
  RetryCount: number;
  enteredAt?: number;
}

/** A `$$.State` object whose EnteredTime is formatted lazily (most states never read it). */
export function createStateContext(): StateContext {
  const context = {
    RetryCount: 0,
    get EnteredTime() {
      return this.enteredAt === undefined ? undefined : new Date(this.enteredAt).toISOString();
    },
  } as StateContext;
  // not enumerable: `$$.State` shows Name, EnteredTime and RetryCount only, like AWS
  Object.defineProperty(context, 'enteredAt', { value: undefined, writable: true, enumerable: false });
  return context;
}

export class HistoryRecorder {
  /** State names that are Tasks only in the rewritten definition (Distributed Maps show as Map). */
  private readonly displayTypes: Map<string, string>;
  overflowed = false;
  /** Set when the execution has ended: late events (a Task still finishing after a stop) are dropped, as on AWS. */
  closed = false;

  constructor(
    readonly execution: StoredExecution,
    private readonly now: () => number,
    readonly stateContext: StateContext,
    displayTypes: Map<string, string>,
    private readonly onOverflow: () => void,
  ) {
    this.displayTypes = displayTypes;
  }

  /** Appends one event (details under `<camelType>EventDetails`-style keys chosen by the caller). */
  add(type: string, details?: Record<string, unknown>): StoredHistoryEvent | undefined {
    if (this.closed) return undefined;
    const history = this.execution.history;
    if (history.length >= MAX_HISTORY_EVENTS) {
      if (!this.overflowed) {
        this.overflowed = true;
        this.onOverflow();
      }
      return undefined;
    }
    const id = history.length + 1;
    const event: StoredHistoryEvent = {
      id,
      previousEventId: id - 1,
      timestamp: this.now(),
      type,
      ...details,
    };
    history.push(event);
    return event;
  }

  private displayType(name: string, type: string): string {
    return this.displayTypes.get(name) ?? type;
  }

  // ----- the EventLogger surface aws-local-stepfunctions calls -----

  dispatchExecutionStartedEvent(_input: Json): void {
    // recorded by the engine when the execution is created (with roleArn)
  }
  dispatchExecutionSucceededEvent(_output: Json): void {}
  dispatchExecutionFailedEvent(_error: unknown): void {}
  dispatchExecutionAbortedEvent(): void {}
  dispatchExecutionTimeoutEvent(): void {}

  dispatchStateEnteredEvent(name: string, type: string, input: Json): void {
    this.execution.stateTransitions++;
    this.stateContext.Name = name;
    this.stateContext.enteredAt = this.now();
    this.stateContext.RetryCount = 0;
    this.add(`${this.displayType(name, type)}StateEntered`, {
      stateEnteredEventDetails: { name, $input: input, inputDetails: { truncated: false } },
    });
  }

  dispatchStateExitedEvent(name: string, type: string, _input: Json, output: Json): void {
    this.add(`${this.displayType(name, type)}StateExited`, {
      stateExitedEventDetails: { name, $output: output, outputDetails: { truncated: false } },
    });
  }

  /** Task failures are recorded by the Task's handler with AWS's details; only timeouts come from here. */
  dispatchStateFailedEvent(
    name: string,
    type: string,
    _input: Json,
    error: { name?: string; message?: string; recordedInHistory?: boolean },
  ): void {
    // Callback tasks record their own TaskTimedOut (callback-tasks.ts); the package's timeouts do not.
    if (type === 'Task' && error?.name === 'States.Timeout' && !error.recordedInHistory) {
      this.add('TaskTimedOut', {
        taskTimedOutEventDetails: {
          resourceType: 'task',
          resource: name,
          error: 'States.Timeout',
          cause: '',
        },
      });
    }
  }

  dispatchStateRetriedEvent(name: string): void {
    this.stateContext.Name = name;
    this.stateContext.RetryCount++;
  }

  dispatchStateCaughtEvent(): void {}

  /** Inline Map iterations: AWS records MapIteration* and the iteration's states in the parent's history. */
  forwardNestedMapEvent(
    event: PackageStateEvent & { index?: number },
    index: number,
    mapStateName: string,
  ): void {
    const details = { mapIterationStartedEventDetails: { name: mapStateName, index } };
    switch (event.type) {
      case 'ExecutionStarted':
        this.add('MapIterationStarted', details);
        return;
      case 'ExecutionSucceeded':
        this.add('MapIterationSucceeded', {
          mapIterationSucceededEventDetails: { name: mapStateName, index },
        });
        return;
      case 'ExecutionFailed':
        this.add('MapIterationFailed', { mapIterationFailedEventDetails: { name: mapStateName, index } });
        return;
      case 'ExecutionAborted':
        this.add('MapIterationAborted', { mapIterationAbortedEventDetails: { name: mapStateName, index } });
        return;
      default:
        this.forwardStateEvent(event);
    }
  }

  forwardNestedParallelEvent(event: PackageStateEvent): void {
    switch (event.type) {
      case 'ExecutionStarted':
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionAborted':
      case 'ExecutionTimeout':
        return;
      default:
        this.forwardStateEvent(event);
    }
  }

  private forwardStateEvent(event: PackageStateEvent): void {
    const s = event.state;
    if (!s) return;
    if (event.type === 'StateEntered') this.dispatchStateEnteredEvent(s.name, s.type, s.input);
    else if (event.type === 'StateExited') this.dispatchStateExitedEvent(s.name, s.type, s.input, s.output);
  }
}

/**
 * The local engine: runs state machine definitions with aws-local-stepfunctions and adds what
 * that package lacks — AWS-shaped executions and histories, named nested executions
 * (`states:startExecution[.sync[:2]]`), Distributed Map runs, SNS publish into the sandbox —
 * with every Lambda Task bound in-process to the real handler. Time is whatever `Date` and
 * `setTimeout` say, so under the sandbox's virtual clock Wait states and retries jump.
 */
import '../core/polyfills';
import './jsonpath-shim';
import type { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AwsCredentialIdentity } from '@smithy/types';
import { awsClients, currentAwsTransport } from '../aws/clients';
import {
  assertValidName,
  executionArn as buildExecutionArn,
  stateMachineArn as buildStateMachineArn,
  deterministicUuid,
  parseStateMachineArn,
} from './arns';
import { runCallbackTask } from './callback-tasks';
import { callbackTimeouts, type PreparedDefinition, prepareDefinition, type TaskBinding } from './definition';
import { runDistributedMap } from './distributed-map';
import { EngineError, StateTaskError } from './errors';
import { createStateContext, HistoryRecorder, type StateContext } from './history';
import { type EngineIdentity, isDenial } from './identity';
import type { LambdaHandler } from './lambda-binding';
import {
  callFunction,
  type FunctionInterceptor,
  type FunctionRunner,
  invokeLambdaTask,
  invokeResponse,
  MAX_PAYLOAD_BYTES,
} from './lambda-invoke';
import type { Json } from './payload';
import { type TaskContext, TaskTokens } from './task-tokens';
import {
  type EngineStore,
  ExecutionStatus,
  emptyStore,
  type StoredExecution,
  type StoredMapRun,
  type StoredStateMachine,
} from './types';

export { type FunctionInterceptor, MAX_PAYLOAD_BYTES } from './lambda-invoke';

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

type Outcome =
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

function failureOf(err: unknown): Outcome {
  const runtime = (err as { cause?: unknown })?.cause ?? err;
  const e = runtime as { name?: string; message?: string; constructor?: { name?: string } };
  if (e?.constructor?.name === 'FailStateError') {
    return {
      kind: 'failed',
      error: e.name === 'FailStateError' ? undefined : e.name,
      cause: e.message === 'Execution failed because of a Fail state' ? undefined : e.message,
    };
  }
  return { kind: 'failed', error: e?.name ?? 'States.Runtime', cause: e?.message ?? String(err) };
}

/** The rule Step Functions manages for `.sync` child executions (stepfunctions-iam: "StepFunctionsGetEventsForStepFunctionsExecutionRule"). */
function syncRuleArn(execution: StoredExecution): string {
  const [, , , region, account] = execution.stateMachineArn.split(':');
  return `arn:aws:events:${region}:${account}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`;
}

function jsonText(value: Json): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}

function taskError(name: string, cause: string, retryable = true): StateTaskError {
  const err = new StateTaskError(name, cause);
  if (!retryable) Object.assign(err, { isRetryable: false, isCatchable: false });
  return err;
}

/** Turns a finished child into what `startExecution.sync[:2]` returns (DescribeExecution's shape). */
export function describeForTask(child: StoredExecution, mode: 'sync' | 'sync2'): Record<string, Json> {
  const parse = mode === 'sync2';
  const out: Record<string, Json> = {
    ExecutionArn: child.executionArn,
    Input: parse ? JSON.parse(child.input) : child.input,
    InputDetails: { Included: true },
    Name: child.name,
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    RedriveStatusReason: `Execution is ${child.status} and cannot be redriven`,
    StartDate: child.startDate,
    StateMachineArn: child.stateMachineArn,
    Status: child.status,
    StopDate: child.stopDate,
  };
  if (child.output !== undefined) {
    out.Output = parse ? JSON.parse(child.output) : child.output;
    out.OutputDetails = { Included: true };
  }
  if (child.error !== undefined) out.Error = child.error;
  if (child.cause !== undefined) out.Cause = child.cause;
  return out;
}

export class LocalEngine implements EngineInternals {
  readonly store: EngineStore;
  private readonly live = new Map<string, LiveExecution>();
  private readonly functions = new Map<string, LambdaHandler>();
  private readonly interceptors = new Map<string, FunctionInterceptor>();
  private readonly seed: string;
  private idleWaiters: Array<() => void> = [];
  private clientTransport: unknown;
  private readonly snsClients = new Map<string, SNSClient>();
  private readonly s3Clients = new Map<string, S3Client>();
  private readonly clock: () => number;
  private readonly identity: EngineIdentity | undefined;
  /** Task tokens of the callback tasks waiting in this process (task-tokens.ts). */
  private readonly tokens: TaskTokens;
  /** How Tasks run functions (lambda-invoke.ts). */
  private readonly runner: FunctionRunner;

  constructor(options: EngineOptions = {}) {
    this.identity = options.identity;
    this.store = options.store ?? emptyStore();
    this.seed = String(options.seed ?? 'stackfleet');
    this.tokens = new TaskTokens(
      this.seed,
      () => this.nextId(),
      (arn) => Object.hasOwn(this.store.executions, arn),
    );
    this.clock = options.now ?? (() => Date.now());
    for (const [name, fn] of Object.entries(options.functions ?? {})) this.functions.set(name, fn);
    this.runner = {
      functions: this.functions,
      interceptors: this.interceptors,
      identity: this.identity,
      nextId: () => this.nextId(),
      denialFor: (execution, action, resource) => this.denialFor(execution, action, resource),
    };
  }

  now(): number {
    return this.clock();
  }

  nextId(): string {
    this.store.sequence++;
    return deterministicUuid(this.seed, this.store.sequence);
  }

  /** Binds a function name (the last part of its ARN) to an in-process handler, e.g. for test fixtures. */
  registerFunction(functionName: string, handler: LambdaHandler): void {
    this.functions.set(functionName, handler);
  }

  /**
   * Wraps a function where it runs, for fault injection in tests: unlike registerFunction, the
   * invocation stays what it was (the state machine's role must be allowed to invoke it, and under
   * an identity it runs with its own role's credentials); `wrap` gets the event and the real handler.
   */
  interceptFunction(functionName: string, wrap: FunctionInterceptor): void {
    this.interceptors.set(functionName, wrap);
  }

  // ---------------------------------------------------------------- state machines

  /** CreateStateMachine: idempotent for the same name, definition and role; otherwise StateMachineAlreadyExists. */
  createStateMachine(input: {
    name: string;
    definition: string;
    roleArn: string;
    region: string;
    accountId: string;
    description?: string;
  }): StoredStateMachine {
    assertValidName('name', input.name);
    prepareDefinition(input.definition);
    const arn = buildStateMachineArn(input.region, input.accountId, input.name);
    const existing = this.store.stateMachines[arn];
    if (existing) {
      if (existing.definition === input.definition && existing.roleArn === input.roleArn) return existing;
      throw new EngineError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    const record: StoredStateMachine = {
      stateMachineArn: arn,
      name: input.name,
      definition: input.definition,
      roleArn: input.roleArn,
      type: 'STANDARD',
      status: 'ACTIVE',
      creationDate: this.now(),
      revisionId: this.nextId(),
      description: input.description,
    };
    this.store.stateMachines[arn] = record;
    return record;
  }

  updateStateMachine(arn: string, changes: { definition?: string; roleArn?: string }): StoredStateMachine {
    const sm = this.describeStateMachine(arn);
    if (changes.definition !== undefined) {
      prepareDefinition(changes.definition);
      sm.definition = changes.definition;
    }
    if (changes.roleArn !== undefined) sm.roleArn = changes.roleArn;
    sm.updateDate = this.now();
    sm.revisionId = this.nextId();
    return sm;
  }

  describeStateMachine(arn: string): StoredStateMachine {
    parseStateMachineArn(arn);
    const sm = this.store.stateMachines[arn];
    if (!sm) throw new EngineError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return sm;
  }

  listStateMachines(accountId?: string, region?: string): StoredStateMachine[] {
    return Object.values(this.store.stateMachines)
      .filter((sm) => {
        const p = parseStateMachineArn(sm.stateMachineArn);
        return (!accountId || p.accountId === accountId) && (!region || p.region === region);
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  // ---------------------------------------------------------------- executions

  /**
   * StartExecution. A name already used with the same input returns the existing execution
   * (running or finished, so a retried nested Task attaches to its first child instead of
   * starting a second deployment); with a different input it is ExecutionAlreadyExists.
   */
  startExecution(request: StartExecutionInput): StoredExecution {
    const sm = this.describeStateMachine(request.stateMachineArn);
    const name = request.name ?? this.nextId();
    assertValidName('name', name);
    const inputText = request.input ?? '{}';
    let inputValue: Json;
    try {
      inputValue = JSON.parse(inputText);
    } catch (error) {
      throw new EngineError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: 'input' must be JSON. Received: ${inputText.slice(0, 200)} (${(error as Error).message})`,
      );
    }
    if (Buffer.byteLength(inputText) > MAX_PAYLOAD_BYTES) {
      throw new EngineError(
        'InvalidExecutionInput',
        `'input' must be at most ${MAX_PAYLOAD_BYTES} bytes. Received: ${Buffer.byteLength(inputText)} bytes`,
      );
    }
    const arn = buildExecutionArn(sm.stateMachineArn, name);
    const existing = this.store.executions[arn];
    if (existing) {
      if (existing.input === inputText) return existing;
      throw new EngineError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const parent =
      request.parentExecutionArn ??
      (typeof inputValue?.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID === 'string'
        ? inputValue.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID
        : undefined);
    const execution = this.createExecutionRecord({
      executionArn: arn,
      stateMachineArn: sm.stateMachineArn,
      name,
      input: inputText,
      definition: sm.definition,
      roleArn: sm.roleArn,
      parentExecutionArn: parent,
    });
    this.launch(execution, prepareDefinition(sm.definition), inputValue, {
      Id: sm.stateMachineArn,
      Name: sm.name,
    });
    return execution;
  }

  private createExecutionRecord(
    fields: Omit<StoredExecution, 'status' | 'startDate' | 'stateTransitions' | 'history'>,
  ): StoredExecution {
    const startDate = this.now();
    const execution: StoredExecution = {
      ...fields,
      status: ExecutionStatus.RUNNING,
      startDate,
      stateTransitions: 0,
      history: [
        {
          id: 1,
          previousEventId: 0,
          timestamp: startDate,
          type: 'ExecutionStarted',
          executionStartedEventDetails: {
            input: fields.input,
            inputDetails: { truncated: false },
            roleArn: fields.roleArn,
          },
        },
      ],
    };
    this.store.executions[execution.executionArn] = execution;
    return execution;
  }

  /** Starts one Distributed Map child (unnamed, like AWS) and runs the processor in it. */
  startMapRunChild(options: {
    mapRun: StoredMapRun;
    processor: PreparedDefinition;
    input: Json;
    parent: StoredExecution;
  }): LiveExecution {
    const id = this.nextId();
    const { mapRun } = options;
    const prefix = mapRun.mapRunArn.replace(':mapRun:', ':execution:');
    const arn = `${prefix.slice(0, prefix.lastIndexOf(':'))}:${id}`;
    const stateMachineArn = `${mapRun.stateMachineArn}/${mapRun.label}`;
    const execution = this.createExecutionRecord({
      executionArn: arn,
      stateMachineArn,
      name: id,
      input: jsonText(options.input),
      definition: options.processor.text,
      roleArn: options.parent.roleArn,
      mapRunArn: mapRun.mapRunArn,
      parentExecutionArn: options.parent.executionArn,
    });
    return this.launch(execution, options.processor, options.input, {
      Id: stateMachineArn,
      Name: `${parseStateMachineArn(mapRun.stateMachineArn).name}/${mapRun.label}`,
    });
  }

  private launch(
    execution: StoredExecution,
    prepared: PreparedDefinition,
    inputValue: Json,
    stateMachine: { Id: string; Name: string },
  ): LiveExecution {
    const abortController = new AbortController();
    let settle!: (o: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => {
      settle = resolve;
    });
    const children = new Set<string>();
    const stateContext: StateContext = createStateContext();
    const stop = (o: Outcome) => {
      settle(o);
      abortController.abort();
    };
    const recorder = new HistoryRecorder(
      execution,
      () => this.now(),
      stateContext,
      prepared.displayTypes,
      () =>
        stop({
          kind: 'failed',
          error: 'States.Runtime',
          cause: `The execution reached the maximum number of history events (25000). Execution: ${execution.executionArn}`,
        }),
    );
    const taskContext = this.tokens.contextFor(execution.executionArn);
    const context = {
      Execution: {
        Id: execution.executionArn,
        Name: execution.name,
        RoleArn: execution.roleArn,
        RedriveCount: 0,
      },
      StateMachine: stateMachine,
      State: stateContext,
      // `$$.Task.Token`: issued for the callback task whose Parameters read it.
      Task: taskContext.object,
    };
    const live: LiveExecution = {
      execution,
      children,
      stop,
      done: undefined as unknown as Promise<StoredExecution>,
    };
    const handlers = this.bindTasks(prepared, execution, recorder, live, context, taskContext);
    const options = {
      stateMachineOptions: undefined,
      runOptions: {
        overrides: { taskResourceLocalHandlers: handlers },
        context,
        _rootAbortSignal: abortController.signal,
      },
      abortSignal: abortController.signal,
      eventLogger: recorder,
    };
    // The package's `execute` is the loop behind `run()`; calling it with our recorder as the
    // event logger gives synchronous, ordered history without the async event queue.
    const machine = prepared.machine as unknown as {
      execute(input: Json, options: unknown, cleanup: () => void): Promise<Json>;
    };
    machine
      .execute(inputValue, options, () => {})
      .then(
        (output) => settle({ kind: 'succeeded', output }),
        (error) => settle(failureOf(error)),
      );
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (prepared.timeoutSeconds !== undefined) {
      timer = setTimeout(() => stop({ kind: 'timedOut' }), prepared.timeoutSeconds * 1000);
    }
    (live as { done: Promise<StoredExecution> }).done = outcome.then((o) => {
      if (timer !== undefined) clearTimeout(timer);
      this.finish(execution, o, recorder);
      this.tokens.closeExecution(execution.executionArn);
      if (o.kind !== 'succeeded' && o.kind !== 'failed') {
        for (const child of children)
          this.stopExecution(
            child,
            'States.Aborted',
            `Parent execution ${o.kind === 'timedOut' ? 'timed out' : 'was stopped'}: ${execution.executionArn}`,
          );
      }
      this.live.delete(execution.executionArn);
      if (this.live.size === 0) this.notifyIdle();
      return execution;
    });
    this.live.set(execution.executionArn, live);
    return live;
  }

  private finish(execution: StoredExecution, outcome: Outcome, recorder: HistoryRecorder): void {
    execution.stopDate = this.now();
    recorder.closed = true;
    const force = (type: string, details: Record<string, unknown>) => {
      const id = execution.history.length + 1;
      execution.history.push({
        id,
        previousEventId: id - 1,
        timestamp: execution.stopDate as number,
        type,
        ...details,
      });
    };
    switch (outcome.kind) {
      case 'succeeded': {
        const output = jsonText(outcome.output);
        if (Buffer.byteLength(output) > MAX_PAYLOAD_BYTES) {
          execution.status = ExecutionStatus.FAILED;
          execution.error = 'States.DataLimitExceeded';
          execution.cause = `The state/task returned a result with a size exceeding the maximum number of bytes service limit (${MAX_PAYLOAD_BYTES}).`;
          force('ExecutionFailed', {
            executionFailedEventDetails: { error: execution.error, cause: execution.cause },
          });
          return;
        }
        execution.status = ExecutionStatus.SUCCEEDED;
        execution.output = output;
        force('ExecutionSucceeded', {
          executionSucceededEventDetails: { output, outputDetails: { truncated: false } },
        });
        return;
      }
      case 'failed':
        execution.status = ExecutionStatus.FAILED;
        execution.error = outcome.error;
        execution.cause = outcome.cause;
        force('ExecutionFailed', {
          executionFailedEventDetails: { error: outcome.error, cause: outcome.cause },
        });
        return;
      case 'aborted':
        execution.status = ExecutionStatus.ABORTED;
        execution.error = outcome.error;
        execution.cause = outcome.cause;
        force('ExecutionAborted', {
          executionAbortedEventDetails: { error: outcome.error, cause: outcome.cause },
        });
        return;
      case 'timedOut':
        execution.status = ExecutionStatus.TIMED_OUT;
        execution.error = 'States.Timeout';
        execution.cause = 'The execution timed out (TimeoutSeconds of the state machine elapsed).';
        force('ExecutionTimedOut', {
          executionTimedOutEventDetails: { error: execution.error, cause: execution.cause },
        });
        return;
    }
  }

  /** StopExecution: the execution ends ABORTED with the given error/cause; running children stop too. */
  stopExecution(arn: string, error?: string, cause?: string): StoredExecution {
    const execution = this.describeExecution(arn);
    const live = this.live.get(arn);
    if (live) {
      live.stop({ kind: 'aborted', error, cause });
    } else if (execution.status === ExecutionStatus.RUNNING) {
      // RUNNING in the store but not in this process: its process ended (see abortOrphans)
      this.markOrphan(execution, error ?? 'States.Aborted', cause ?? 'Stopped by StopExecution');
    }
    return execution;
  }

  describeExecution(arn: string): StoredExecution {
    const execution = this.store.executions[arn];
    if (!execution) throw new EngineError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  /** Resolves when the execution has ended (immediately for a finished one). */
  async waitForExecution(arn: string): Promise<StoredExecution> {
    const live = this.live.get(arn);
    if (live) return live.done;
    return this.describeExecution(arn);
  }

  /** Executions of a state machine or of a map run, newest first, optionally by status. */
  listExecutions(filter: {
    stateMachineArn?: string;
    mapRunArn?: string;
    statusFilter?: string;
  }): StoredExecution[] {
    const out: StoredExecution[] = [];
    for (const e of Object.values(this.store.executions)) {
      if (filter.mapRunArn ? e.mapRunArn !== filter.mapRunArn : e.stateMachineArn !== filter.stateMachineArn)
        continue;
      if (filter.statusFilter && e.status !== filter.statusFilter) continue;
      out.push(e);
    }
    return out.sort((a, b) => b.startDate - a.startDate || (a.executionArn < b.executionArn ? 1 : -1));
  }

  describeMapRun(arn: string): StoredMapRun {
    const run = this.store.mapRuns[arn];
    if (!run) throw new EngineError('ResourceNotFound', `Map Run Does Not Exist: '${arn}'`);
    return run;
  }

  listMapRuns(executionArn: string): StoredMapRun[] {
    this.describeExecution(executionArn);
    return Object.values(this.store.mapRuns)
      .filter((m) => m.executionArn === executionArn)
      .sort((a, b) => b.startDate - a.startDate);
  }

  /** Number of executions running in this process. */
  get runningCount(): number {
    return this.live.size;
  }

  /** Resolves when no execution is running in this process. */
  whenIdle(): Promise<void> {
    if (this.live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Executions persisted as RUNNING whose process ended cannot be resumed faithfully (their
   * in-flight Task calls are lost), so they are closed as ABORTED with a cause that says why.
   * Called when an engine attaches to a loaded world. Returns the ARNs it closed.
   */
  abortOrphans(): string[] {
    const closed: string[] = [];
    for (const e of Object.values(this.store.executions)) {
      if (e.status === ExecutionStatus.RUNNING && !this.live.has(e.executionArn)) {
        this.markOrphan(
          e,
          'States.Aborted',
          'The sandbox process that ran this execution ended before the execution finished.',
        );
        closed.push(e.executionArn);
      }
    }
    for (const m of Object.values(this.store.mapRuns)) {
      if (m.status === 'RUNNING') {
        m.status = 'ABORTED';
        m.stopDate = this.now();
      }
    }
    return closed;
  }

  private markOrphan(e: StoredExecution, error: string, cause: string): void {
    e.status = ExecutionStatus.ABORTED;
    e.stopDate = this.now();
    e.error = error;
    e.cause = cause;
    const id = e.history.length + 1;
    e.history.push({
      id,
      previousEventId: id - 1,
      timestamp: e.stopDate,
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error, cause },
    });
  }

  // ---------------------------------------------------------------- AWS clients for integrations

  private freshClients(): void {
    const transport = currentAwsTransport();
    if (transport !== this.clientTransport) {
      this.clientTransport = transport;
      this.snsClients.clear();
      this.s3Clients.clear();
    }
  }

  s3(region: string, execution: StoredExecution): S3Client {
    this.freshClients();
    const credentials = this.credentialsOf(execution);
    if (credentials) return awsClients.s3({ region, credentials });
    let c = this.s3Clients.get(region);
    if (!c) {
      c = awsClients.s3({ region });
      this.s3Clients.set(region, c);
    }
    return c;
  }

  private sns(region: string, execution: StoredExecution): SNSClient {
    this.freshClients();
    const credentials = this.credentialsOf(execution);
    if (credentials) return awsClients.sns({ region, credentials });
    let c = this.snsClients.get(region);
    if (!c) {
      c = awsClients.sns({ region });
      this.snsClients.set(region, c);
    }
    return c;
  }

  /** The state machine record of an execution (map run children run as their parent's machine). */
  private machineOf(execution: StoredExecution): StoredStateMachine {
    const arn = execution.stateMachineArn.split('/')[0] as string;
    const machine = this.store.stateMachines[arn];
    if (!machine)
      throw taskError('States.Runtime', `State machine ${arn} of ${execution.executionArn} is gone`, false);
    return machine;
  }

  /** The state machine role's credentials under an identity; undefined without one. */
  private credentialsOf(execution: StoredExecution): AwsCredentialIdentity | undefined {
    if (!this.identity) return undefined;
    const answer = this.identity.stateMachineCredentials(this.machineOf(execution), execution.executionArn);
    if (isDenial(answer)) throw taskError(answer.error, answer.cause, false);
    return answer;
  }

  authorizeAs(execution: StoredExecution, action: string, resource: string, error: string): void {
    if (!this.identity) return;
    const denial = this.identity.authorize(
      this.machineOf(execution),
      execution.executionArn,
      action,
      resource,
    );
    if (denial) throw taskError(error, denial.cause);
  }

  /** Like authorizeAs, but answers the denial instead of throwing. */
  private denialFor(execution: StoredExecution, action: string, resource: string) {
    return this.identity?.authorize(this.machineOf(execution), execution.executionArn, action, resource);
  }

  // ---------------------------------------------------------------- Task bindings

  private bindTasks(
    prepared: PreparedDefinition,
    execution: StoredExecution,
    recorder: HistoryRecorder,
    live: LiveExecution,
    context: Record<string, unknown>,
    taskContext: TaskContext,
  ): Record<string, (input: Json) => Promise<Json>> {
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    for (const binding of prepared.tasks.values()) {
      handlers[binding.stateName] = (input: Json) => {
        // Synchronously, right after the package evaluated this state's Parameters: a token they read is this task's.
        const token = taskContext.take();
        if (binding.callback) return this.runCallback(binding, input, execution, recorder, token);
        return this.runTask(binding, input, prepared, execution, recorder, live, context);
      };
    }
    return handlers;
  }

  /** A `.waitForTaskToken` task (callback-tasks.ts): the integration gets the token, then the task waits for it. */
  private async runCallback(
    binding: TaskBinding,
    input: Json,
    execution: StoredExecution,
    recorder: HistoryRecorder,
    issued: string | undefined,
  ): Promise<Json> {
    const spec = binding.callback as NonNullable<TaskBinding['callback']>;
    const token = issued ?? this.tokens.issue(execution.executionArn);
    const { parameters, timeoutSeconds, heartbeatSeconds } = callbackTimeouts(binding.stateName, spec, input);
    const fnArn = String(parameters?.FunctionName ?? '');
    const region =
      fnArn.split(':')[3] || parseStateMachineArn(this.machineOf(execution).stateMachineArn).region;
    return runCallbackTask({
      tokens: this.tokens,
      token,
      execution,
      recorder,
      stateName: binding.stateName,
      spec,
      region,
      parameters,
      timeoutSeconds,
      ...(heartbeatSeconds === undefined ? {} : { heartbeatSeconds }),
      start: async () => {
        const name = fnArn.includes(':') ? (fnArn.split(':')[6] ?? fnArn) : fnArn;
        const { output, requestId } = await callFunction(
          this.runner,
          fnArn,
          name,
          parameters?.Payload ?? {},
          binding,
          execution,
        );
        return invokeResponse(output, requestId);
      },
    });
  }

  /** SendTaskSuccess: `output` is JSON text (InvalidOutput otherwise). */
  sendTaskSuccess(token: string, output: string): void {
    let value: Json;
    try {
      value = JSON.parse(output);
    } catch (error) {
      throw new EngineError(
        'InvalidOutput',
        `Invalid Output: 'output' must be JSON text. Received: ${output.slice(0, 200)} (${(error as Error).message})`,
      );
    }
    this.tokens.succeed(token, value);
  }

  /** SendTaskFailure. */
  sendTaskFailure(token: string, error?: string, cause?: string): void {
    this.tokens.fail(token, error, cause);
  }

  /** SendTaskHeartbeat. */
  sendTaskHeartbeat(token: string): void {
    this.tokens.heartbeat(token);
  }

  private async runTask(
    binding: TaskBinding,
    input: Json,
    prepared: PreparedDefinition,
    execution: StoredExecution,
    recorder: HistoryRecorder,
    live: LiveExecution,
    context: Record<string, unknown>,
  ): Promise<Json> {
    const task = binding.task;
    switch (task.kind) {
      case 'lambda':
        return invokeLambdaTask(
          this.runner,
          task.functionArn,
          task.functionName,
          input,
          recorder,
          binding,
          false,
          execution,
        );
      case 'lambdaInvoke': {
        const fnArn = String(input?.FunctionName ?? '');
        const name = fnArn.includes(':') ? (fnArn.split(':')[6] ?? fnArn) : fnArn;
        return invokeLambdaTask(
          this.runner,
          fnArn,
          name,
          input?.Payload ?? {},
          recorder,
          binding,
          true,
          execution,
        );
      }
      case 'startExecution':
        return this.startNested(task.mode, input, execution, recorder, live, binding);
      case 'snsPublish':
        return this.publishSns(input, execution, recorder, binding);
      case 'distributedMap': {
        const spec = prepared.distributedMaps.get(binding.stateName);
        if (!spec) throw taskError('States.Runtime', `No Distributed Map named ${binding.stateName}`, false);
        return runDistributedMap(this, spec, input, { execution, recorder, live, context });
      }
      default:
        recorder.add('TaskFailed', {
          taskFailedEventDetails: {
            resourceType: 'unknown',
            resource: binding.resource,
            error: 'States.Runtime',
            cause: '',
          },
        });
        throw taskError(
          'States.Runtime',
          `The local engine cannot run Task resource ${binding.resource} (state ${binding.stateName}). Supported: Lambda function ARNs, lambda:invoke, states:startExecution[.sync[:2]], sns:publish, Distributed Map.`,
          false,
        );
    }
  }

  private async startNested(
    mode: 'async' | 'sync' | 'sync2',
    params: Json,
    execution: StoredExecution,
    recorder: HistoryRecorder,
    live: LiveExecution,
    binding: TaskBinding,
  ): Promise<Json> {
    const resource =
      mode === 'sync2' ? 'startExecution.sync:2' : mode === 'sync' ? 'startExecution.sync' : 'startExecution';
    const base = { resourceType: 'states', resource };
    const region = parseStateMachineArn(execution.stateMachineArn.split('/')[0] as string).region;
    recorder.add('TaskScheduled', {
      taskScheduledEventDetails: {
        ...base,
        region,
        $parameters: params,
        timeoutInSeconds: binding.timeoutSeconds,
      },
    });
    recorder.add('TaskStarted', { taskStartedEventDetails: base });
    const fail = (error: string, cause: string): StateTaskError => {
      recorder.add('TaskFailed', { taskFailedEventDetails: { ...base, error, cause } });
      return taskError(error, cause);
    };
    const childMachine = String(params?.StateMachineArn ?? '');
    // Step Functions Developer Guide, stepfunctions-iam (nested executions): states:StartExecution on
    // the child, and for .sync the managed rule that reports its end and DescribeExecution/StopExecution.
    const denied =
      this.denialFor(execution, 'states:StartExecution', childMachine) ??
      (mode === 'async'
        ? undefined
        : (this.denialFor(execution, 'events:PutRule', syncRuleArn(execution)) ??
          this.denialFor(execution, 'events:PutTargets', syncRuleArn(execution)) ??
          this.denialFor(execution, 'events:DescribeRule', syncRuleArn(execution))));
    if (denied) throw fail('StepFunctions.AccessDeniedException', denied.cause);
    let child: StoredExecution;
    try {
      const input = params?.Input;
      const inputText =
        input === undefined ? '{}' : typeof input === 'string' ? input : JSON.stringify(input);
      child = this.startExecution({
        stateMachineArn: String(params?.StateMachineArn ?? ''),
        name: params?.Name,
        input: inputText,
        parentExecutionArn:
          typeof input === 'object' && typeof input?.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID === 'string'
            ? input.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID
            : execution.executionArn,
      });
    } catch (error) {
      if (error instanceof EngineError) throw fail(`StepFunctions.${error.code}Exception`, error.message);
      throw fail('States.TaskFailed', (error as Error).message);
    }
    const started = { ExecutionArn: child.executionArn, StartDate: child.startDate };
    if (mode === 'async') {
      recorder.add('TaskSucceeded', {
        taskSucceededEventDetails: {
          ...base,
          $output: started,
          outputDetails: { truncated: false },
        },
      });
      return started;
    }
    recorder.add('TaskSubmitted', {
      taskSubmittedEventDetails: {
        ...base,
        $output: started,
        outputDetails: { truncated: false },
      },
    });
    const describeDenied = this.denialFor(execution, 'states:DescribeExecution', child.executionArn);
    if (describeDenied) throw fail('StepFunctions.AccessDeniedException', describeDenied.cause);
    live.children.add(child.executionArn);
    const done = await this.waitForExecution(child.executionArn);
    live.children.delete(child.executionArn);
    const described = describeForTask(done, mode);
    if (done.status === ExecutionStatus.SUCCEEDED) {
      recorder.add('TaskSucceeded', {
        taskSucceededEventDetails: {
          ...base,
          $output: described,
          outputDetails: { truncated: false },
        },
      });
      return described;
    }
    throw fail('States.TaskFailed', JSON.stringify(described));
  }

  private async publishSns(
    params: Json,
    execution: StoredExecution,
    recorder: HistoryRecorder,
    binding: TaskBinding,
  ): Promise<Json> {
    const base = { resourceType: 'sns', resource: 'publish' };
    const target = String(params?.TopicArn ?? params?.TargetArn ?? '');
    const region =
      target.split(':')[3] || parseStateMachineArn(execution.stateMachineArn.split('/')[0] as string).region;
    recorder.add('TaskScheduled', {
      taskScheduledEventDetails: {
        ...base,
        region,
        $parameters: params,
        timeoutInSeconds: binding.timeoutSeconds,
      },
    });
    recorder.add('TaskStarted', { taskStartedEventDetails: base });
    const message = typeof params?.Message === 'string' ? params.Message : JSON.stringify(params?.Message);
    try {
      const result = await this.sns(region, execution).send(
        new PublishCommand({
          TopicArn: params?.TopicArn,
          TargetArn: params?.TargetArn,
          Message: message,
          Subject: params?.Subject,
          MessageAttributes: params?.MessageAttributes,
          MessageGroupId: params?.MessageGroupId,
          MessageDeduplicationId: params?.MessageDeduplicationId,
        }),
      );
      const output = {
        MessageId: result.MessageId,
        SdkHttpMetadata: { HttpStatusCode: result.$metadata.httpStatusCode ?? 200 },
        SdkResponseMetadata: { RequestId: result.$metadata.requestId },
      };
      recorder.add('TaskSucceeded', {
        taskSucceededEventDetails: {
          ...base,
          $output: output,
          outputDetails: { truncated: false },
        },
      });
      return output;
    } catch (thrown) {
      const e = thrown as { name?: string; message?: string };
      const error = `SNS.${e?.name ?? 'SnsException'}`;
      const cause = e?.message ?? String(thrown);
      recorder.add('TaskFailed', { taskFailedEventDetails: { ...base, error, cause } });
      throw taskError(error, cause);
    }
  }
}

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
import {
  assertValidName,
  executionArn as buildExecutionArn,
  stateMachineArn as buildStateMachineArn,
  deterministicUuid,
  parseStateMachineArn,
} from './arns';
import { type PreparedDefinition, prepareDefinition } from './definition';
import type {
  EngineInternals,
  EngineOptions,
  LiveExecution,
  Outcome,
  StartExecutionInput,
} from './engine-types';
import { EngineError } from './errors';
import { failureOf, finishExecution, jsonText, markOrphan } from './execution-outcome';
import { createStateContext, HistoryRecorder, type StateContext } from './history';
import type { EngineIdentity } from './identity';
import type { LambdaHandler } from './lambda-binding';
import { type FunctionInterceptor, type FunctionRunner, MAX_PAYLOAD_BYTES } from './lambda-invoke';
import type { Json } from './payload';
import { RoleClients } from './role-clients';
import { bindTasks } from './task-dispatch';
import { TaskTokens } from './task-tokens';
import {
  type EngineStore,
  ExecutionStatus,
  emptyStore,
  type StoredExecution,
  type StoredMapRun,
  type StoredStateMachine,
} from './types';

export type { EngineInternals, EngineOptions, LiveExecution, StartExecutionInput } from './engine-types';
export { type FunctionInterceptor, MAX_PAYLOAD_BYTES } from './lambda-invoke';
export { describeForTask } from './nested-execution';

export class LocalEngine implements EngineInternals {
  readonly store: EngineStore;
  private readonly live = new Map<string, LiveExecution>();
  private readonly functions = new Map<string, LambdaHandler>();
  private readonly interceptors = new Map<string, FunctionInterceptor>();
  private readonly seed: string;
  private idleWaiters: Array<() => void> = [];
  private readonly clock: () => number;
  private readonly identity: EngineIdentity | undefined;
  /** Task tokens of the callback tasks waiting in this process (task-tokens.ts). */
  private readonly tokens: TaskTokens;
  /** How Tasks run functions (lambda-invoke.ts). */
  private readonly runner: FunctionRunner;
  /** Integration clients and IAM checks as each execution's role (role-clients.ts). */
  private readonly roles: RoleClients;

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
    this.roles = new RoleClients(this.store, this.identity);
    for (const [name, fn] of Object.entries(options.functions ?? {})) this.functions.set(name, fn);
    this.runner = {
      functions: this.functions,
      interceptors: this.interceptors,
      identity: this.identity,
      nextId: () => this.nextId(),
      denialFor: (execution, action, resource) => this.roles.denialFor(execution, action, resource),
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
    const handlers = bindTasks(this.taskHost, prepared, execution, recorder, live, context, taskContext);
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
      finishExecution(execution, o, recorder, this.now());
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

  /** StopExecution: the execution ends ABORTED with the given error/cause; running children stop too. */
  stopExecution(arn: string, error?: string, cause?: string): StoredExecution {
    const execution = this.describeExecution(arn);
    const live = this.live.get(arn);
    if (live) {
      live.stop({ kind: 'aborted', error, cause });
    } else if (execution.status === ExecutionStatus.RUNNING) {
      // RUNNING in the store but not in this process: its process ended (see abortOrphans)
      markOrphan(execution, error ?? 'States.Aborted', cause ?? 'Stopped by StopExecution', this.now());
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
        markOrphan(
          e,
          'States.Aborted',
          'The sandbox process that ran this execution ended before the execution finished.',
          this.now(),
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

  s3(region: string, execution: StoredExecution): S3Client {
    return this.roles.s3(region, execution);
  }

  authorizeAs(execution: StoredExecution, action: string, resource: string, error: string): void {
    this.roles.authorizeAs(execution, action, resource, error);
  }

  // ---------------------------------------------------------------- Task tokens

  /** What Task dispatch (task-dispatch.ts) uses of this engine. */
  private get taskHost() {
    return { engine: this, tokens: this.tokens, runner: this.runner, roles: this.roles };
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
}

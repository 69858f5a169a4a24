/**
 * Turns an ASL file into something aws-local-stepfunctions runs with AWS's semantics, in
 * memory only (the file on disk stays the single source of truth):
 * - Tasks without TimeoutSeconds get AWS's "no timeout" instead of the package's 60 s;
 * - a Distributed Map becomes a Task bound to the engine's map-run implementation;
 * - a callback Task (`.waitForTaskToken`) keeps no timeout of its own in the package: the engine
 *   times it (callback-tasks.ts), with TimeoutSecondsPath / HeartbeatSecondsPath (reference paths
 *   into the state's effective input) folded into its Parameters, where the package evaluates paths;
 * - every Task resource is classified so the engine can bind it to an in-process handler.
 * Prepared definitions are cached by their text: parsing and validating once is what keeps
 * 10,000 child executions cheap.
 */

import { EngineError, StateTaskError } from './errors';
import { StateMachine } from './local-stepfunctions';
import type { Json } from './payload';

type AslValidator = (
  definition: unknown,
  options: { checkArn: boolean; checkPaths: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
/** asl-validator ships no types at its main entry; this is its documented call signature. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as AslValidator;

/**
 * AWS's default Task timeout is 99999999 s; timers cannot be longer than 2^31-1 ms (Node turns
 * longer ones into 1 ms), so the local "no timeout" is the longest timer Node accepts (~24.8 days).
 */
export const LOCAL_MAX_TIMEOUT_SECONDS = 2147483;

/** Marker resource of a rewritten Distributed Map. */
export const DISTRIBUTED_MAP_RESOURCE = 'arn:aws:states:::stackfleet-local:distributedMap';

export type TaskKind =
  | { kind: 'lambda'; functionArn: string; functionName: string }
  | { kind: 'lambdaInvoke' }
  | { kind: 'startExecution'; mode: 'async' | 'sync' | 'sync2' }
  | { kind: 'snsPublish' }
  | { kind: 'distributedMap' }
  | { kind: 'callback'; resourceType: string; resource: string }
  | { kind: 'unsupported'; resource: string };

export interface TaskBinding {
  stateName: string;
  resource: string;
  task: TaskKind;
  timeoutSeconds: number;
  /** Callback tasks: how the engine times them. */
  callback?: CallbackSpec;
}

export interface DistributedMapSpec {
  stateName: string;
  /** The original Map state (ItemReader, ItemSelector, ResultWriter, tolerances, Label...). */
  state: Json;
  /** The item processor, prepared as its own definition (children run it as executions). */
  processor: PreparedDefinition;
}

export interface PreparedDefinition {
  /** The definition text as given (what DescribeStateMachine returns). */
  text: string;
  machine: StateMachine;
  tasks: Map<string, TaskBinding>;
  distributedMaps: Map<string, DistributedMapSpec>;
  /** History type of states whose runtime type differs (a rewritten Distributed Map shows as `Map`). */
  displayTypes: Map<string, string>;
  /** Execution TimeoutSeconds, if any. */
  timeoutSeconds?: number;
}

/** Classifies a Task resource ARN. */
export function classifyResource(resource: string): TaskKind {
  const lambda =
    /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/.exec(resource);
  if (lambda) return { kind: 'lambda', functionArn: resource, functionName: lambda[1] as string };
  switch (resource) {
    case 'arn:aws:states:::lambda:invoke':
      return { kind: 'lambdaInvoke' };
    case 'arn:aws:states:::states:startExecution':
      return { kind: 'startExecution', mode: 'async' };
    case 'arn:aws:states:::states:startExecution.sync':
      return { kind: 'startExecution', mode: 'sync' };
    case 'arn:aws:states:::states:startExecution.sync:2':
      return { kind: 'startExecution', mode: 'sync2' };
    case 'arn:aws:states:::sns:publish':
      return { kind: 'snsPublish' };
    case DISTRIBUTED_MAP_RESOURCE:
      return { kind: 'distributedMap' };
    default: {
      const callback = CALLBACK_RESOURCES[resource];
      return callback ? { kind: 'callback', ...callback } : { kind: 'unsupported', resource };
    }
  }
}

/** The integrations the engine runs with a task token. */
const CALLBACK_RESOURCES: Record<string, { resourceType: string; resource: string }> = {
  'arn:aws:states:::lambda:invoke.waitForTaskToken': {
    resourceType: 'lambda',
    resource: 'invoke.waitForTaskToken',
  },
};

/** How a callback state times out, as its definition says. */
export interface CallbackSpec {
  readonly resourceType: string;
  readonly resource: string;
  readonly timeoutSeconds?: number;
  readonly timeoutSecondsPath?: string;
  readonly heartbeatSeconds?: number;
  readonly heartbeatSecondsPath?: string;
}

const WRAPPED = '__stackfleetCallbackParameters';
const TIMEOUT = '__stackfleetTimeoutSeconds';
const HEARTBEAT = '__stackfleetHeartbeatSeconds';

/**
 * The state as the package sees it (no timeout of its own; paths folded into Parameters) and the
 * spec the engine times it by. Refuses, as CreateStateMachine does, a HeartbeatSeconds that is not
 * smaller than TimeoutSeconds (Amazon States Language, Task state: "HeartbeatSeconds ... MUST be
 * smaller than TimeoutSeconds").
 */
export function rewriteCallbackState(
  name: string,
  original: Record<string, Json>,
  integration: { resourceType: string; resource: string },
): { state: Record<string, Json>; spec: CallbackSpec } {
  const state = { ...original };
  const spec: CallbackSpec = {
    ...integration,
    ...(typeof state.TimeoutSeconds === 'number' ? { timeoutSeconds: state.TimeoutSeconds } : {}),
    ...(typeof state.TimeoutSecondsPath === 'string' ? { timeoutSecondsPath: state.TimeoutSecondsPath } : {}),
    ...(typeof state.HeartbeatSeconds === 'number' ? { heartbeatSeconds: state.HeartbeatSeconds } : {}),
    ...(typeof state.HeartbeatSecondsPath === 'string'
      ? { heartbeatSecondsPath: state.HeartbeatSecondsPath }
      : {}),
  };
  if (
    spec.heartbeatSeconds !== undefined &&
    spec.timeoutSeconds !== undefined &&
    spec.heartbeatSeconds >= spec.timeoutSeconds
  ) {
    throw new EngineError(
      'InvalidDefinition',
      `Invalid State Machine Definition: HeartbeatSeconds must be smaller than TimeoutSeconds in state '${name}'. Received: HeartbeatSeconds ${spec.heartbeatSeconds}, TimeoutSeconds ${spec.timeoutSeconds}`,
    );
  }
  delete state.TimeoutSecondsPath;
  delete state.HeartbeatSeconds;
  delete state.HeartbeatSecondsPath;
  state.TimeoutSeconds = LOCAL_MAX_TIMEOUT_SECONDS;
  if (spec.timeoutSecondsPath !== undefined || spec.heartbeatSecondsPath !== undefined) {
    state.Parameters = {
      ...('Parameters' in original ? { [WRAPPED]: original.Parameters } : { [`${WRAPPED}.$`]: '$' }),
      ...(spec.timeoutSecondsPath !== undefined ? { [`${TIMEOUT}.$`]: spec.timeoutSecondsPath } : {}),
      ...(spec.heartbeatSecondsPath !== undefined ? { [`${HEARTBEAT}.$`]: spec.heartbeatSecondsPath } : {}),
    };
  }
  return { state, spec };
}

function positiveInteger(stateName: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new StateTaskError(
      'States.Runtime',
      `The value of ${field} in state '${stateName}' must be a positive integer. Received: ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The parameters the integration gets and the task's timeouts, from the processed input. */
export function callbackTimeouts(
  stateName: string,
  spec: CallbackSpec,
  input: Json,
): { parameters: Json; timeoutSeconds: number; heartbeatSeconds?: number } {
  const wrapped = spec.timeoutSecondsPath !== undefined || spec.heartbeatSecondsPath !== undefined;
  const parameters = wrapped ? input?.[WRAPPED] : input;
  const timeoutSeconds =
    spec.timeoutSecondsPath !== undefined
      ? positiveInteger(stateName, 'TimeoutSecondsPath', input?.[TIMEOUT])
      : (spec.timeoutSeconds ?? LOCAL_MAX_TIMEOUT_SECONDS);
  const heartbeatSeconds =
    spec.heartbeatSecondsPath !== undefined
      ? positiveInteger(stateName, 'HeartbeatSecondsPath', input?.[HEARTBEAT])
      : spec.heartbeatSeconds;
  const bounded = Math.min(timeoutSeconds, LOCAL_MAX_TIMEOUT_SECONDS);
  return {
    parameters,
    timeoutSeconds: bounded,
    ...(heartbeatSeconds === undefined ? {} : { heartbeatSeconds: Math.min(heartbeatSeconds, bounded) }),
  };
}

function isDistributedMap(state: Json): boolean {
  return state?.Type === 'Map' && state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED';
}

const MAP_TO_TASK_FIELDS = [
  'Comment',
  'InputPath',
  'ResultSelector',
  'ResultPath',
  'OutputPath',
  'Retry',
  'Catch',
  'Next',
  'End',
];

interface Collected {
  tasks: Map<string, TaskBinding>;
  distributedMaps: Map<string, DistributedMapSpec>;
}

/** Rewrites one States object (recursively into inline Map/Parallel); returns a new object. */
function rewriteStates(
  states: Record<string, Json>,
  into: Collected,
  cache: Map<string, PreparedDefinition>,
): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [name, original] of Object.entries(states)) {
    let state = { ...original };
    if (isDistributedMap(state)) {
      const processorText = JSON.stringify(state.ItemProcessor);
      into.distributedMaps.set(name, {
        stateName: name,
        state: original,
        processor: prepareParsed(processorText, cache, false),
      });
      const task: Json = {
        Type: 'Task',
        Resource: DISTRIBUTED_MAP_RESOURCE,
        TimeoutSeconds: LOCAL_MAX_TIMEOUT_SECONDS,
      };
      for (const field of MAP_TO_TASK_FIELDS) if (field in state) task[field] = state[field];
      state = task;
    } else if (state.Type === 'Map') {
      const key = state.ItemProcessor ? 'ItemProcessor' : 'Iterator';
      if (state[key])
        state[key] = { ...state[key], States: rewriteStates(state[key].States ?? {}, into, cache) };
    } else if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      state.Branches = state.Branches.map((b: Json) => ({
        ...b,
        States: rewriteStates(b.States ?? {}, into, cache),
      }));
    }
    // The package writes ResultPath "$" to a key named "$"; on AWS it replaces the whole input,
    // which is what leaving ResultPath out does in the package.
    if (state.ResultPath === '$') delete state.ResultPath;
    if (Array.isArray(state.Catch)) {
      state.Catch = state.Catch.map((c: Json) => {
        if (c?.ResultPath !== '$') return c;
        const { ResultPath: _dropped, ...rest } = c;
        return rest;
      });
    }
    if (state.Type === 'Task') {
      const task = classifyResource(String(state.Resource));
      let callback: CallbackSpec | undefined;
      if (task.kind === 'callback') {
        ({ state, spec: callback } = rewriteCallbackState(name, state, task));
      } else if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        state.TimeoutSeconds = LOCAL_MAX_TIMEOUT_SECONDS;
      }
      into.tasks.set(name, {
        stateName: name,
        resource: state.Resource,
        task,
        timeoutSeconds: callback?.timeoutSeconds ?? state.TimeoutSeconds ?? LOCAL_MAX_TIMEOUT_SECONDS,
        ...(callback ? { callback } : {}),
      });
    }
    out[name] = state;
  }
  return out;
}

/** Validates a definition like CreateStateMachine does; throws `InvalidDefinition` listing the problems. */
export function validateDefinition(text: string): Json {
  let parsed: Json;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EngineError(
      'InvalidDefinition',
      `Invalid State Machine Definition: 'definition' is not valid JSON (${(error as Error).message})`,
    );
  }
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    typeof parsed.StartAt !== 'string' ||
    typeof parsed.States !== 'object'
  ) {
    throw new EngineError(
      'InvalidDefinition',
      "Invalid State Machine Definition: 'definition' must be an object with StartAt and States",
    );
  }
  const { isValid, errorsText } = aslValidator(parsed, { checkArn: false, checkPaths: true });
  if (!isValid) {
    throw new EngineError('InvalidDefinition', `Invalid State Machine Definition: ${errorsText('; ')}`);
  }
  const missing = findMissingTransitions(parsed);
  if (missing.length) {
    throw new EngineError('InvalidDefinition', `Invalid State Machine Definition: ${missing.join('; ')}`);
  }
  return parsed;
}

function findMissingTransitions(def: Json, where = ''): string[] {
  const problems: string[] = [];
  const names = new Set(Object.keys(def.States ?? {}));
  if (!names.has(def.StartAt))
    problems.push(`MISSING_TRANSITION_TARGET: StartAt '${def.StartAt}' at /${where}StartAt`);
  for (const [name, s] of Object.entries<Json>(def.States ?? {})) {
    const targets: string[] = [];
    if (s.Next) targets.push(s.Next);
    if (s.Default) targets.push(s.Default);
    for (const c of s.Choices ?? []) if (c.Next) targets.push(c.Next);
    for (const c of s.Catch ?? []) if (c.Next) targets.push(c.Next);
    for (const t of targets) {
      if (!names.has(t))
        problems.push(`MISSING_TRANSITION_TARGET: State '${t}' is not found at /${where}States/${name}`);
    }
    const sub = s.ItemProcessor ?? s.Iterator;
    if (sub) problems.push(...findMissingTransitions(sub, `${where}States/${name}/ItemProcessor/`));
    for (const [i, b] of (s.Branches ?? []).entries())
      problems.push(...findMissingTransitions(b, `${where}States/${name}/Branches/${i}/`));
  }
  return problems;
}

function prepareParsed(
  text: string,
  cache: Map<string, PreparedDefinition>,
  validate: boolean,
): PreparedDefinition {
  const cached = cache.get(text);
  if (cached) return cached;
  const parsed = validate ? validateDefinition(text) : JSON.parse(text);
  const into: Collected = { tasks: new Map(), distributedMaps: new Map() };
  const rewritten = { ...parsed, States: rewriteStates(parsed.States, into, cache) };
  const machine = new StateMachine(rewritten, { validationOptions: { noValidate: true } });
  const prepared: PreparedDefinition = {
    text,
    machine,
    tasks: into.tasks,
    distributedMaps: into.distributedMaps,
    displayTypes: new Map([...into.distributedMaps.keys()].map((name) => [name, 'Map'])),
    timeoutSeconds: typeof parsed.TimeoutSeconds === 'number' ? parsed.TimeoutSeconds : undefined,
  };
  cache.set(text, prepared);
  return prepared;
}

const sharedCache = new Map<string, PreparedDefinition>();

/** Prepares (and caches) a definition text; validates it the first time it is seen. */
export function prepareDefinition(text: string): PreparedDefinition {
  return prepareParsed(text, sharedCache, true);
}

/**
 * Step Functions in the sandbox (awsJson 1.0, `AWSStepFunctions.*`), answered by the local
 * engine, so the CLI, the UI and tests use the real SFNClient against the sandbox exactly as
 * against AWS. Records persist in the world's `stepfunctions` section: a later command sees
 * the executions, histories and map runs of an earlier one. An execution left RUNNING by a
 * process that ended is closed as ABORTED (with a cause saying so) when an engine attaches to
 * the world, because its in-flight Task calls cannot be resumed faithfully.
 */
import { assertValidName, parseStateMachineArn } from '../../engine/arns';
import { prepareDefinition } from '../../engine/definition';
import { LocalEngine } from '../../engine/engine';
import { EngineError } from '../../engine/errors';
import { renderEventDetails } from '../../engine/history';
import type { EngineIdentity } from '../../engine/identity';
import {
  type EngineStore,
  emptyStore,
  type StoredExecution,
  type StoredHistoryEvent,
} from '../../engine/types';
import { sandboxEngineIdentity } from '../iam/engine-identity';
import { AwsError, type OperationContext, type SandboxWorld, type ServiceEmulator } from '../types';
import type { World } from '../world';

/** Key of the engine in `world.extensions` and of its section in the world state. */
export const STEP_FUNCTIONS_EXTENSION = 'stepfunctions';

/**
 * The engine of a world (created, and orphaned RUNNING executions closed, on first use). It acts
 * as the world's own principals (src/sandbox/iam/engine-identity.ts) unless one was attached.
 */
export function engineFor(world: SandboxWorld): LocalEngine {
  const existing = world.extensions[STEP_FUNCTIONS_EXTENSION] as LocalEngine | undefined;
  if (existing) return existing;
  return attachEngine(world, sandboxEngineIdentity(world as World));
}

/**
 * Gives a world's Step Functions an engine with another identity, before anything uses it: the
 * local engine of `--local-engine`, whose functions and permissions are those of another cloud
 * (src/engine/remote-identity.ts).
 */
export function attachEngine(
  world: SandboxWorld,
  identity: EngineIdentity,
  options: { abortOrphans?: boolean } = {},
): LocalEngine {
  if (world.extensions[STEP_FUNCTIONS_EXTENSION] !== undefined) {
    throw new Error('attachEngine: this world already has its Step Functions engine');
  }
  const store = world.section<EngineStore>(STEP_FUNCTIONS_EXTENSION, emptyStore);
  const engine = new LocalEngine({ store, seed: world.scenario.seed, now: () => world.now(), identity });
  // A reader of a world another process is running (status --local-engine) must see its
  // executions RUNNING, not close them.
  if (options.abortOrphans !== false) engine.abortOrphans();
  world.extensions[STEP_FUNCTIONS_EXTENSION] = engine;
  return engine;
}

function str(params: Record<string, unknown>, field: string, required = true): string | undefined {
  const value = params[field];
  if (value === undefined || value === null) {
    if (required)
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
      );
    return undefined;
  }
  if (typeof value !== 'string')
    throw new AwsError('ValidationException', `'${field}' must be a string. Received: ${typeof value}`);
  return value;
}

/** A string member no longer than the API's length constraint (ValidationException otherwise). */
function bounded(
  params: Record<string, unknown>,
  field: string,
  max: number,
  required: boolean,
): string | undefined {
  const value = str(params, field, required);
  if (value !== undefined && (value.length > max || (required && value.length < 1))) {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length between ${required ? 1 : 0} and ${max}. Received: ${value.length} characters`,
    );
  }
  return value;
}

/** Length constraints of the SendTask* members (Step Functions API Reference, SendTaskSuccess / SendTaskFailure). */
const TASK_LIMITS = { taskToken: 2048, output: 262144, error: 256, cause: 32768 } as const;

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof EngineError) throw new AwsError(error.code, error.message);
    throw error;
  }
}

function page<T>(
  items: T[],
  params: Record<string, unknown>,
  defaultSize: number,
): { items: T[]; nextToken?: string } {
  const max =
    typeof params.maxResults === 'number' && params.maxResults > 0
      ? Math.min(params.maxResults, 1000)
      : defaultSize;
  let start = 0;
  if (typeof params.nextToken === 'string' && params.nextToken) {
    const decoded = Number(Buffer.from(params.nextToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(decoded) || decoded < 0)
      throw new AwsError(
        'InvalidToken',
        `Invalid Token: 'nextToken' is not a token this API issued. Received: ${params.nextToken}`,
      );
    start = decoded;
  }
  const slice = items.slice(start, start + max);
  const next = start + max;
  return {
    items: slice,
    nextToken: next < items.length ? Buffer.from(String(next)).toString('base64url') : undefined,
  };
}

const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

function executionListItem(e: StoredExecution) {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: date(e.startDate),
    stopDate: date(e.stopDate),
    mapRunArn: e.mapRunArn,
    redriveCount: 0,
  };
}

function eventOut(event: StoredHistoryEvent, includeData: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...event, timestamp: new Date(event.timestamp) };
  for (const [key, value] of Object.entries(out)) {
    if (key.endsWith('EventDetails') && value && typeof value === 'object') {
      out[key] = renderEventDetails(value as Record<string, unknown>);
    }
  }
  if (!includeData) {
    for (const [key, value] of Object.entries(out)) {
      if (key.endsWith('EventDetails') && value && typeof value === 'object') {
        const { input: _i, output: _o, ...rest } = value as Record<string, unknown>;
        out[key] = rest;
      }
    }
  }
  return out;
}

function validateDefinitionResult(definition: string): {
  result: 'OK' | 'FAIL';
  diagnostics: Array<Record<string, string>>;
} {
  try {
    prepareDefinition(definition);
    return { result: 'OK', diagnostics: [] };
  } catch (error) {
    return {
      result: 'FAIL',
      diagnostics: [
        { severity: 'ERROR', code: 'SCHEMA_VALIDATION_FAILED', message: (error as Error).message },
      ],
    };
  }
}

function checkRoleArn(roleArn: string): void {
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(roleArn)) {
    throw new AwsError('InvalidArn', `Invalid Arn: 'roleArn' must be an IAM role ARN. Received: ${roleArn}`);
  }
}

function checkType(params: Record<string, unknown>): void {
  if (params.type !== undefined && params.type !== 'STANDARD') {
    throw new AwsError(
      'ValidationException',
      `The local engine runs STANDARD state machines only. Received type: ${String(params.type)}`,
    );
  }
}

/** The Step Functions emulator; every operation goes to the world's engine. */
export function createStepFunctionsService(): ServiceEmulator {
  return {
    signingName: 'states',
    protocol: 'json',
    targetPrefix: 'AWSStepFunctions',
    operations: {
      CreateStateMachine: (params, ctx: OperationContext) =>
        wrap(() => {
          const name = str(params, 'name') as string;
          const definition = str(params, 'definition') as string;
          const roleArn = str(params, 'roleArn') as string;
          checkType(params);
          checkRoleArn(roleArn);
          const sm = engineFor(ctx.world).createStateMachine({
            name,
            definition,
            roleArn,
            region: ctx.region,
            accountId: ctx.caller.accountId,
            description: typeof params.description === 'string' ? params.description : undefined,
          });
          return {
            stateMachineArn: sm.stateMachineArn,
            creationDate: date(sm.creationDate),
            stateMachineVersionArn: undefined,
          };
        }),
      UpdateStateMachine: (params, ctx: OperationContext) =>
        wrap(() => {
          const arn = str(params, 'stateMachineArn') as string;
          const roleArn = str(params, 'roleArn', false);
          if (roleArn) checkRoleArn(roleArn);
          const sm = engineFor(ctx.world).updateStateMachine(arn, {
            definition: str(params, 'definition', false),
            roleArn,
          });
          return { updateDate: date(sm.updateDate), revisionId: sm.revisionId };
        }),
      DescribeStateMachine: (params, ctx: OperationContext) =>
        wrap(() => {
          const sm = engineFor(ctx.world).describeStateMachine(str(params, 'stateMachineArn') as string);
          return {
            stateMachineArn: sm.stateMachineArn,
            name: sm.name,
            status: sm.status,
            definition: sm.definition,
            roleArn: sm.roleArn,
            type: sm.type,
            creationDate: date(sm.creationDate),
            loggingConfiguration: { level: 'OFF', includeExecutionData: false },
            tracingConfiguration: { enabled: false },
            revisionId: sm.revisionId,
            description: sm.description,
          };
        }),
      ListStateMachines: (params, ctx: OperationContext) =>
        wrap(() => {
          const all = engineFor(ctx.world).listStateMachines(ctx.caller.accountId, ctx.region);
          const { items, nextToken } = page(all, params, 100);
          return {
            stateMachines: items.map((sm) => ({
              stateMachineArn: sm.stateMachineArn,
              name: sm.name,
              type: sm.type,
              creationDate: date(sm.creationDate),
            })),
            nextToken,
          };
        }),
      ValidateStateMachineDefinition: (params) =>
        validateDefinitionResult(str(params, 'definition') as string),
      StartExecution: (params, ctx: OperationContext) =>
        wrap(() => {
          const name = str(params, 'name', false);
          if (name !== undefined) assertValidName('name', name);
          const e = engineFor(ctx.world).startExecution({
            stateMachineArn: str(params, 'stateMachineArn') as string,
            name,
            input: str(params, 'input', false),
          });
          return { executionArn: e.executionArn, startDate: date(e.startDate) };
        }),
      StopExecution: (params, ctx: OperationContext) =>
        wrap(() => {
          const e = engineFor(ctx.world).stopExecution(
            str(params, 'executionArn') as string,
            str(params, 'error', false),
            str(params, 'cause', false),
          );
          return { stopDate: date(e.stopDate ?? ctx.now()) };
        }),
      DescribeExecution: (params, ctx: OperationContext) =>
        wrap(() => {
          const e = engineFor(ctx.world).describeExecution(str(params, 'executionArn') as string);
          return {
            ...executionListItem(e),
            input: e.input,
            inputDetails: { included: true },
            output: e.output,
            outputDetails: e.output !== undefined ? { included: true } : undefined,
            error: e.error,
            cause: e.cause,
            redriveStatus: 'NOT_REDRIVABLE',
            redriveStatusReason:
              e.status === 'RUNNING'
                ? 'Execution is RUNNING and cannot be redriven'
                : `Execution is ${e.status} and cannot be redriven`,
          };
        }),
      DescribeStateMachineForExecution: (params, ctx: OperationContext) =>
        wrap(() => {
          const engine = engineFor(ctx.world);
          const e = engine.describeExecution(str(params, 'executionArn') as string);
          const label = e.mapRunArn ? engine.describeMapRun(e.mapRunArn).label : undefined;
          const sm = engine.store.stateMachines[e.stateMachineArn];
          return {
            stateMachineArn: e.stateMachineArn,
            name:
              parseStateMachineArn(e.stateMachineArn.split('/')[0] as string).name +
              (label ? `/${label}` : ''),
            definition: e.definition,
            roleArn: e.roleArn,
            updateDate: date(sm?.updateDate ?? sm?.creationDate ?? e.startDate),
            mapRunArn: e.mapRunArn,
            label,
            revisionId: sm?.revisionId,
            loggingConfiguration: { level: 'OFF', includeExecutionData: false },
            tracingConfiguration: { enabled: false },
          };
        }),
      GetExecutionHistory: (params, ctx: OperationContext) =>
        wrap(() => {
          const e = engineFor(ctx.world).describeExecution(str(params, 'executionArn') as string);
          const events = params.reverseOrder === true ? [...e.history].reverse() : e.history;
          const { items, nextToken } = page(events, params, 100);
          const includeData = params.includeExecutionData !== false;
          return { events: items.map((ev) => eventOut(ev, includeData)), nextToken };
        }),
      ListExecutions: (params, ctx: OperationContext) =>
        wrap(() => {
          const stateMachineArn = str(params, 'stateMachineArn', false);
          const mapRunArn = str(params, 'mapRunArn', false);
          if (!stateMachineArn === !mapRunArn) {
            throw new AwsError(
              'ValidationException',
              'Exactly one of stateMachineArn or mapRunArn must be given.',
            );
          }
          const engine = engineFor(ctx.world);
          if (stateMachineArn && !stateMachineArn.includes('/')) engine.describeStateMachine(stateMachineArn);
          if (mapRunArn) engine.describeMapRun(mapRunArn);
          const all = engine.listExecutions({
            stateMachineArn,
            mapRunArn,
            statusFilter: str(params, 'statusFilter', false),
          });
          const { items, nextToken } = page(all, params, 100);
          return { executions: items.map(executionListItem), nextToken };
        }),
      DescribeMapRun: (params, ctx: OperationContext) =>
        wrap(() => {
          const m = engineFor(ctx.world).describeMapRun(str(params, 'mapRunArn') as string);
          return {
            mapRunArn: m.mapRunArn,
            executionArn: m.executionArn,
            status: m.status,
            startDate: date(m.startDate),
            stopDate: date(m.stopDate),
            maxConcurrency: m.maxConcurrency,
            toleratedFailurePercentage: m.toleratedFailurePercentage,
            toleratedFailureCount: m.toleratedFailureCount,
            itemCounts: { ...m.itemCounts },
            executionCounts: { ...m.executionCounts },
            redriveCount: 0,
          };
        }),
      // The callback pattern: a task waiting for its token completes (task-tokens.ts says what each
      // state of the token answers: TaskTimedOut, InvalidToken, TaskDoesNotExist).
      SendTaskSuccess: (params, ctx: OperationContext) =>
        wrap(() => {
          const token = bounded(params, 'taskToken', TASK_LIMITS.taskToken, true) as string;
          const output = bounded(params, 'output', TASK_LIMITS.output, true) as string;
          engineFor(ctx.world).sendTaskSuccess(token, output);
          return {};
        }),
      SendTaskFailure: (params, ctx: OperationContext) =>
        wrap(() => {
          const token = bounded(params, 'taskToken', TASK_LIMITS.taskToken, true) as string;
          engineFor(ctx.world).sendTaskFailure(
            token,
            bounded(params, 'error', TASK_LIMITS.error, false),
            bounded(params, 'cause', TASK_LIMITS.cause, false),
          );
          return {};
        }),
      SendTaskHeartbeat: (params, ctx: OperationContext) =>
        wrap(() => {
          engineFor(ctx.world).sendTaskHeartbeat(
            bounded(params, 'taskToken', TASK_LIMITS.taskToken, true) as string,
          );
          return {};
        }),
      ListMapRuns: (params, ctx: OperationContext) =>
        wrap(() => {
          const runs = engineFor(ctx.world).listMapRuns(str(params, 'executionArn') as string);
          const { items, nextToken } = page(runs, params, 100);
          return {
            mapRuns: items.map((m) => ({
              executionArn: m.executionArn,
              mapRunArn: m.mapRunArn,
              stateMachineArn: m.stateMachineArn,
              startDate: date(m.startDate),
              stopDate: date(m.stopDate),
            })),
            nextToken,
          };
        }),
    },
  };
}

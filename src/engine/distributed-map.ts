/**
 * Distributed Map, which aws-local-stepfunctions lacks. The engine rewrites such a Map into a
 * Task bound here; this runs a Map Run: items from the input or an S3 object (ItemReader),
 * ItemSelector per item, one unnamed child execution per item (each with its own history),
 * at most MaxConcurrency at once, failure tolerance, results to S3 (ResultWriter) in AWS's
 * format. The parent's history gets MapRun* events only, whatever the number of items.
 *
 * When the tolerated failure threshold is exceeded (or an item cannot be started), the Map Run
 * fails as on AWS: no new child starts and the children still running are stopped, ending
 * ABORTED (the Step Functions API reference, MapRunExecutionCounts `aborted`: child executions
 * "stopped by the user or by Step Functions because the Map Run failed"). Stopping a child stops
 * the nested executions it waits on, and whatever those had started elsewhere (a stack
 * operation) carries on unobserved. Aborted children are written with the failed ones (FAILED_0
 * .json), items never started stay `pending` and are listed in PENDING_0.json. Then the state
 * fails with `States.ExceedToleratedFailureThreshold`, after the results have been written.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mapRunArn as buildMapRunArn, parseStateMachineArn } from './arns';
import type { DistributedMapSpec } from './definition';
import type { EngineInternals, LiveExecution } from './engine-types';
import { StateTaskError } from './errors';
import type { HistoryRecorder } from './history';
import { ItemReaderError, parseItems, type ReaderConfig } from './item-reader';
import { evaluatePayload, type Json, queryPath, StatesRuntimeError } from './payload';
import { buildResultFiles, type ResultEntry } from './result-writer';
import { ExecutionStatus, MapRunStatus, type StoredExecution, type StoredMapRun, zeroCounts } from './types';

/** AWS's ceiling of concurrent child executions for a Distributed Map (MaxConcurrency 0 means this). */
export const DISTRIBUTED_MAP_MAX_CONCURRENCY = 10000;

export const EXCEEDED_TOLERANCE_ERROR = 'States.ExceedToleratedFailureThreshold';

export interface MapRunParent {
  execution: StoredExecution;
  recorder: HistoryRecorder;
  live: LiveExecution;
  context: Record<string, unknown>;
}

function stateError(name: string, cause: string): StateTaskError {
  return new StateTaskError(name, cause);
}

function baseStateMachineArn(arn: string): string {
  return arn.split('/')[0] as string;
}

async function readItems(
  engine: EngineInternals,
  reader: Json,
  input: Json,
  context: Json,
  region: string,
  execution: StoredExecution,
): Promise<Json[]> {
  if (reader.Resource !== 'arn:aws:states:::s3:getObject') {
    throw new ItemReaderError(
      `ItemReader.Resource must be arn:aws:states:::s3:getObject in the local engine. Received: ${reader.Resource}`,
    );
  }
  const params = await evaluatePayload(reader.Parameters ?? {}, input, context);
  const config: ReaderConfig = reader.ReaderConfig ?? {};
  const maxItems = (config as Json).MaxItemsPath
    ? Number(queryPath((config as Json).MaxItemsPath, input, context))
    : config.MaxItems;
  let body: string;
  try {
    const res = await engine
      .s3(region, execution)
      .send(new GetObjectCommand({ Bucket: params.Bucket, Key: params.Key, VersionId: params.VersionId }));
    body = (await res.Body?.transformToString()) ?? '';
  } catch (error) {
    const e = error as { name?: string; message?: string };
    throw new ItemReaderError(`Reading s3://${params.Bucket}/${params.Key} failed: ${e.name}: ${e.message}`);
  }
  return parseItems(body, config, maxItems);
}

function numberField(state: Json, field: string, input: Json, context: Json): number | undefined {
  if (state[`${field}Path`] !== undefined) {
    const v = queryPath(state[`${field}Path`], input, context);
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
      throw new StatesRuntimeError(
        `${field}Path must point to a non-negative number. Received: ${JSON.stringify(v)}`,
      );
    }
    return v;
  }
  return typeof state[field] === 'number' ? state[field] : undefined;
}

/** Whether failures exceed the tolerance; with neither setting, any failure does (AWS's default). */
export function exceedsTolerance(
  failures: number,
  total: number,
  count?: number,
  percentage?: number,
): boolean {
  if (count === undefined && percentage === undefined) return failures > 0;
  if (count !== undefined && failures > count) return true;
  if (percentage !== undefined && total > 0 && (failures * 100) / total > percentage) return true;
  return false;
}

function entryOf(e: StoredExecution): ResultEntry {
  const entry: ResultEntry = {
    ExecutionArn: e.executionArn,
    Input: e.input,
    InputDetails: { Included: true },
    Name: e.name,
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    RedriveStatusReason: `Execution is ${e.status} and cannot be redriven`,
    StartDate: new Date(e.startDate).toISOString(),
    StateMachineArn: e.stateMachineArn,
    Status: e.status,
    StopDate: e.stopDate !== undefined ? new Date(e.stopDate).toISOString() : undefined,
  };
  if (e.status === ExecutionStatus.SUCCEEDED) {
    entry.Output = e.output ?? 'null';
    entry.OutputDetails = { Included: true };
  } else {
    entry.Error = e.error;
    entry.Cause = e.cause;
  }
  return entry;
}

/** Runs one Map Run for the Distributed Map state `spec` with the state's effective input. */
export async function runDistributedMap(
  engine: EngineInternals,
  spec: DistributedMapSpec,
  input: Json,
  parent: MapRunParent,
): Promise<Json> {
  const state = spec.state;
  const { recorder, context } = parent;
  const parentStateMachine = baseStateMachineArn(parent.execution.stateMachineArn);
  const region = parseStateMachineArn(parentStateMachine).region;
  const fail = (error: string, cause: string): never => {
    recorder.add('MapStateFailed');
    throw stateError(error, cause);
  };

  let items: Json[];
  try {
    if (state.ItemReader) {
      items = await readItems(engine, state.ItemReader, input, context, region, parent.execution);
    } else {
      const value = state.ItemsPath ? queryPath(state.ItemsPath, input, context) : input;
      if (!Array.isArray(value)) {
        throw new StatesRuntimeError(
          `ItemsPath ${state.ItemsPath ?? '$'} must point to an array. Received: ${typeof value}`,
        );
      }
      items = value;
    }
  } catch (error) {
    const e = error as Error;
    return fail(e.name || 'States.ItemReaderFailed', e.message);
  }
  // A Distributed Map starts its children as executions of its own state machine (Step Functions
  // Developer Guide, iam-policies-eg-dist-map: states:StartExecution on the state machine itself).
  try {
    engine.authorizeAs(parent.execution, 'states:StartExecution', parentStateMachine, 'States.Runtime');
  } catch (error) {
    const e = error as Error;
    return fail(e.name, e.message);
  }
  const configured = numberField(state, 'MaxConcurrency', input, context) ?? 0;
  const limit =
    configured === 0
      ? DISTRIBUTED_MAP_MAX_CONCURRENCY
      : Math.min(configured, DISTRIBUTED_MAP_MAX_CONCURRENCY);
  const tolCount = numberField(state, 'ToleratedFailureCount', input, context);
  const tolPercentage = numberField(state, 'ToleratedFailurePercentage', input, context);
  const label = typeof state.Label === 'string' && state.Label ? state.Label : spec.stateName;
  const total = items.length;

  const mapRun: StoredMapRun = {
    mapRunArn: buildMapRunArn(parentStateMachine, label, engine.nextId()),
    executionArn: parent.execution.executionArn,
    stateMachineArn: parentStateMachine,
    label,
    status: MapRunStatus.RUNNING,
    startDate: engine.now(),
    maxConcurrency: configured,
    toleratedFailurePercentage: tolPercentage ?? 0,
    toleratedFailureCount: tolCount ?? 0,
    itemCounts: zeroCounts(total),
    executionCounts: zeroCounts(0),
  };
  engine.store.mapRuns[mapRun.mapRunArn] = mapRun;
  recorder.add('MapStateStarted', { mapStateStartedEventDetails: { length: total } });
  recorder.add('MapRunStarted', { mapRunStartedEventDetails: { mapRunArn: mapRun.mapRunArn } });

  const finished: Array<StoredExecution | undefined> = new Array(total);
  const selectedInputs: Array<Json> = new Array(total);
  /** Children running now, by item index: stopped when the Map Run fails. */
  const runningChildren = new Map<number, LiveExecution>();
  /** Items whose child this Map Run stopped: aborted, not failures of their own. */
  const abortedByRun = new Set<number>();
  let failures = 0;
  let exceeded = false;
  let fatal: Error | undefined;
  const selector = state.ItemSelector ?? state.Parameters;
  const ic = mapRun.itemCounts;
  const ec = mapRun.executionCounts;

  const startItem = async (index: number): Promise<StoredExecution> => {
    const value = items[index];
    const selected =
      selector !== undefined
        ? await evaluatePayload(selector, input, {
            ...context,
            Map: { Item: { Index: index, Value: value } },
          })
        : value;
    selectedInputs[index] = selected;
    ic.pending--;
    ic.running++;
    ec.total++;
    ec.running++;
    const child = engine.startMapRunChild({
      mapRun,
      processor: spec.processor,
      input: selected,
      parent: parent.execution,
    });
    parent.live.children.add(child.execution.executionArn);
    runningChildren.set(index, child);
    if (exceeded || fatal) abortChild(index, child);
    const done = await child.done;
    runningChildren.delete(index);
    parent.live.children.delete(done.executionArn);
    return done;
  };

  const abortCause = () =>
    `Map Run ${mapRun.mapRunArn} failed: ${fatal ? `${fatal.name}: ${fatal.message}` : 'the tolerated failure threshold was exceeded'}`;
  function abortChild(index: number, child: LiveExecution): void {
    abortedByRun.add(index);
    child.stop({ kind: 'aborted', error: 'States.Aborted', cause: abortCause() });
  }
  /** The Map Run failed: stop every child still running (AWS aborts them). */
  const abortRunning = () => {
    for (const [index, child] of runningChildren) if (!abortedByRun.has(index)) abortChild(index, child);
  };

  const settleChild = (index: number, e: StoredExecution) => {
    finished[index] = e;
    ic.running--;
    ec.running--;
    switch (e.status) {
      case ExecutionStatus.SUCCEEDED:
        ic.succeeded++;
        ec.succeeded++;
        return;
      case ExecutionStatus.TIMED_OUT:
        ic.timedOut++;
        ec.timedOut++;
        break;
      case ExecutionStatus.ABORTED:
        ic.aborted++;
        ec.aborted++;
        // Stopped because the Map Run had already failed: not a failure of its own.
        if (abortedByRun.has(index)) return;
        break;
      default:
        ic.failed++;
        ec.failed++;
    }
    failures++;
    if (!exceeded && exceedsTolerance(failures, total, tolCount, tolPercentage)) {
      exceeded = true;
      abortRunning();
    }
  };

  await new Promise<void>((resolveAll) => {
    let next = 0;
    let running = 0;
    const stopped = () =>
      exceeded || fatal !== undefined || parent.execution.status !== ExecutionStatus.RUNNING;
    const pump = () => {
      while (!stopped() && running < limit && next < total) {
        const index = next++;
        running++;
        startItem(index).then(
          (e) => {
            running--;
            settleChild(index, e);
            pump();
          },
          (error: Error) => {
            running--;
            ic.pending--;
            ic.failed++;
            fatal ??= error;
            abortRunning();
            pump();
          },
        );
      }
      if (running === 0 && (next >= total || stopped())) resolveAll();
    };
    pump();
  });

  mapRun.stopDate = engine.now();
  const parentGone = parent.execution.status !== ExecutionStatus.RUNNING;
  mapRun.status = parentGone
    ? MapRunStatus.ABORTED
    : exceeded || fatal
      ? MapRunStatus.FAILED
      : MapRunStatus.SUCCEEDED;

  let resultOutput: Json;
  if (state.ResultWriter && !parentGone) {
    const writer = state.ResultWriter;
    try {
      if (writer.Resource !== 'arn:aws:states:::s3:putObject') {
        throw new Error(
          `ResultWriter.Resource must be arn:aws:states:::s3:putObject. Received: ${writer.Resource}`,
        );
      }
      const params = await evaluatePayload(writer.Parameters ?? {}, input, context);
      const succeeded: ResultEntry[] = [];
      const failed: ResultEntry[] = [];
      const pending: ResultEntry[] = [];
      for (let i = 0; i < total; i++) {
        const e = finished[i];
        if (!e) {
          let inputValue = selectedInputs[i];
          if (inputValue === undefined) {
            // what the child would have received: the item after ItemSelector
            inputValue = items[i];
            if (selector !== undefined) {
              try {
                inputValue = await evaluatePayload(selector, input, {
                  ...context,
                  Map: { Item: { Index: i, Value: items[i] } },
                });
              } catch {
                // the raw item is the best description of an item whose selection fails
              }
            }
          }
          pending.push({
            Input: JSON.stringify(inputValue ?? null),
            InputDetails: { Included: true },
            Status: 'PENDING',
          });
        } else if (e.status === ExecutionStatus.SUCCEEDED) {
          succeeded.push(entryOf(e));
        } else {
          failed.push(entryOf(e));
        }
      }
      const files = buildResultFiles({
        bucket: params.Bucket,
        prefix: params.Prefix,
        mapRunArn: mapRun.mapRunArn,
        succeeded,
        failed,
        pending,
      });
      const s3 = engine.s3(region, parent.execution);
      for (const file of files.files) {
        await s3.send(
          new PutObjectCommand({
            Bucket: params.Bucket,
            Key: file.key,
            Body: file.body,
            ContentType: 'application/json',
          }),
        );
      }
      ic.resultsWritten = succeeded.length + failed.length;
      ec.resultsWritten = succeeded.length + failed.length;
      resultOutput = {
        MapRunArn: mapRun.mapRunArn,
        ResultWriterDetails: { Bucket: params.Bucket, Key: files.manifestKey },
      };
    } catch (error) {
      const e = error as { name?: string; message?: string };
      mapRun.status = MapRunStatus.FAILED;
      const cause = `Writing the Map Run results failed: ${e.name}: ${e.message}`;
      recorder.add('MapRunFailed', {
        mapRunFailedEventDetails: { error: 'States.ResultWriterFailed', cause },
      });
      return fail('States.ResultWriterFailed', cause);
    }
  } else {
    resultOutput = finished.map((e) =>
      !e
        ? null
        : e.status === ExecutionStatus.SUCCEEDED
          ? JSON.parse(e.output ?? 'null')
          : { Error: e.error, Cause: e.cause },
    );
  }

  if (fatal) {
    const cause = fatal.message;
    recorder.add('MapRunFailed', { mapRunFailedEventDetails: { error: fatal.name, cause } });
    return fail(fatal.name || 'States.Runtime', cause);
  }
  if (exceeded) {
    const cause = `The specified tolerated failure threshold was exceeded: ${failures} of ${total} items failed (ToleratedFailureCount ${tolCount ?? 'not set'}, ToleratedFailurePercentage ${tolPercentage ?? 'not set'}). Map Run: ${mapRun.mapRunArn}`;
    recorder.add('MapRunFailed', { mapRunFailedEventDetails: { error: EXCEEDED_TOLERANCE_ERROR, cause } });
    return fail(EXCEEDED_TOLERANCE_ERROR, cause);
  }
  if (parentGone) return fail('States.Aborted', 'The parent execution stopped');
  recorder.add('MapRunSucceeded');
  recorder.add('MapStateSucceeded');
  return resultOutput;
}

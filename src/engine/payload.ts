/**
 * Payload templates (`"Key.$": "$.path"`, `$$` context paths, intrinsic functions) for the
 * fields aws-local-stepfunctions never sees because the engine implements them itself:
 * a Distributed Map's ItemSelector, ItemReader/ResultWriter Parameters and tolerance paths.
 * Paths use jsonpath-plus like the package, so the semantics match the states it runs.
 */

import { JSONPath } from 'jsonpath-plus';
import { StateMachine } from './local-stepfunctions';

// biome-ignore lint/suspicious/noExplicitAny: JSON values of a state machine are untyped by nature
export type Json = any;

/** A `States.Runtime` failure: not retryable or catchable, like AWS. */
export class StatesRuntimeError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(message: string) {
    super(message);
    this.name = 'States.Runtime';
  }
}

/** Evaluates one JSONPath (`$...` against the input, `$$...` against the context); a missing value is `States.Runtime`. */
export function queryPath(path: string, input: Json, context: Json): Json {
  const value = path.startsWith('$$')
    ? JSONPath({ path: path.slice(1), json: context ?? null, wrap: false })
    : JSONPath({ path, json: input, wrap: false });
  if (value === undefined) {
    throw new StatesRuntimeError(
      `The JSONPath '${path}' could not be found in the input '${JSON.stringify(input)}'`,
    );
  }
  return value;
}

function hasIntrinsic(template: Json): boolean {
  if (Array.isArray(template)) return template.some(hasIntrinsic);
  if (template === null || typeof template !== 'object') return false;
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$') && typeof value === 'string' && !value.startsWith('$')) return true;
    if (typeof value === 'object' && hasIntrinsic(value)) return true;
  }
  return false;
}

function evaluateSync(template: Json, input: Json, context: Json): Json {
  if (Array.isArray(template)) return template.map((v) => evaluateSync(v, input, context));
  if (template === null || typeof template !== 'object') return template;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$') && typeof value === 'string') {
      out[key.slice(0, -2)] = queryPath(value, input, context);
    } else {
      out[key] = evaluateSync(value, input, context);
    }
  }
  return out;
}

/**
 * Evaluates a payload template. Plain paths are evaluated here; a template that uses an
 * intrinsic function (`States.Format(...)`) is handed to a one-state Pass machine so the
 * package's own intrinsic implementations apply.
 */
export async function evaluatePayload(template: Json, input: Json, context: Json): Promise<Json> {
  if (!hasIntrinsic(template)) return evaluateSync(template, input, context);
  const machine = new StateMachine(
    { StartAt: 'Evaluate', States: { Evaluate: { Type: 'Pass', Parameters: template, End: true } } },
    { validationOptions: { noValidate: true } },
  );
  const run = machine.run(input, { context });
  void drain(run.eventLogs);
  try {
    return await run.result;
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause;
    throw new StatesRuntimeError(cause?.message ?? String(error));
  }
}

async function drain(events: AsyncGenerator<unknown>): Promise<void> {
  for await (const _ of events) {
    // the evaluation's events are not part of any history
  }
}

/** Whether a payload template is free of paths, so it can be used as is. */
export function isStaticPayload(template: Json): boolean {
  if (Array.isArray(template)) return template.every(isStaticPayload);
  if (template === null || typeof template !== 'object') return true;
  return Object.entries(template).every(([k, v]) => !k.endsWith('.$') && isStaticPayload(v));
}

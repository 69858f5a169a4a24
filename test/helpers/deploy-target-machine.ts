/**
 * Runs statemachines/deploy-target.asl.json unchanged in aws-local-stepfunctions, with the Task
 * states bound to the real Deploy stack and Check stack handlers (fake their SDK clients with
 * deploy-fixtures.ts) and no waiting, and returns the engine's event log.
 */
import '../../src/core/polyfills';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { handler as checkStack } from '../../functions/check-stack';
import { handler as deployStack } from '../../functions/deploy-stack';
import { substituteDefinition } from '../../src/core/functions';

// Every function placeholder gets a Lambda ARN; only Deploy stack and Check stack run here.
const asl = readFileSync(join(__dirname, '..', '..', 'statemachines', 'deploy-target.asl.json'), 'utf8');
const definition = JSON.parse(
  substituteDefinition(
    asl,
    Object.fromEntries(
      [...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map(([, name]) => [
        name,
        `arn:aws:lambda:us-east-1:111111111111:function:${name}`,
      ]),
    ),
  ),
);
const machine = new StateMachine(definition);

/** One entry of the engine's event log. */
export interface LoggedEvent {
  type: string;
  state?: { name: string; input: unknown; output?: unknown };
  Error?: string;
  Cause?: unknown;
  output?: unknown;
}

export type Handler = (event: unknown) => Promise<unknown>;

/** Reports a thrown error the way Lambda does: same name, Cause `{"errorType","errorMessage","trace"}`. */
export function asLambda(fn: Handler): Handler {
  return async (event) => {
    try {
      return await fn(event);
    } catch (error) {
      const e = error as Error;
      const reported = new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }));
      reported.name = e.name;
      throw reported;
    }
  };
}

/**
 * Runs one deploy-target execution to its end. `wrap` is how a handler's error reaches the
 * engine (as Lambda reports it by default). Returns the output or that it failed, every event,
 * the ExecutionFailed event if any, and the names of the states entered in order.
 */
export async function runDeployTarget(executionInput: unknown, wrap: (fn: Handler) => Handler = asLambda) {
  const execution = machine.run(executionInput as never, {
    overrides: {
      taskResourceLocalHandlers: {
        'Deploy stack': (i) => wrap(deployStack)(i) as never,
        'Check stack': (i) => wrap(checkStack)(i) as never,
      },
      waitTimeOverrides: { 'Wait for stack': 0, 'Wait for other operation': 0 },
      retryIntervalOverrides: { 'Deploy stack': 0, 'Check stack': 0 },
    },
  });
  const events: LoggedEvent[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) events.push(event as LoggedEvent);
  })();
  let output: unknown;
  let failed = false;
  try {
    output = await execution.result;
  } catch {
    failed = true;
  }
  await collecting;
  const end = events.find((e) => e.type === 'ExecutionFailed');
  const entered = events.filter((e) => e.type === 'StateEntered').map((e) => e.state?.name);
  return { output, failed, events, end, entered };
}

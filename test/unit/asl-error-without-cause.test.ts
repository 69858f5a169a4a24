/**
 * A Catch hands "Function error?" whatever the error carried, and an error need not carry a Cause
 * (Step Functions' "Handling errors" guide: the error output has `Error` and, when there is one,
 * `Cause`). A Choice rule whose Variable points to a missing path fails the execution with
 * States.Runtime ("Choice workflow state": test with IsPresent first), so each per-target machine
 * asks IsPresent before reading `$.failure.Cause`. Run through the local engine's
 * aws-local-stepfunctions, the definitions unchanged, the first Task failing with no Cause.
 */
import '../../src/core/polyfills';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { substituteDefinition, targetStateMachineFiles } from '../../src/core/functions';
import { StateMachine } from '../../src/engine/local-stepfunctions';

const root = join(__dirname, '..', '..');

function load(file: string) {
  const asl = readFileSync(join(root, file), 'utf8');
  const arns = [...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map(([, name]) => [
    name,
    `arn:aws:lambda:eu-west-1:111111111111:function:${name}`,
  ]);
  return JSON.parse(substituteDefinition(asl, Object.fromEntries(arns)));
}

/** A failure with a name and nothing else: no message, so the engine reports no Cause. */
function errorWithoutCause(name: string): Error {
  const error = new Error();
  error.name = name;
  (error as { message?: string }).message = undefined;
  return error;
}

describe.each(targetStateMachineFiles.map((sm) => [sm.file]))('%s', (file) => {
  it('ends a target whose error has no Cause as a failed target with the error name and a reason, not States.Runtime', async () => {
    const definition = load(file);
    const first = definition.StartAt as string;
    const execution = new StateMachine(definition).run(
      { accountId: '222222222222', region: 'eu-west-1', stackName: 'stackfleet-baseline' } as never,
      {
        overrides: {
          taskResourceLocalHandlers: {
            [first]: async () => {
              throw errorWithoutCause('Lambda.Unknown');
            },
          },
          retryIntervalOverrides: { [first]: 0 },
        },
      },
    );
    const events: Array<{ type: string; state?: { name: string }; Error?: string; Cause?: unknown }> = [];
    const collecting = (async () => {
      for await (const event of execution.eventLogs) events.push(event as (typeof events)[number]);
    })();
    await execution.result.catch(() => undefined);
    await collecting;

    const entered = events.filter((e) => e.type === 'StateEntered').map((e) => e.state?.name);
    expect(entered.slice(-4)).toEqual([
      'Function error?',
      'Describe failure without cause',
      'Format failure',
      'Target failed',
    ]);
    const end = events.find((e) => e.type === 'ExecutionFailed');
    expect(end?.Error).toBe('Lambda.Unknown');
    expect(JSON.parse(String(end?.Cause))).toEqual({
      reason: 'The target failed with Lambda.Unknown and no further detail (the error carried no cause).',
      accountId: '222222222222',
      region: 'eu-west-1',
      stackName: 'stackfleet-baseline',
    });
  });
});

/**
 * A sandbox rollout that runs slowly enough to watch, in its own process, with the UI server in
 * front of it. Virtual time still drives the engine (deterministic), but after every jump of the
 * clock the loop is held for STEP_MS of real time, without blocking the event loop, so the page
 * polls a rollout that is really in progress. Run by test/browser/ui.test.ts:
 *   node --import tsx test/browser/live-rollout.ts
 * Prints `{"url"}` once the UI serves, then waits for a line `start` on stdin before it starts the
 * rollout (so a page can be open before the rollout exists), prints `{"executionArn"}` once it
 * started and `{"done":...}` when it ended. Once the first target has started, the clock stops
 * until a line `go` arrives on stdin, so the test can look at the page before any target finishes.
 */
import '../../src/core/polyfills';
import * as path from 'node:path';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { awsClients } from '../../src/aws/clients';
import { loadScenarioFile } from '../../src/sandbox/scenario';
import { pageScript } from '../../src/ui/page-html';
import { startUiServer } from '../../src/ui/server';
import { openSandboxHarness } from '../helpers/sandbox-harness';

const STEP_MS = Number(process.env.STEP_MS ?? 60);

const pause = new Int32Array(new SharedArrayBuffer(4));
let released = false;
let startRequested: () => void = () => undefined;
const startLine = new Promise<void>((resolve) => {
  startRequested = resolve;
});

/**
 * Holds the virtual clock for `ms` of real time (and until `go` arrived): a chain of immediates
 * counts as pending work for the clock, and each link naps 2 ms so the hold does not burn a core.
 */
function hold(ms: number, gated: () => boolean): void {
  const until = performance.now() + ms;
  const spin = () => {
    if ((!released && gated()) || performance.now() < until) {
      Atomics.wait(pause, 0, 0, 2);
      setImmediate(spin);
    }
  };
  setImmediate(spin);
}

async function main(): Promise<void> {
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    if (chunk.includes('start')) startRequested();
    if (chunk.includes('go')) released = true;
  });
  const scenario = loadScenarioFile(path.join(__dirname, '../../src/sandbox/scenarios/small.yaml'));
  const h = await openSandboxHarness({ scenario });
  await pageScript();
  // Only the rollout machine is given: the per-target machines are read from its definition.
  const ui = await startUiServer({
    sfn: h.sfn,
    s3: h.s3,
    organizations: awsClients.organizations({ region: 'us-east-1' }),
    rolloutStateMachineArn: h.admin!.rolloutStateMachineArn,
  });
  process.stdout.write(`${JSON.stringify({ url: ui.url })}\n`);
  await startLine;
  const name = 'live-ui-1';
  const deployTarget = h.admin!.deployTargetStateMachineArn;
  const targetStarted = () =>
    Object.values(h.engine.store.executions).some((e) => e?.stateMachineArn === deployTarget);
  let steps = 0;
  await h.sandbox.runWithVirtualTime(
    async () => {
      const started = await h.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: h.admin!.rolloutStateMachineArn,
          name,
          input: JSON.stringify({
            rolloutId: name,
            mode: 'deploy',
            template: h.template,
            stackName: 'stackfleet-baseline',
            executionRoleName: scenario.executionRoleName,
            externalId: scenario.externalId,
            capabilities: ['CAPABILITY_NAMED_IAM'],
            targets: { organizationalUnits: [scenario.organization.rootId], regions: 'ALL_ENABLED' },
            // One target at a time: the first finish long before the last, so the page sees the change live.
            maxConcurrency: 1,
            failureTolerance: { percent: 100 },
          }),
        }),
      );
      process.stdout.write(`${JSON.stringify({ executionArn: started.executionArn })}\n`);
      await h.engine.waitForExecution(started.executionArn!);
      await h.engine.whenIdle();
    },
    {
      onStep: () => {
        steps++;
        hold(STEP_MS, targetStarted);
      },
    },
  );
  process.stdout.write(`${JSON.stringify({ done: true, steps })}\n`);
  // Keep serving the finished rollout until the test closes stdin.
  process.stdin.on('end', () => {
    ui.close().finally(() => process.exit(0));
  });
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});

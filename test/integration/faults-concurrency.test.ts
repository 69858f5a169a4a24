/**
 * Fault injection around executions (issue 9): a rollout of 240 targets stopped halfway with
 * StopExecution and started again under a new rollout id, and two rollouts of the same stack
 * started at the same instant. Neither may leave a target without an outcome, create a stack
 * twice, or start an operation on a stack while another is in progress there.
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { clearCredentialCache } from '../../src/aws/assume-role';
import type { RolloutSummary } from '../../src/core/summary';
import { cfnSection } from '../../src/sandbox/cfn/state';
import {
  convergenceViolations,
  FLEET_REGIONS,
  fleetAccount,
  fleetRequest,
  fleetScenario,
  fleetTemplate,
  readSummaryDocument,
  rolloutViolations,
  stackViolations,
  summaryViolations,
} from '../helpers/invariants';
import { openSandboxHarness, type SandboxHarness, type TemplateLocation } from '../helpers/sandbox-harness';

jest.setTimeout(300_000);

const ACCOUNTS = 80;
const ALL_TARGETS = Array.from({ length: ACCOUNTS }, (_, i) => fleetAccount(i + 1)).flatMap((a) =>
  FLEET_REGIONS.map((r) => `${a}/${r}`),
);

function request(template: TemplateLocation, rolloutId: string, stackName: string) {
  return fleetRequest(template, rolloutId, stackName, { maxConcurrency: 40 });
}

/** Virtual-time sleep: under the harness's fake clock this lets the engine run for `ms`. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function liveStacks(h: SandboxHarness, stackName: string): number {
  let n = 0;
  for (const target of Object.values(cfnSection(h.sandbox.world).targets)) if (target.byName[stackName]) n++;
  return n;
}

describe('a rollout stopped halfway and started again', () => {
  // Named with the bootstrap's StackNamePrefix: the execution role touches only stackfleet-* stacks.
  const STACK = 'stackfleet-stopped';
  let h: SandboxHarness;
  let template: TemplateLocation;
  let stopped: { status?: string; childrenRunning: number; childrenStarted: number; stacksAtStop: number };

  beforeAll(async () => {
    clearCredentialCache();
    h = await openSandboxHarness({ scenario: fleetScenario({ accounts: ACCOUNTS }) });
    template = await h.uploadTemplate(fleetTemplate('v1'), 'templates/fleet.yaml');
    const machine = h.admin?.rolloutStateMachineArn as string;
    stopped = await h.virtual(async () => {
      const { executionArn } = await h.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: machine,
          name: 'fi-stop-1',
          input: JSON.stringify(request(template, 'fi-stop-1', STACK)),
        }),
      );
      // About half of the 240 targets have started when the operator stops it.
      await sleep(150_000);
      const stacksAtStop = liveStacks(h, STACK);
      await h.sfn.send(
        new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped halfway' }),
      );
      await h.engine.whenIdle();
      const described = await h.sfn.send(new DescribeExecutionCommand({ executionArn }));
      const children = await h.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: h.admin?.deployTargetStateMachineArn,
          maxResults: 1000,
        }),
      );
      const mine = (children.executions ?? []).filter((e) => e.name?.endsWith('-fi-stop-1'));
      return {
        status: described.status,
        childrenRunning: mine.filter((e) => e.status === 'RUNNING').length,
        childrenStarted: mine.length,
        stacksAtStop,
      };
    });
  });

  test('StopExecution stopped the rollout and every child it had started, halfway through', () => {
    expect(stopped.status).toBe('ABORTED');
    expect(stopped.childrenRunning).toBe(0);
    expect(stopped.childrenStarted).toBeGreaterThan(0);
    expect(stopped.childrenStarted).toBeLessThan(ALL_TARGETS.length);
    expect(stopped.stacksAtStop).toBeGreaterThan(0);
    expect(stopped.stacksAtStop).toBeLessThan(ALL_TARGETS.length);
    // Operations CloudFormation was running go on; nothing so far overlapped or was created twice.
    expect(stackViolations(h, STACK)).toEqual([]);
  });

  test('started again with a new rollout id it converges: every target has its stack, none created twice or interleaved', async () => {
    const run = await h.runRollout(request(template, 'fi-stop-2', STACK));
    expect(run.status).toBe('SUCCEEDED');
    const { document, problems } = await rolloutViolations(h, run, {
      rolloutId: 'fi-stop-2',
      stackName: STACK,
      expectedTargets: ALL_TARGETS,
    });
    expect(problems).toEqual([]);
    expect(convergenceViolations(document)).toEqual([]);
    const counts = (run.output as RolloutSummary).counts;
    // What the stopped run created is found up to date; the rest is created now.
    expect(counts.NO_CHANGE).toBeGreaterThanOrEqual(stopped.stacksAtStop - 40);
    expect((counts.CREATED ?? 0) + (counts.NO_CHANGE ?? 0)).toBe(ALL_TARGETS.length);
    expect(liveStacks(h, STACK)).toBe(ALL_TARGETS.length);
  });
});

describe('two rollouts of the same stack started at once', () => {
  const STACK = 'stackfleet-twins';
  let h: SandboxHarness;
  let template: TemplateLocation;

  beforeAll(async () => {
    clearCredentialCache();
    h = await openSandboxHarness({ scenario: fleetScenario({ accounts: ACCOUNTS, seed: 21 }) });
    template = await h.uploadTemplate(fleetTemplate('v1'), 'templates/fleet.yaml');
  });

  async function twins(ids: [string, string], tpl: TemplateLocation) {
    const machine = h.admin?.rolloutStateMachineArn as string;
    const statuses = await h.virtual(async () => {
      const started = await Promise.all(
        ids.map((id) =>
          h.sfn.send(
            new StartExecutionCommand({
              stateMachineArn: machine,
              name: id,
              input: JSON.stringify(request(tpl, id, STACK)),
            }),
          ),
        ),
      );
      await Promise.all(started.map((s) => h.engine.waitForExecution(s.executionArn as string)));
      await h.engine.whenIdle();
      return Promise.all(
        started.map(
          async (s) =>
            (await h.sfn.send(new DescribeExecutionCommand({ executionArn: s.executionArn }))).status,
        ),
      );
    });
    // One virtual session at a time: read the two summaries one after the other.
    const documents = [];
    for (const id of ids) documents.push(await readSummaryDocument(h, `rollouts/${id}/summary.json`));
    return { statuses, documents };
  }

  test.each([
    ['creating', ['fi-twin-a', 'fi-twin-b'], 'v1'],
    ['updating', ['fi-twin-c', 'fi-twin-d'], 'v2'],
  ] as const)(
    '%s: no operation starts on a stack while another runs there; each target changed once',
    async (_label, ids, marker) => {
      const tpl =
        marker === 'v1' ? template : await h.uploadTemplate(fleetTemplate(marker), 'templates/fleet.yaml');
      const { statuses, documents } = await twins([ids[0], ids[1]], tpl);
      expect(statuses).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      for (const document of documents) expect(summaryViolations(document, ALL_TARGETS)).toEqual([]);
      expect(stackViolations(h, STACK)).toEqual([]);
      const changed = marker === 'v1' ? 'CREATED' : 'UPDATED';
      const [first, second] = documents.map(
        (d) => new Map(d.targets.map((t) => [`${t.accountId}/${t.region}`, t])),
      ) as [
        Map<string, (typeof documents)[0]['targets'][0]>,
        Map<string, (typeof documents)[0]['targets'][0]>,
      ];
      for (const key of ALL_TARGETS) {
        const a = first.get(key);
        const b = second.get(key);
        const outcomes = [a?.outcome, b?.outcome];
        // Exactly one of the two made the change; the other waited and found it done, or refused
        // with a reason (the stack was busy) - never a second operation.
        expect(outcomes.filter((o) => o === changed)).toHaveLength(1);
        const other = a?.outcome === changed ? b : a;
        expect(['NO_CHANGE', 'FAILED']).toContain(other?.outcome);
        if (other?.outcome === 'FAILED') expect(other.reason).toBeTruthy();
      }
      expect(liveStacks(h, STACK)).toBe(ALL_TARGETS.length);
    },
  );
});

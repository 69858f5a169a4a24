/**
 * Whole rollouts on the sandbox through the real state machines (rollout + deploy-target), the
 * real functions and the real SDK clients: what an operator sees after each kind of run.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
} from '@aws-sdk/client-sfn';
import { DeleteTopicCommand } from '@aws-sdk/client-sns';
import { clearCredentialCache } from '../../src/aws/assume-role';
import { awsClients } from '../../src/aws/clients';
import type { RolloutMode } from '../../src/core/rollout-input';
import type { RolloutSummary, RolloutSummaryDocument } from '../../src/core/summary';
import { cfnSection } from '../../src/sandbox/cfn/state';
import { validateScenario } from '../../src/sandbox/scenario';
import type { Scenario } from '../../src/sandbox/scenario-types';
import { readSnsMessages } from '../../src/sandbox/services/sns';
import { readSummaryDocument } from '../helpers/invariants';
import {
  openSandboxHarness as openHarness,
  type RunResult,
  type SandboxHarness,
} from '../helpers/sandbox-harness';

/** A fresh sandbox; sessions cached by the functions belong to the previous one, so they are dropped. */
function openSandboxHarness(options: Parameters<typeof openHarness>[0]): Promise<SandboxHarness> {
  clearCredentialCache();
  return openHarness(options);
}

const MGMT = '111111111111';
const SECURITY = ['222222222222', '333333333333'];
const PROD = ['444444444444', '555555555555'];
const FLAKY = ['666666666666', '777777777777'];
const NO_ROLE = '888888888888';
const SUSPENDED = '999999999999';
const REGIONS = ['eu-west-1', 'us-east-1'];
// Every stack name starts with `stackfleet-`: the bootstrap's execution role may only touch stacks
// named with its StackNamePrefix (templates/execution-role.yaml), as on AWS.
const STACK = 'stackfleet-baseline';
const ROLE = 'StackFleetExecution';
const EXTERNAL_ID = 'stackfleet-it-external';
const BUCKET_FAILURE = 'Resource handler returned message: "bucket stackfleet-logs already exists"';

const OU = {
  security: 'ou-ro01-security',
  workloads: 'ou-ro01-workload',
  prod: 'ou-ro01-prod0000',
  flaky: 'ou-ro01-flaky000',
  broken: 'ou-ro01-broken00',
};

/**
 * r-ro01: management
 *   Security: 222, 333, 999 (SUSPENDED)
 *   Workloads > Prod: 444 (af-south-1 enabled), 555
 *   Flaky: 666, 777 (every S3 bucket fails to create)
 *   Broken: 888 (no execution role)
 */
function scenario(extra: Partial<Scenario['faults']> = {}): Scenario {
  return validateScenario({
    seed: 11,
    organization: {
      id: 'o-rollout0001',
      managementAccountId: MGMT,
      rootId: 'r-ro01',
      ous: [
        { id: OU.security, name: 'Security', parent: 'r-ro01' },
        { id: OU.workloads, name: 'Workloads', parent: 'r-ro01' },
        { id: OU.prod, name: 'Prod', parent: OU.workloads },
        { id: OU.flaky, name: 'Flaky', parent: 'r-ro01' },
        { id: OU.broken, name: 'Broken', parent: 'r-ro01' },
      ],
      accounts: [
        { id: MGMT, name: 'management', parent: 'r-ro01' },
        { id: SECURITY[0], name: 'audit', parent: OU.security },
        { id: SECURITY[1], name: 'log-archive', parent: OU.security },
        { id: SUSPENDED, name: 'closed', parent: OU.security, status: 'SUSPENDED' },
        { id: PROD[0], name: 'payments', parent: OU.prod, optInRegionsEnabled: ['af-south-1'] },
        { id: PROD[1], name: 'orders', parent: OU.prod },
        { id: FLAKY[0], name: 'flaky-a', parent: OU.flaky },
        { id: FLAKY[1], name: 'flaky-b', parent: OU.flaky },
        { id: NO_ROLE, name: 'no-role', parent: OU.broken, executionRole: 'missing' },
      ],
    },
    regions: REGIONS,
    optInRegions: ['af-south-1'],
    executionRoleName: ROLE,
    externalId: EXTERNAL_ID,
    durations: { default: [5, 10], 'AWS::KMS::Key': 40 },
    faults: {
      resourceFailures: [
        { accounts: FLAKY, resourceType: 'AWS::S3::Bucket', reason: BUCKET_FAILURE, on: 'create' },
      ],
      ...extra,
    },
  });
}

function request(
  h: SandboxHarness,
  rolloutId: string,
  targets: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    rolloutId,
    mode: 'deploy',
    template: h.template,
    stackName: STACK,
    capabilities: ['CAPABILITY_NAMED_IAM'],
    executionRoleName: ROLE,
    externalId: EXTERNAL_ID,
    targets: { regions: REGIONS, ...targets },
    maxConcurrency: 4,
    ...extra,
  };
}

/** The target executions a rollout started (its id ends every name), of the mode's per-target machine. */
async function childExecutions(h: SandboxHarness, rolloutId: string, mode: RolloutMode = 'deploy') {
  const all = await h.virtual(() =>
    h.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: h.admin?.targetStateMachineArns[mode],
        maxResults: 1000,
      }),
    ),
  );
  return (all.executions ?? []).filter((e) => e.name?.endsWith(`-${rolloutId}`));
}

/** The states an execution entered, in order, as its history in the console lists them. */
async function enteredStates(h: SandboxHarness, executionArn: string | undefined): Promise<string[]> {
  const history = await h.virtual(() =>
    h.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 })),
  );
  return (history.events ?? []).flatMap((e) =>
    e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : [],
  );
}

function stackOf(h: SandboxHarness, account: string, region: string) {
  const target = cfnSection(h.sandbox.world).targets[`${account}/${region}`];
  const id = target?.byName[STACK];
  return id ? target?.stacks[id] : undefined;
}

function cross(accounts: readonly string[], regions = REGIONS): string[] {
  return accounts.flatMap((a) => regions.map((r) => `${a}/${r}`));
}

function outcomes(summary: RolloutSummaryDocument): Record<string, string> {
  return Object.fromEntries(summary.targets.map((t) => [`${t.accountId}/${t.region}`, t.outcome]));
}

describe('rollout state machine on the sandbox', () => {
  let h: SandboxHarness;

  beforeAll(async () => {
    h = await openSandboxHarness({ scenario: scenario() });
  });

  describe('the same organisation deployed, re-run and updated', () => {
    let clean: RunResult;

    beforeAll(async () => {
      clean = await h.runRollout(
        request(h, 'it-clean', { organizationalUnits: [OU.security, OU.workloads] }),
      );
    });

    test('a clean rollout creates every stack: OUs with nested OUs, suspended account skipped', async () => {
      expect(clean.status).toBe('SUCCEEDED');
      const summary = clean.output as RolloutSummary;
      expect(summary.status).toBe('SUCCEEDED');
      expect(summary.counts).toEqual({
        CREATED: 8,
        UPDATED: 0,
        NO_CHANGE: 0,
        FAILED: 0,
        SKIPPED: 1,
        NOT_STARTED: 0,
      });
      const document = await readSummaryDocument(h, summary.summaryKey);
      expect(outcomes(document)).toEqual({
        ...Object.fromEntries(cross([...SECURITY, ...PROD]).map((k) => [k, 'CREATED'])),
        [`${SUSPENDED}/*`]: 'SKIPPED',
      });
      for (const key of cross([...SECURITY, ...PROD])) {
        const [account, region] = key.split('/') as [string, string];
        expect(stackOf(h, account, region)?.status).toBe('CREATE_COMPLETE');
      }
      expect(stackOf(h, MGMT, 'eu-west-1')).toBeUndefined();
    });

    test('each target ran as a named deploy-target execution linked to its parent', async () => {
      const children = await childExecutions(h, 'it-clean');
      expect(children.map((c) => c.name).sort()).toEqual(
        cross([...SECURITY, ...PROD])
          .map((k) => `${k.replace('/', '-')}-it-clean`)
          .sort(),
      );
      expect(children.every((c) => c.status === 'SUCCEEDED')).toBe(true);
      const described = await h.virtual(() =>
        h.sfn.send(new DescribeExecutionCommand({ executionArn: children[0]?.executionArn })),
      );
      const input = JSON.parse(described.input ?? '{}');
      expect(input).toMatchObject({
        rolloutId: 'it-clean',
        stackName: STACK,
        externalId: EXTERNAL_ID,
        executionRoleName: ROLE,
      });
      expect(typeof input.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID).toBe('string');
      expect(input.templateUrl).toContain(`versionId=${h.template?.versionId}`);
      // Straight to work: no state spent choosing the mode.
      const entered = await enteredStates(h, children[0]?.executionArn);
      expect(entered[0]).toBe('Deploy stack');
      expect(entered).not.toContain('Which mode?');
    });

    test('no more children run at once than maxConcurrency allows', async () => {
      const children = await childExecutions(h, 'it-clean');
      const edges = children.flatMap((c) => [
        { at: c.startDate?.getTime() ?? 0, delta: 1 },
        { at: c.stopDate?.getTime() ?? 0, delta: -1 },
      ]);
      // Ends before starts at the same instant: a slot freed and reused at once is not an overlap.
      edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
      let running = 0;
      let peak = 0;
      for (const e of edges) {
        running += e.delta;
        peak = Math.max(peak, running);
      }
      expect(peak).toBe(4);
    });

    test('the summary is published to the notification topic', () => {
      const messages = readSnsMessages(h.sandbox.world, h.admin?.topicArn).filter((m) =>
        m.message.includes('Rollout it-clean '),
      );
      expect(messages).toHaveLength(1);
      expect(messages[0]?.subject).toBe('stackfleet deploy it-clean: SUCCEEDED, 0 failed of 9');
      expect(messages[0]?.message).toContain('Rollout it-clean (deploy) SUCCEEDED: 9 targets - 8 CREATED');
      expect(messages[0]?.message).toContain('rollouts/it-clean/summary.json');
    });

    test('a re-run changes nothing: every target NO_CHANGE and no stack operation started', async () => {
      const before = Object.fromEntries(
        cross([...SECURITY, ...PROD]).map((k) => {
          const [a, r] = k.split('/') as [string, string];
          return [k, stackOf(h, a, r)?.ops.length];
        }),
      );
      const createsBefore = h.sandbox.world.metrics.calls['cloudformation.CreateStack'] ?? 0;
      const rerun = await h.runRollout(
        request(h, 'it-rerun', { organizationalUnits: [OU.security, OU.workloads] }),
      );
      expect(rerun.status).toBe('SUCCEEDED');
      expect((rerun.output as RolloutSummary).counts).toMatchObject({
        NO_CHANGE: 8,
        CREATED: 0,
        UPDATED: 0,
        FAILED: 0,
      });
      const after = Object.fromEntries(
        cross([...SECURITY, ...PROD]).map((k) => {
          const [a, r] = k.split('/') as [string, string];
          return [k, stackOf(h, a, r)?.ops.length];
        }),
      );
      expect(after).toEqual(before);
      expect(h.sandbox.world.metrics.calls['cloudformation.CreateStack'] ?? 0).toBe(createsBefore);
    });

    test('after the template changed, every target is UPDATED to the new version', async () => {
      const body = readFileSync(path.join(__dirname, '../../templates/baseline.yaml'), 'utf8');
      const changed = body.replace(/(LogRetentionDays:\n\s+Type: Number\n\s+Default: )365/, '$1400');
      expect(changed).not.toBe(body);
      const template = await h.uploadTemplate(changed);
      const update = await h.runRollout({
        ...request(h, 'it-update', { organizationalUnits: [OU.security, OU.workloads] }),
        template,
      });
      expect(update.status).toBe('SUCCEEDED');
      expect((update.output as RolloutSummary).counts).toMatchObject({
        UPDATED: 8,
        CREATED: 0,
        NO_CHANGE: 0,
        FAILED: 0,
      });
      const stack = stackOf(h, PROD[0] as string, 'us-east-1');
      expect(stack?.status).toBe('UPDATE_COMPLETE');
      expect(stack?.config.tags).toEqual(
        expect.arrayContaining([expect.objectContaining({ Value: template.versionId })]),
      );
    });

    test("the parent's history does not grow with the number of targets", async () => {
      const one = await h.runRollout(
        request(h, 'it-history-1', { accounts: [SECURITY[0]], regions: ['eu-west-1'] }),
      );
      expect(one.metrics.targets).toBe(1);
      expect(clean.metrics.targets).toBe(8);
      expect(one.metrics.parentHistoryEvents).toBe(clean.metrics.parentHistoryEvents);
      const history = await h.virtual(() =>
        h.sfn.send(new GetExecutionHistoryCommand({ executionArn: clean.executionArn, maxResults: 1000 })),
      );
      expect(history.events?.length).toBe(clean.metrics.parentHistoryEvents);
    });
  });

  test('failures within tolerance: the rollout succeeds and lists each failed target with resource and reason', async () => {
    const run = await h.runRollout(
      request(
        h,
        'it-tolerated',
        { accounts: [FLAKY[0], PROD[1]] },
        { stackName: 'stackfleet-tolerated', failureTolerance: { count: 2 } },
      ),
    );
    expect(run.status).toBe('SUCCEEDED');
    const summary = run.output as RolloutSummary;
    expect(summary.counts).toMatchObject({ CREATED: 2, FAILED: 2 });
    expect(summary.failures.map((f) => `${f.accountId}/${f.region}`).sort()).toEqual(
      cross([FLAKY[0] as string]),
    );
    for (const failure of summary.failures) {
      expect(failure.error).toBe('StackFailed');
      expect(failure.failedResource).toMatchObject({ type: 'AWS::S3::Bucket', status: 'CREATE_FAILED' });
      expect(`${failure.reason} ${failure.failedResource?.statusReason}`).toContain('already exists');
      expect(failure.executionName).toBe(`${failure.accountId}-${failure.region}-it-tolerated`);
    }
  });

  // AWS fails the Map Run past the tolerance and stops its running children (Step Functions API
  // reference, MapRunExecutionCounts `aborted`); their stack operations go on unobserved.
  test('failures beyond tolerance: the rollout fails, running targets are aborted and shown so, the summary is still written and published', async () => {
    const run = await h.runRollout(
      request(
        h,
        'it-beyond',
        { organizationalUnits: [OU.flaky], accounts: [PROD[1]] },
        { stackName: 'stackfleet-beyond', failureTolerance: { count: 0 }, maxConcurrency: 2 },
      ),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RolloutFailed');
    expect(run.cause).toContain('Rollout it-beyond (deploy) FAILED');
    expect(run.cause).toContain('More targets failed than the failure tolerance allows');
    const children = await childExecutions(h, 'it-beyond');
    expect(children.length).toBeGreaterThan(0);
    expect(children.every((c) => c.status !== 'RUNNING')).toBe(true);
    const document = await readSummaryDocument(h, 'rollouts/it-beyond/summary.json');
    expect(document.status).toBe('FAILED');
    expect(document.targets).toHaveLength(6);
    expect(document.counts.FAILED).toBeGreaterThanOrEqual(1);
    // Every target has a definite outcome with a reason, including those never started.
    expect(document.targets.every((t) => t.outcome && t.reason)).toBe(true);
    expect((document.counts.NOT_STARTED ?? 0) + children.length).toBe(6);
    // The target running when the tolerance was exceeded was stopped, not waited for.
    const aborted = document.targets.filter((t) => t.outcome === 'ABORTED');
    expect(aborted.length).toBeGreaterThanOrEqual(1);
    expect(children.filter((c) => c.status === 'ABORTED')).toHaveLength(aborted.length);
    for (const t of aborted) {
      expect(t.reason).toContain('stack operation may still be running');
      // Its stack work had begun: the stack exists, left as the abort found it (nobody watches it).
      const target = cfnSection(h.sandbox.world).targets[`${t.accountId}/${t.region}`];
      const stackId = target?.byName['stackfleet-beyond'];
      expect(stackId && target?.stacks[stackId]?.status).toMatch(/^(REVIEW|CREATE)_/);
    }
    expect(document.counts.ABORTED).toBe(aborted.length);
    const published = readSnsMessages(h.sandbox.world, h.admin?.topicArn).filter((m) =>
      m.message.includes('Rollout it-beyond '),
    );
    expect(published).toHaveLength(1);
    expect(published[0]?.message).toContain('Rollout it-beyond (deploy) FAILED');
    expect(published[0]?.message).toContain('bucket stackfleet-logs already exists');
    expect(published[0]?.message).toContain('Aborted targets (stack operations may still be running):');
  });

  test('a canary failure stops the rollout before anything else starts', async () => {
    const run = await h.runRollout(
      request(
        h,
        'it-canary',
        { accounts: [FLAKY[1], ...SECURITY] },
        {
          stackName: 'stackfleet-canary',
          canaries: [{ accountId: FLAKY[1], region: 'eu-west-1' }],
          failureTolerance: { percent: 50 },
        },
      ),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('CanaryFailed');
    expect(run.cause).toContain(`${FLAKY[1]} eu-west-1: StackFailed`);
    const children = await childExecutions(h, 'it-canary');
    expect(children.map((c) => c.name)).toEqual([`${FLAKY[1]}-eu-west-1-it-canary`]);
    const document = await readSummaryDocument(h, 'rollouts/it-canary/summary.json');
    expect(document.status).toBe('CANARY_FAILED');
    expect(document.counts).toMatchObject({ FAILED: 1, NOT_STARTED: 5 });
    for (const account of SECURITY)
      for (const region of REGIONS)
        expect(
          cfnSection(h.sandbox.world).targets[`${account}/${region}`]?.byName['stackfleet-canary'],
        ).toBeUndefined();
  });

  test('canaries that succeed run first, then the rest', async () => {
    const run = await h.runRollout(
      request(
        h,
        'it-canary-ok',
        { accounts: [...SECURITY] },
        { stackName: 'stackfleet-canaryok', canaries: [{ accountId: SECURITY[1], region: 'us-east-1' }] },
      ),
    );
    expect(run.status).toBe('SUCCEEDED');
    const document = await readSummaryDocument(h, 'rollouts/it-canary-ok/summary.json');
    const canary = document.targets.find((t) => t.phase === 'canary');
    expect(canary).toMatchObject({ accountId: SECURITY[1], region: 'us-east-1', outcome: 'CREATED' });
    const others = document.targets.filter((t) => t.phase === 'main');
    expect(others).toHaveLength(3);
    for (const t of others)
      expect(Date.parse(t.startedAt as string)).toBeGreaterThanOrEqual(
        Date.parse(canary?.finishedAt as string),
      );
  });

  test('regions not enabled for an account are SKIPPED, not failed', async () => {
    const run = await h.runRollout(
      request(
        h,
        'it-optin',
        { accounts: [...PROD], regions: ['af-south-1', 'eu-west-1'] },
        { stackName: 'stackfleet-optin' },
      ),
    );
    expect(run.status).toBe('SUCCEEDED');
    const document = await readSummaryDocument(h, 'rollouts/it-optin/summary.json');
    expect(outcomes(document)).toEqual({
      [`${PROD[0]}/af-south-1`]: 'CREATED',
      [`${PROD[0]}/eu-west-1`]: 'CREATED',
      [`${PROD[1]}/af-south-1`]: 'SKIPPED',
      [`${PROD[1]}/eu-west-1`]: 'CREATED',
    });
    expect(document.targets.find((t) => t.outcome === 'SKIPPED')?.reason).toContain('not enabled');
  });

  test('ALL_ENABLED reaches each account its own enabled regions', async () => {
    const run = await h.runRollout(
      request(
        h,
        'it-all-enabled',
        { accounts: [...PROD], regions: 'ALL_ENABLED' },
        { stackName: 'stackfleet-allenabled' },
      ),
    );
    expect(run.status).toBe('SUCCEEDED');
    const document = await readSummaryDocument(h, 'rollouts/it-all-enabled/summary.json');
    expect(Object.keys(outcomes(document)).sort()).toEqual(
      [...cross([PROD[0] as string], ['af-south-1', ...REGIONS]), ...cross([PROD[1] as string])].sort(),
    );
  });

  test('a missing execution role fails only that account, with RoleNotAssumable; the rest proceed', async () => {
    const run = await h.runRollout(
      request(
        h,
        'it-norole',
        { accounts: [NO_ROLE, SECURITY[0]] },
        { stackName: 'stackfleet-norole', failureTolerance: { percent: 50 } },
      ),
    );
    expect(run.status).toBe('SUCCEEDED');
    const summary = run.output as RolloutSummary;
    expect(summary.counts).toMatchObject({ CREATED: 2, FAILED: 2 });
    expect(summary.failures.every((f) => f.accountId === NO_ROLE && f.error === 'RoleNotAssumable')).toBe(
      true,
    );
    expect(summary.failures[0]?.reason).toContain(NO_ROLE);
  });

  test('a rollout id that was already used is refused before any target starts', async () => {
    const childrenBefore = (await childExecutions(h, 'it-clean')).length;
    const run = await h.runRollout(request(h, 'it-clean', { accounts: [SECURITY[0]] }));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidInput');
    expect(run.cause).toContain('rolloutId must be new for each rollout: it-clean was already used');
    expect(await childExecutions(h, 'it-clean')).toHaveLength(childrenBefore);
  });

  test('bad input is refused before anything is planned or deployed', async () => {
    const run = await h.runRollout(
      request(h, 'it-bad', { accounts: ['12ab'] }, { stackName: 'stackfleet-bad' }),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidInput');
    expect(run.cause).toContain('targets.accounts[0]');
    expect(run.cause).toContain('Received: 12ab');
    expect(await childExecutions(h, 'it-bad')).toHaveLength(0);
  });
});

describe('preview and drift rollouts', () => {
  let h: SandboxHarness;
  const opsOf = () =>
    Object.fromEntries(
      cross([...PROD]).map((k) => {
        const [a, r] = k.split('/') as [string, string];
        return [k, stackOf(h, a, r)?.ops.length];
      }),
    );

  beforeAll(async () => {
    h = await openSandboxHarness({
      scenario: scenario({
        // The trail's log group lives in HomeRegion (us-east-1) only.
        drift: [
          {
            accounts: [PROD[0] as string],
            regions: ['us-east-1'],
            logicalId: 'TrailLogGroup',
            property: 'RetentionInDays',
          },
        ],
      }),
    });
    const deployed = await h.runRollout(request(h, 'it-modes-deploy', { accounts: [...PROD] }));
    expect((deployed.output as RolloutSummary).counts.CREATED).toBe(4);
  });

  test('preview reports the changes a new template would make and changes nothing', async () => {
    const before = opsOf();
    const body = readFileSync(path.join(__dirname, '../../templates/baseline.yaml'), 'utf8');
    const template = await h.uploadTemplate(
      body.replace(/(LogRetentionDays:\n\s+Type: Number\n\s+Default: )365/, '$1400'),
    );
    const run = await h.runRollout({
      ...request(h, 'it-modes-preview', { accounts: [...PROD] }),
      mode: 'preview',
      template,
    });
    expect(run.status).toBe('SUCCEEDED');
    const summary = run.output as RolloutSummary;
    expect(summary.mode).toBe('preview');
    // The retention only reaches the log group, which exists in HomeRegion (us-east-1) only.
    const document = await readSummaryDocument(h, summary.summaryKey);
    expect(outcomes(document)).toEqual({
      [`${PROD[0]}/eu-west-1`]: 'NO_CHANGE',
      [`${PROD[0]}/us-east-1`]: 'CHANGES',
      [`${PROD[1]}/eu-west-1`]: 'NO_CHANGE',
      [`${PROD[1]}/us-east-1`]: 'CHANGES',
    });
    expect(summary.text).toContain('2 NO_CHANGE, 0 FAILED, 0 SKIPPED, 2 CHANGES');
    expect(opsOf()).toEqual(before);
    // Every target ran the preview machine, which starts at its first Task.
    const children = await childExecutions(h, 'it-modes-preview', 'preview');
    expect(children).toHaveLength(4);
    expect(await childExecutions(h, 'it-modes-preview', 'deploy')).toEqual([]);
    expect((await enteredStates(h, children[0]?.executionArn))[0]).toBe('Create change set');
  });

  test('drift without repair reports the drifted target and leaves it drifted', async () => {
    const run = await h.runRollout({
      ...request(h, 'it-modes-drift', { accounts: [...PROD] }),
      mode: 'drift',
    });
    expect(run.status).toBe('SUCCEEDED');
    const document = await readSummaryDocument(h, 'rollouts/it-modes-drift/summary.json');
    expect(outcomes(document)).toEqual({
      [`${PROD[0]}/eu-west-1`]: 'IN_SYNC',
      [`${PROD[0]}/us-east-1`]: 'DRIFTED',
      [`${PROD[1]}/eu-west-1`]: 'IN_SYNC',
      [`${PROD[1]}/us-east-1`]: 'IN_SYNC',
    });
    const children = await childExecutions(h, 'it-modes-drift', 'drift');
    expect(children).toHaveLength(4);
    expect((await enteredStates(h, children[0]?.executionArn))[0]).toBe('Detect drift');
  });

  test('drift with repair reverts the drifted target; a second run finds everything in sync', async () => {
    const repaired = await h.runRollout({
      ...request(h, 'it-modes-repair', { accounts: [...PROD] }),
      mode: 'drift',
      repair: true,
    });
    expect(repaired.status).toBe('SUCCEEDED');
    const document = await readSummaryDocument(h, 'rollouts/it-modes-repair/summary.json');
    expect(outcomes(document)[`${PROD[0]}/us-east-1`]).toBe('DRIFT_REPAIRED');
    const again = await h.runRollout({
      ...request(h, 'it-modes-recheck', { accounts: [...PROD] }),
      mode: 'drift',
    });
    expect((again.output as RolloutSummary).counts).toMatchObject({ IN_SYNC: 4 });
  });
});

describe('rollout whose notification cannot be delivered', () => {
  test('keeps its own outcome and output when the topic is gone', async () => {
    const h = await openSandboxHarness({ scenario: scenario() });
    await h.virtual(() =>
      awsClients.sns({ region: h.region }).send(new DeleteTopicCommand({ TopicArn: h.admin?.topicArn })),
    );
    const run = await h.runRollout(
      request(h, 'it-no-topic', { accounts: [SECURITY[0]], regions: ['eu-west-1'] }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect((run.output as RolloutSummary).counts.CREATED).toBe(1);
    expect(readSnsMessages(h.sandbox.world)).toHaveLength(0);
  });
});

describe('rollout under throttling', () => {
  test('with 20% of calls throttled, every target still converges', async () => {
    const h = await openSandboxHarness({ scenario: scenario({ throttle: { rate: 0.2 } }) });
    const run = await h.runRollout(
      request(h, 'it-throttled', { organizationalUnits: [OU.security, OU.workloads] }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect((run.output as RolloutSummary).counts).toMatchObject({ CREATED: 8, FAILED: 0 });
    expect(Object.values(h.sandbox.world.metrics.throttled ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(
      0,
    );
  });
});

describe('determinism', () => {
  test('the same scenario and input give the same results and the same simulated timings', async () => {
    const runOnce = async () => {
      const h = await openSandboxHarness({ scenario: scenario({ throttle: { rate: 0.1 } }) });
      const run = await h.runRollout(
        request(
          h,
          'it-same',
          { organizationalUnits: [OU.security, OU.workloads, OU.flaky] },
          { failureTolerance: { count: 4 } },
        ),
      );
      const document = await readSummaryDocument(h, 'rollouts/it-same/summary.json');
      const start = run.execution.startDate?.getTime() ?? 0;
      return {
        status: run.status,
        simulatedSeconds: run.metrics.simulatedSeconds,
        transitions: run.metrics.transitions,
        targets: document.targets.map((t) => ({
          key: `${t.accountId}/${t.region}`,
          outcome: t.outcome,
          reason: t.reason,
          started: t.startedAt ? Date.parse(t.startedAt) - start : undefined,
          finished: t.finishedAt ? Date.parse(t.finishedAt) - start : undefined,
        })),
      };
    };
    const first = await runOnce();
    const second = await runOnce();
    expect(first.targets).toHaveLength(13);
    expect(second).toEqual(first);
  });
});

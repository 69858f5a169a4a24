/**
 * The UI server's JSON API against a sandbox rollout through the real SFNClient: what the page
 * reads, how it refuses bad requests, and that a finished rollout costs no further API calls.
 */
import * as path from 'node:path';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { awsClients } from '../../../src/aws/clients';
import { loadScenarioFile } from '../../../src/sandbox/scenario';
import { startUiServer, type UiServer } from '../../../src/ui/server';
import type { RolloutListItemWire, RolloutWire, TargetDetailWire } from '../../../src/ui/wire';
import { FOREIGN_SECRET, runForeignWorkflow } from '../../helpers/foreign-workflow';
import { openSandboxHarness, type RunResult, type SandboxHarness } from '../../helpers/sandbox-harness';

describe('UI server API', () => {
  let harness: SandboxHarness;
  let result: RunResult;
  let ui: UiServer;
  let foreignArn: string;
  const get = async <T>(p: string, headers: Record<string, string> = {}) => {
    const res = await fetch(new URL(p, ui.url), { headers });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as T };
  };
  const stepFunctionsCalls = () =>
    Object.entries(harness.sandbox.world.metrics.calls)
      .filter(([key]) => key.startsWith('states.'))
      .reduce((sum, [, n]) => sum + n, 0);

  beforeAll(async () => {
    const scenario = loadScenarioFile(path.join(__dirname, '../../../src/sandbox/scenarios/small.yaml'));
    harness = await openSandboxHarness({ scenario });
    result = await harness.runRollout(
      {
        rolloutId: 'ui-api-1',
        mode: 'deploy',
        template: harness.template,
        stackName: 'stackfleet-baseline',
        executionRoleName: scenario.executionRoleName,
        externalId: scenario.externalId,
        capabilities: ['CAPABILITY_NAMED_IAM'],
        targets: { organizationalUnits: [scenario.organization.rootId], regions: 'ALL_ENABLED' },
        failureTolerance: { percent: 100 },
      },
      'ui-api-1',
    );
    foreignArn = await runForeignWorkflow(harness);
    ui = await startUiServer({
      sfn: harness.sfn,
      s3: harness.s3,
      organizations: awsClients.organizations({ region: 'us-east-1' }),
      rolloutStateMachineArn: harness.admin!.rolloutStateMachineArn,
      targetStateMachineArns: Object.values(harness.admin!.targetStateMachineArns),
    });
  }, 300_000);

  afterAll(async () => {
    await ui?.close();
  });

  it('lists rollouts with their mode, status and the summary counts', async () => {
    const { status, body } = await get<{ rollouts: RolloutListItemWire[] }>('/api/rollouts');
    expect(status).toBe(200);
    const listed = body.rollouts.find((r) => r.name === 'ui-api-1');
    const summary = JSON.parse(
      (await harness.sfn.send(new DescribeExecutionCommand({ executionArn: result.executionArn }))).output ??
        '{}',
    ) as { counts: Record<string, number>; total: number };
    expect(listed).toMatchObject({ status: result.status, mode: 'deploy', total: summary.total });
    expect(listed?.counts).toEqual(summary.counts);
    expect(listed?.counts?.FAILED).toBeGreaterThan(0);
  });

  it('names each account and its OU path from Organizations', async () => {
    const { body } = await get<RolloutWire>(`/api/rollout?arn=${encodeURIComponent(result.executionArn)}`);
    const t = body.targets;
    const of = (id: string) => {
      const i = t.accounts.indexOf(id);
      return [t.accountNames[i], t.accountOus[i]];
    };
    // src/sandbox/scenarios/small.yaml: app-prod sits in Workloads/Prod, audit in Security.
    expect(of('333333333333')).toEqual(['app-prod', 'Root/Workloads/Prod']);
    expect(of('222222222222')).toEqual(['audit', 'Root/Security']);
    expect(t.directoryUnavailable).toBeUndefined();
  });

  it("refuses another workload's execution (readable with the same credentials) without reading it", async () => {
    // The UI's credentials can read it: the refusal is the UI's, not IAM's.
    const direct = await harness.sfn.send(new DescribeExecutionCommand({ executionArn: foreignArn }));
    expect(direct.input).toContain(FOREIGN_SECRET);
    const calls = stepFunctionsCalls();
    for (const route of ['/api/target', '/api/rollout', '/api/definitions']) {
      const res = await fetch(new URL(`${route}?arn=${encodeURIComponent(foreignArn)}`, ui.url));
      const text = await res.text();
      expect([route, res.status]).toEqual([route, 403]);
      expect(text).not.toContain(FOREIGN_SECRET);
      const body = JSON.parse(text) as { error: string; message: string };
      expect(body.error).toBe('ForeignExecution');
      expect(body.message).toContain(`Received: ${foreignArn}`);
      expect(body.message).toContain(':stateMachine:payroll-export');
    }
    expect(stepFunctionsCalls()).toBe(calls);
  });

  it('refuses a target execution asked for as a rollout, and the rollout asked for as a target', async () => {
    const first = await get<RolloutWire>(`/api/rollout?arn=${encodeURIComponent(result.executionArn)}`);
    const targetArn = first.body.targets.executionPrefix + first.body.targets.rows[0]![3];
    const asRollout = await get<{ error: string; message: string }>(
      `/api/rollout?arn=${encodeURIComponent(targetArn)}`,
    );
    expect(asRollout.status).toBe(403);
    expect(asRollout.body.message).toContain(
      `must be an execution of stackfleet's rollout state machine ${harness.admin!.rolloutStateMachineArn}`,
    );
    const asTarget = await get<{ error: string }>(
      `/api/target?arn=${encodeURIComponent(result.executionArn)}`,
    );
    expect([asTarget.status, asTarget.body.error]).toEqual([403, 'ForeignExecution']);
  });

  it('sends every target once, then only changes, and stops calling Step Functions once the rollout is final', async () => {
    const arn = encodeURIComponent(result.executionArn);
    const first = await get<RolloutWire>(`/api/rollout?arn=${arn}`);
    expect(first.status).toBe(200);
    const t = first.body.targets;
    expect(t.reset).toBe(true);
    const outcomes = t.rows.map(([a, r, o]) => `${t.accounts[a]} ${t.regions[r]} ${t.outcomes[o]}`);
    // The small scenario's app-prod account fails in eu-west-1 (a bucket that already exists).
    expect(outcomes).toContain('333333333333 eu-west-1 FAILED');
    expect(first.body.rollout.status).toBe(result.status);
    expect(first.body.rollout.done).toBe(first.body.rollout.total);

    const calls = stepFunctionsCalls();
    expect(calls).toBeGreaterThan(0);
    const again = await get<RolloutWire>(
      `/api/rollout?arn=${arn}&since=${t.version}&a=${t.accounts.length}&r=${t.regions.length}&o=${t.outcomes.length}`,
    );
    expect(again.body.targets).toMatchObject({
      reset: false,
      rows: [],
      accounts: [],
      regions: [],
      outcomes: [],
    });
    expect(stepFunctionsCalls()).toBe(calls);
  });

  it('explains a failed target: its error, reason and history', async () => {
    const first = await get<RolloutWire>(`/api/rollout?arn=${encodeURIComponent(result.executionArn)}`);
    const t = first.body.targets;
    const row = t.rows.find(([a, r]) => t.accounts[a] === '333333333333' && t.regions[r] === 'eu-west-1')!;
    const detail = await get<TargetDetailWire>(
      `/api/target?arn=${encodeURIComponent(t.executionPrefix + row[3])}`,
    );
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      account: '333333333333',
      region: 'eu-west-1',
      status: 'FAILED',
      outcome: 'FAILED',
    });
    expect(detail.body.failure?.cause).toContain('bucket already exists');
    expect(detail.body.reason).toBe(row[4]);
    expect(detail.body.timeline[0]?.text).toBe('Execution started');
    expect(Object.values(detail.body.statuses)).toContain('failed');
  });

  it('refuses a malformed ARN naming the parameter and the value', async () => {
    const { status, body } = await get<{ error: string; message: string }>('/api/target?arn=not-an-arn');
    expect(status).toBe(400);
    expect(body).toEqual({
      error: 'UiRequestError',
      message: 'Query parameter arn must be a Step Functions execution ARN. Received: not-an-arn',
    });
    const since = await get<{ message: string }>(
      `/api/rollout?arn=${encodeURIComponent(result.executionArn)}&since=-1`,
    );
    expect(since.status).toBe(400);
    expect(since.body.message).toContain('since must be a non-negative integer. Received: -1');
  });

  it('answers a missing execution with 404 and does not remember it', async () => {
    const tracked = ui.stats().trackedRollouts;
    expect(tracked).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) {
      const missing = result.executionArn.replace(/ui-api-1$/, `no-such-rollout-${i}`);
      const { status, body } = await get<{ error: string }>(
        `/api/rollout?arn=${encodeURIComponent(missing)}`,
      );
      expect([status, body.error]).toEqual([404, 'ExecutionDoesNotExist']);
    }
    expect(ui.stats().trackedRollouts).toBe(tracked);
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const http = await import('node:http');
    const url = new URL(ui.url);
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(
          { host: url.hostname, port: url.port, path: '/api/rollouts', headers: { host: 'evil.example' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on('error', reject);
    });
    expect(status).toBe(421);
  });

  it('serves the page and its script', async () => {
    const page = await fetch(ui.url);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<script src="/app.js"></script>');
    const script = await fetch(new URL('/app.js', ui.url));
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(1000);
  });
});

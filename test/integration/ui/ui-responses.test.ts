/**
 * The UI's API lists the tamper response's executions with their graph (issue 16: "the UI lists
 * response executions with their graph"): respond-to-tampering is one of stackfleet's own machines
 * (the admin stack output RespondToTamperingStateMachineArn), so its executions are served; an
 * execution of another machine (a rollout's) is refused on the response route.
 */
import type { ResponseDetail, ResponseSummary } from '../../../src/ui/responses';
import { startUiServer, type UiServer } from '../../../src/ui/server';
import type { SandboxHarness } from '../../helpers/sandbox-harness';
import { responseExecutions } from '../../helpers/tamper-response';
import { actAs, mallory, openTamperWorld, settle, TRAIL } from '../../helpers/tamper-world';

describe('the UI API: tamper response executions', () => {
  let h: SandboxHarness;
  let ui: UiServer;
  const get = async <T>(p: string) => {
    const res = await fetch(new URL(p, ui.url));
    return { status: res.status, body: (await res.json().catch(() => undefined)) as T };
  };

  beforeAll(async () => {
    h = await openTamperWorld();
    await actAs(h, mallory, 'cloudtrail', 'StopLogging', { Name: TRAIL });
    await settle(h);
    ui = await startUiServer({
      sfn: h.sfn,
      rolloutStateMachineArn: h.admin?.rolloutStateMachineArn as string,
      targetStateMachineArns: Object.values(h.admin?.targetStateMachineArns ?? {}),
      responseStateMachineArn: h.admin?.respondToTamperingStateMachineArn as string,
    });
  });

  afterAll(async () => {
    await ui?.close();
  });

  it('lists the response executions and serves one with its graph and the status of each state', async () => {
    const runs = responseExecutions(h);
    expect(runs).toHaveLength(1);
    const list = await get<{ responses: ResponseSummary[] }>('/api/responses');
    expect(list.status).toBe(200);
    expect(list.body.responses).toEqual([
      expect.objectContaining({ executionArn: runs[0]?.executionArn, status: 'SUCCEEDED' }),
    ]);
    const one = await get<ResponseDetail>(
      `/api/response?arn=${encodeURIComponent(runs[0]?.executionArn as string)}`,
    );
    expect(one.status).toBe(200);
    const names = one.body.graph.nodes.map((n) => n.name);
    expect(names).toEqual(
      expect.arrayContaining(['Read the event', 'Restore logging', 'Record the incident']),
    );
    expect(Object.values(one.body.statuses).filter((s) => s === 'succeeded').length).toBeGreaterThanOrEqual(
      4,
    );
  });

  it("refuses another machine's execution on the response route", async () => {
    const rollout = h.engine.listExecutions({
      stateMachineArn: h.admin?.rolloutStateMachineArn as string,
    })[0];
    const res = await get<{ message: string }>(
      `/api/response?arn=${encodeURIComponent(rollout?.executionArn as string)}`,
    );
    expect(res.status).toBe(403);
    expect(res.body.message).toContain("must be an execution of stackfleet's tamper response state machine");
  });
});

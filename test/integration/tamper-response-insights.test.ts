/**
 * PutInsightSelectors on the sandbox and the response to it (issue 16 names it among the
 * tampering events). The sandbox's CloudTrail answers it as the CloudTrail API Reference says
 * (PutInsightSelectors, GetInsightSelectors): ApiCallRateInsight and ApiErrorRateInsight only,
 * in the trail's home region, InsightNotEnabledException from GetInsightSelectors while Insights
 * are off. The response, through the real event path, records and alerts it and leaves the
 * selectors as set: the baseline's trail declares no InsightSelectors, so there is nothing to put
 * back, and the trail keeps logging either way.
 */

import { callInternal } from '../../src/sandbox/internal-call';
import type { SandboxHarness } from '../helpers/sandbox-harness';
import { adminAlerts, incidents, trailLogging } from '../helpers/tamper-response';
import { actAs, MEMBER, mallory, openTamperWorld, settle, TRAIL } from '../helpers/tamper-world';

const MALLORY = `arn:aws:iam::${MEMBER}:user/mallory`;

describe('PutInsightSelectors: the sandbox call and the response', () => {
  let h: SandboxHarness;

  beforeAll(async () => {
    h = await openTamperWorld();
  });

  it('GetInsightSelectors on a trail without Insights: InsightNotEnabledException (CloudTrail API Reference)', async () => {
    await expect(
      actAs(h, mallory, 'cloudtrail', 'GetInsightSelectors', { TrailName: TRAIL }),
    ).rejects.toThrow(expect.objectContaining({ name: 'InsightNotEnabledException' }));
  });

  it('an unknown Insights type is refused: InvalidInsightSelectorsException, and nothing is recorded', async () => {
    const before = adminAlerts(h).length;
    await expect(
      actAs(h, mallory, 'cloudtrail', 'PutInsightSelectors', {
        TrailName: TRAIL,
        InsightSelectors: [{ InsightType: 'ApiLatencyInsight' }],
      }),
    ).rejects.toThrow(expect.objectContaining({ name: 'InvalidInsightSelectorsException' }));
    await settle(h);
    expect(adminAlerts(h).length).toBe(before);
  });

  it('outside the trail home region: InvalidHomeRegionException', async () => {
    await expect(
      h.virtual(() =>
        callInternal(h.sandbox.world, {
          caller: mallory,
          service: 'cloudtrail',
          operation: 'PutInsightSelectors',
          params: { TrailName: TRAIL, InsightSelectors: [] },
          region: 'us-east-1',
        }),
      ),
    ).rejects.toThrow(expect.objectContaining({ name: 'InvalidHomeRegionException' }));
  });

  it('an IAM user turning Insights on: the selectors stay as set, the trail logs, the incident is recorded and alerted once', async () => {
    const before = adminAlerts(h).length;
    await actAs(h, mallory, 'cloudtrail', 'PutInsightSelectors', {
      TrailName: TRAIL,
      InsightSelectors: [{ InsightType: 'ApiCallRateInsight' }],
    });
    await settle(h);
    await expect(
      actAs(h, mallory, 'cloudtrail', 'GetInsightSelectors', { TrailName: TRAIL }),
    ).resolves.toMatchObject({ InsightSelectors: [{ InsightType: 'ApiCallRateInsight' }] });
    expect(trailLogging(h, MEMBER)).toBe(true);
    const alerts = adminAlerts(h).slice(before);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toContain(`What:  PutInsightSelectors on trail ${TRAIL}`);
    expect(alerts[0]).toContain(
      `Restored:  trail ${TRAIL} was already logging; Insights selectors left as set: the baseline declares none to restore (alert only)`,
    );
    expect((await incidents(h))[MALLORY]).toMatchObject({ count: 1, lastEventName: 'PutInsightSelectors' });
  });
});

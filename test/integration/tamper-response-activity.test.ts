/**
 * Scenario-scheduled tampering (issue 16: "Scenarios can schedule 'at minute M, principal P stops
 * the trail in account A, region R'"): the scenario's `activity` is played on the virtual clock as
 * the same CloudTrail call a person would make, authorized as that principal, so the whole response
 * path runs: CloudTrail records it, the baseline forwards it, respond-to-tampering restores and alerts.
 */
import { activityLog, playScenarioActivity } from '../../src/sandbox/scenario-play';
import type { SandboxHarness } from '../helpers/sandbox-harness';
import { adminAlerts, incidents, trailLogging } from '../helpers/tamper-response';
import { MEMBER, OTHER_MEMBER, openTamperWorld, REGION } from '../helpers/tamper-world';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('scenario activity: scheduled tampering', () => {
  let h: SandboxHarness;

  beforeAll(async () => {
    h = await openTamperWorld({
      activity: [
        { atMinute: 90, account: MEMBER, region: REGION, as: { user: 'mallory' }, action: 'StopLogging' },
        {
          atMinute: 30,
          account: OTHER_MEMBER,
          region: REGION,
          as: { role: 'Nobody' },
          action: 'StopLogging',
        },
      ],
    } as never);
  });

  it('at minute 90 mallory stops the trail: the call is made then, and the response restores and alerts it', async () => {
    const before = adminAlerts(h).length;
    let from = 0;
    const played = await h.virtual(() => {
      from = h.sandbox.world.now();
      return playScenarioActivity(h.sandbox.world, { from });
    });
    const stop = played.find((p) => p.index === 0);
    expect(stop).toMatchObject({
      outcome: 'done',
      caller: `arn:aws:iam::${MEMBER}:user/mallory`,
      at: from + 90 * 60_000,
    });
    expect(trailLogging(h, MEMBER)).toBe(true);
    const alerts = adminAlerts(h).slice(before);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toContain(`Who:   IAM user mallory (arn:aws:iam::${MEMBER}:user/mallory)`);
    expect(alerts[0]).toContain('What:  StopLogging on trail StackFleet-baseline');
    expect(alerts[0]).toContain(`When:  ${iso(from + 90 * 60_000)}`);
    expect((await incidents(h))[`arn:aws:iam::${MEMBER}:user/mallory`]?.count).toBe(1);
  });

  it('an activity whose principal does not exist is logged as refused, with the reason, and changes nothing', () => {
    const refused = activityLog(h.sandbox.world).find((p) => p.index === 1);
    expect(refused?.outcome).toBe('refused');
    expect(refused?.error).toContain(`activity role Nobody does not exist in account ${OTHER_MEMBER}`);
    expect(trailLogging(h, OTHER_MEMBER)).toBe(true);
  });
});

/**
 * The response to AWS Config recorder tampering on the sandbox (issue 16: "the same for the Config
 * recorder: StopConfigurationRecorder, DeleteConfigurationRecorder, DeleteDeliveryChannel"),
 * through the real event path: CloudTrail records Config's calls with eventSource
 * config.amazonaws.com and EventBridge puts them on the member's bus with source aws.config
 * (EventBridge User Guide, eb-service-event-cloudtrail); the baseline's forwarding rule sends them
 * to the admin bus, where respond-to-tampering starts the recorder again as the member's
 * StackFleetTamperResponder (StartConfigurationRecorder, AWS Config API Reference).
 */
import type { SandboxHarness } from '../helpers/sandbox-harness';
import { adminAlerts, incidents, recorderOf } from '../helpers/tamper-response';
import { actAs, MEMBER, mallory, openTamperWorld, REGION, settle } from '../helpers/tamper-world';

const MALLORY = `arn:aws:iam::${MEMBER}:user/mallory`;

describe('respond-to-tampering: the Config recorder', () => {
  let h: SandboxHarness;

  beforeAll(async () => {
    h = await openTamperWorld();
  });

  it('an IAM user stopping the recorder: recording again, recorded as an incident, alerted', async () => {
    const recorder = recorderOf(h, MEMBER);
    expect(recorder?.recording).toBe(true);
    const name = recorder?.name as string;
    const before = adminAlerts(h).length;
    await actAs(h, mallory, 'config', 'StopConfigurationRecorder', { ConfigurationRecorderName: name });
    // actAs runs under virtual time until the events and the response settled.
    await settle(h);
    expect(recorderOf(h, MEMBER)?.recording).toBe(true);
    const alerts = adminAlerts(h).slice(before);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toContain(`What:  StopConfigurationRecorder on recorder ${name}`);
    expect(alerts[0]).toContain(`Where: account ${MEMBER}, region ${REGION}`);
    expect(alerts[0]).toContain(`Restored:  recorder ${name} recording again (StartConfigurationRecorder)`);
    expect((await incidents(h))[MALLORY]).toMatchObject({
      count: 1,
      lastEventName: 'StopConfigurationRecorder',
      lastAccount: MEMBER,
    });
  });
});

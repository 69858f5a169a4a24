/**
 * The response to AWS Config recorder tampering on the sandbox (issue 16: "the same for the Config
 * recorder: StopConfigurationRecorder, DeleteConfigurationRecorder, DeleteDeliveryChannel"),
 * through the real event path: CloudTrail records Config's calls with eventSource
 * config.amazonaws.com and EventBridge puts them on the member's bus with source aws.config
 * (EventBridge User Guide, eb-service-event-cloudtrail); the baseline's forwarding rule sends them
 * to the admin bus, where respond-to-tampering starts the recorder again as the member's
 * StackFleetTamperResponder (StartConfigurationRecorder, AWS Config API Reference).
 */

import { callInternal } from '../../src/sandbox/internal-call';
import { cloudTrailSection } from '../../src/sandbox/services/cloudtrail/state';
import { engineFor } from '../../src/sandbox/services/stepfunctions';
import type { SandboxHarness } from '../helpers/sandbox-harness';
import { adminAlerts, incidents, recorderOf, rootOf } from '../helpers/tamper-response';
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

  it('the delivery channel deleted: the baseline redeploy reverts the DELETED channel, DescribeDeliveryChannels shows it and the recorder records again', async () => {
    const channelOf = () =>
      Object.values(cloudTrailSection(h.sandbox.world).channels).find(
        (c) => c.accountId === MEMBER && c.region === REGION,
      );
    const name = channelOf()?.name as string;
    expect(name).toBeDefined();
    const before = adminAlerts(h).length;
    // Config refuses to delete the last channel while a recorder runs
    // (LastDeliveryChannelDeleteFailedException, AWS Config API Reference, DeleteDeliveryChannel):
    // mallory stops the recorder and deletes the channel at once, before any response runs.
    const recorder = recorderOf(h, MEMBER)?.name as string;
    await h.virtual(async () => {
      for (const [operation, params] of [
        ['StopConfigurationRecorder', { ConfigurationRecorderName: recorder }],
        ['DeleteDeliveryChannel', { DeliveryChannelName: name }],
      ] as const)
        await callInternal(h.sandbox.world, {
          caller: mallory,
          service: 'config',
          operation,
          params,
          region: REGION,
          userAgent: 'aws-cli/2.x',
          sourceIp: '203.0.113.7',
        });
    });
    await settle(h);
    const repairs = Object.values(engineFor(h.sandbox.world).store.executions).filter(
      (e) => e.executionArn.includes('DriftTarget') && e.output?.includes('ConfigDeliveryChannel'),
    );
    expect(repairs.map((e) => JSON.parse(e.output as string))).toEqual([
      expect.objectContaining({
        outcome: 'DRIFT_REPAIRED',
        drifted: [expect.objectContaining({ logicalId: 'ConfigDeliveryChannel', status: 'DELETED' })],
      }),
    ]);
    // The world afterwards, as the account's root reads it through Config's API: the channel is
    // back (DescribeDeliveryChannels, AWS Config API Reference) and, with it, the recorder the
    // response started again (StartConfigurationRecorder needs a delivery channel).
    const asRoot = (operation: string) =>
      h.virtual(() =>
        callInternal(h.sandbox.world, {
          caller: rootOf(MEMBER),
          service: 'config',
          operation,
          params: {},
          region: REGION,
        }),
      ) as Promise<Record<string, Array<Record<string, unknown>>>>;
    const channels = (await asRoot('DescribeDeliveryChannels')).DeliveryChannels ?? [];
    expect(channels).toEqual([
      expect.objectContaining({ name, s3BucketName: expect.stringContaining('configbucket') }),
    ]);
    const statuses = (await asRoot('DescribeConfigurationRecorderStatus')).ConfigurationRecordersStatus ?? [];
    expect(statuses).toEqual([expect.objectContaining({ name: recorder, recording: true })]);
    const alert = adminAlerts(h).slice(before).join('\n');
    expect(alert).toContain(`What:  DeleteDeliveryChannel on delivery-channel ${name}`);
    expect(alert).toMatch(
      new RegExp(
        `Restored: {2}delivery channel ${name} is gone: redeploying the baseline \\(template version .+\\); recorder ${recorder} recording again \\(StartConfigurationRecorder\\)`,
      ),
    );
    expect(alert.split('\n').filter((l) => l.startsWith('What:  DeleteDeliveryChannel'))).toHaveLength(1);
  });
});

/**
 * `npm run bench:tamper`: the simulated time from a tampering call to the trail logging again, on
 * the sandbox, through the whole path (CloudTrail's event -> the baseline's forwarding rule -> the
 * admin bus -> respond-to-tampering -> StartLogging as the member's responder role), and for a
 * deleted trail (-> drift-target's REVERT_DRIFT repair), and for a deleted Config delivery channel
 * (the recorder stopped first, as Config requires; -> the same repair, then StartConfigurationRecorder). The delays are the scenario's
 * (`events.deliveryDelayMs`, `events.cloudTrailDelayMs`, resource durations) and the state machine's.
 * Prints figures; asserts nothing.
 *
 *   tsx scripts/bench-tamper.ts
 */
import '../src/core/polyfills';
import { callInternal } from '../src/sandbox/internal-call';
import { cloudTrailSection, type TrailRecord } from '../src/sandbox/services/cloudtrail/state';
import { actAs, MEMBER, OTHER_MEMBER, openTamperWorld, REGION, TRAIL } from '../test/helpers/tamper-world';

async function main(): Promise<void> {
  const h = await openTamperWorld();
  const trailOf = (accountId: string): TrailRecord | undefined =>
    Object.values(cloudTrailSection(h.sandbox.world).trails).find(
      (t) => t.accountId === accountId && t.name === TRAIL,
    );
  const root = (accountId: string) => ({
    accountId,
    accessKeyId: `root-${accountId}`,
    arn: `arn:aws:iam::${accountId}:root`,
  });

  await actAs(h, root(MEMBER), 'cloudtrail', 'StopLogging', { Name: TRAIL });
  const stopped = trailOf(MEMBER);
  const stopMs = (stopped?.startLoggingTime ?? Number.NaN) - (stopped?.stopLoggingTime ?? Number.NaN);

  const before = h.sandbox.world.now();
  await actAs(h, root(OTHER_MEMBER), 'cloudtrail', 'DeleteTrail', { Name: TRAIL });
  const recreated = trailOf(OTHER_MEMBER);
  const deleteMs = recreated?.isLogging ? (recreated.startLoggingTime ?? Number.NaN) - before : Number.NaN;

  // Config refuses to delete the channel while the recorder runs: stop it, then delete the channel.
  const recorder = Object.values(cloudTrailSection(h.sandbox.world).recorders).find(
    (r) => r.accountId === MEMBER,
  );
  const channel = Object.values(cloudTrailSection(h.sandbox.world).channels).find(
    (c) => c.accountId === MEMBER,
  );
  const channelAt = h.sandbox.world.now();
  // Both calls at once, before any response runs (as the integration test does).
  await h.virtual(async () => {
    for (const [operation, params] of [
      ['StopConfigurationRecorder', { ConfigurationRecorderName: recorder?.name }],
      ['DeleteDeliveryChannel', { DeliveryChannelName: channel?.name }],
    ] as const)
      await callInternal(h.sandbox.world, {
        caller: root(MEMBER),
        service: 'config',
        operation,
        params,
        region: REGION,
      });
  });
  const after = Object.values(cloudTrailSection(h.sandbox.world).recorders).find(
    (r) => r.accountId === MEMBER,
  );
  const back = Object.values(cloudTrailSection(h.sandbox.world).channels).some((c) => c.accountId === MEMBER);
  const channelMs = after?.recording && back ? (after.lastStartTime ?? Number.NaN) - channelAt : Number.NaN;

  const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'not restored');
  console.log('tampering call -> trail logging again (simulated time on the sandbox)');
  console.log(`  StopLogging: ${seconds(stopMs)}`);
  console.log(`  DeleteTrail: ${seconds(deleteMs)} (baseline repaired through drift-target)`);
  console.log(
    `  DeleteDeliveryChannel: ${seconds(channelMs)} to the recorder recording again (channel back through drift-target, then StartConfigurationRecorder)`,
  );
  await h.sandbox.close?.();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

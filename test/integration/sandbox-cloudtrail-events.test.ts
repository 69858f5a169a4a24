/**
 * The tampering event's path on the sandbox, as the baseline and the admin stack wire it: a call
 * to CloudTrail's StopLogging is recorded with the caller's userIdentity (CloudTrail User Guide,
 * cloudtrail-event-reference-user-identity) and reaches the member's default bus as "AWS API Call
 * via CloudTrail" (EventBridge User Guide, eb-service-event-cloudtrail); the baseline's
 * CloudTrailTamperingRule alerts the member's topic and forwards it with its role to the admin
 * account's default bus, whose policy lets the organisation in (eb-cross-account); the admin
 * stack's rule then acts on it.
 */

import { findRoleByArn, iamSection } from '../../src/sandbox/iam/state';
import { callInternal } from '../../src/sandbox/internal-call';
import { cloudTrailSection } from '../../src/sandbox/services/cloudtrail/state';
import { eventsDeliveries } from '../../src/sandbox/services/events/delivery';
import {
  deleteRule,
  eventsSection,
  putBusPolicyStatement,
  putRule,
} from '../../src/sandbox/services/events-state';
import { readSnsMessages } from '../../src/sandbox/services/sns';
import type { SandboxHarness } from '../helpers/sandbox-harness';
import {
  ADMIN,
  actAs,
  MEMBER,
  mallory,
  openTamperWorld,
  REGION,
  settle,
  TRAIL,
} from '../helpers/tamper-world';

const root = { accountId: MEMBER, accessKeyId: `root-${MEMBER}`, arn: `arn:aws:iam::${MEMBER}:root` };

describe('CloudTrail tampering events through EventBridge on the sandbox', () => {
  let h: SandboxHarness;

  beforeAll(async () => {
    h = await openTamperWorld();
  });

  it('records mallory stopping the trail and delivers the event to the member topic and the admin bus', async () => {
    const trail = Object.values(cloudTrailSection(h.sandbox.world).trails).find(
      (t) => t.accountId === MEMBER,
    );
    expect(trail).toMatchObject({ name: TRAIL, isLogging: true, homeRegion: REGION });
    await actAs(h, mallory, 'cloudtrail', 'StopLogging', { Name: TRAIL });
    // Stopped; by the time the event path settled the admin stack's response had restored it
    // (test/integration/tamper-response.test.ts).
    expect(trail?.stopLoggingTime).toBeDefined();
    await settle(h);

    const deliveries = eventsDeliveries(h.sandbox.world);
    const forwarded = deliveries.find(
      (d) => d.targetArn === `arn:aws:events:${REGION}:${ADMIN}:event-bus/default`,
    );
    expect(forwarded).toMatchObject({ outcome: 'delivered' });
    const memberAlert = readSnsMessages(h.sandbox.world).find((m) => m.topicArn.includes(`:${MEMBER}:`));
    const event = JSON.parse(memberAlert?.message ?? '{}');
    expect(event).toMatchObject({
      source: 'aws.cloudtrail',
      'detail-type': 'AWS API Call via CloudTrail',
      account: MEMBER,
      region: REGION,
      detail: {
        eventSource: 'cloudtrail.amazonaws.com',
        eventName: 'StopLogging',
        sourceIPAddress: '203.0.113.7',
        userAgent: 'aws-cli/2.x',
        requestParameters: { name: TRAIL },
        userIdentity: { type: 'IAMUser', userName: 'mallory', arn: mallory.arn, accountId: MEMBER },
      },
    });
    expect(event.detail.userIdentity.principalId).toMatch(/^AIDA[0-9A-F]{17}$/);
    // The admin stack's rule on its default bus received the same event (same id) from the member.
    const adminRule = Object.values(eventsSection(h.sandbox.world).rules).find(
      (r) => r.accountId === ADMIN && r.eventPattern?.includes('StopLogging'),
    );
    expect(
      deliveries.filter((d) => d.ruleArn === adminRule?.arn && d.eventId === event.id).length,
    ).toBeGreaterThan(0);
  });

  it('records nothing once no trail logs: a second call while stopped makes no event', async () => {
    const before = eventsDeliveries(h.sandbox.world).length;
    // Both calls before anything responds: the second finds no trail logging.
    await h.virtual(async () => {
      for (let i = 0; i < 2; i++)
        await callInternal(h.sandbox.world, {
          caller: root,
          service: 'cloudtrail',
          operation: 'StopLogging',
          params: { Name: TRAIL },
          region: REGION,
        });
    });
    await settle(h);
    const events = new Set(
      eventsDeliveries(h.sandbox.world)
        .slice(before)
        .map((d) => d.eventId),
    );
    expect(events.size).toBe(1);
  });

  it('refuses a user whose policies do not allow StopLogging, in AWS words', async () => {
    await expect(
      actAs(
        h,
        {
          ...mallory,
          accessKeyId: 'AKIANOBODY',
          userName: 'nobody',
          arn: `arn:aws:iam::${MEMBER}:user/nobody`,
        },
        'cloudtrail',
        'StopLogging',
        { Name: TRAIL },
      ),
    ).rejects.toThrow(
      /is not authorized to perform: cloudtrail:StopLogging on resource: arn:aws:cloudtrail:eu-west-1:222222222222:trail\/StackFleet-baseline/,
    );
  });

  it('drops the forwarded event when the admin bus policy does not let the organisation in', async () => {
    const bus = `arn:aws:events:${REGION}:${ADMIN}:event-bus/default`;
    const policies = eventsSection(h.sandbox.world).busPolicies;
    const saved = policies[bus];
    delete policies[bus];
    putBusPolicyStatement(h.sandbox.world, bus, {
      sid: 'OnlyAnotherOrg',
      statement: JSON.stringify({
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: bus,
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-someoneelse' } },
      }),
    });
    try {
      // mallory is contained by now (a repeat offence): the account's root stops the trail.
      await actAs(h, root, 'cloudtrail', 'StopLogging', { Name: TRAIL });
      await settle(h);
      const last = eventsDeliveries(h.sandbox.world)
        .filter((d) => d.targetArn === bus)
        .pop();
      expect(last).toMatchObject({ outcome: 'failed' });
      expect(last?.detail).toMatch(/is not authorized to perform: events:PutEvents on resource/);
    } finally {
      if (saved) policies[bus] = saved;
    }
  });

  it('forwards with the role as it is now: no trust for EventBridge any more drops the next event, though a session was held', async () => {
    const bus = `arn:aws:events:${REGION}:${ADMIN}:event-bus/default`;
    const rule = Object.values(eventsSection(h.sandbox.world).rules).find(
      (r) =>
        r.accountId === MEMBER &&
        r.eventPattern?.includes('StopLogging') &&
        r.targets.some((t) => t.Arn === bus),
    );
    const roleArn = rule?.targets.find((t) => t.Arn === bus)?.RoleArn as string;
    const role = findRoleByArn(iamSection(h.sandbox.world), roleArn);
    if (!role) throw new Error(`no forwarding role ${roleArn}`);
    // The previous test's event was dropped, so nothing restarted the trail.
    await actAs(h, root, 'cloudtrail', 'StartLogging', { Name: TRAIL });
    await settle(h);
    const saved = role.trustPolicy;
    role.trustPolicy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    });
    try {
      await actAs(h, root, 'cloudtrail', 'StopLogging', { Name: TRAIL });
      await settle(h);
      const last = eventsDeliveries(h.sandbox.world)
        .filter((d) => d.targetArn === bus)
        .pop();
      expect(last).toMatchObject({ outcome: 'failed' });
      expect(last?.detail).toMatch(/not authorized to perform: sts:AssumeRole/);
    } finally {
      role.trustPolicy = saved;
    }
  });

  it('matches the rules a bus has now: a deleted forwarding rule forwards nothing, put back it forwards again', async () => {
    const bus = `arn:aws:events:${REGION}:${ADMIN}:event-bus/default`;
    const rule = Object.values(eventsSection(h.sandbox.world).rules).find(
      (r) =>
        r.accountId === MEMBER &&
        r.eventPattern?.includes('StopLogging') &&
        r.targets.some((t) => t.Arn === bus),
    );
    if (!rule) throw new Error('no forwarding rule');
    const forwarded = () => eventsDeliveries(h.sandbox.world).filter((d) => d.ruleArn === rule.arn).length;
    await actAs(h, root, 'cloudtrail', 'StartLogging', { Name: TRAIL });
    await settle(h);
    deleteRule(h.sandbox.world, rule.arn);
    const before = forwarded();
    try {
      await actAs(h, root, 'cloudtrail', 'StopLogging', { Name: TRAIL });
      await settle(h);
      expect(forwarded()).toBe(before);
    } finally {
      putRule(h.sandbox.world, rule);
    }
    await actAs(h, root, 'cloudtrail', 'StartLogging', { Name: TRAIL });
    await settle(h);
    await actAs(h, root, 'cloudtrail', 'StopLogging', { Name: TRAIL });
    await settle(h);
    expect(forwarded()).toBeGreaterThan(before);
  });
});

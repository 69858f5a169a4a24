/**
 * The response to CloudTrail tampering on the sandbox (issue 16, "What it must show"), each case
 * through the real event path: a principal calls CloudTrail in a member account -> the sandbox's
 * CloudTrail records it -> the baseline's CloudTrailTamperingRule forwards it to the admin bus ->
 * the admin stack's rule starts respond-to-tampering (deployed from the CDK app) -> its functions
 * restore logging as the member's StackFleetTamperResponder role, record the incident in the
 * DynamoDB table, contain a repeat offender and publish one readable alert. Each test asserts the
 * world afterwards. Containment follows AWS's documented countermeasures: an inline deny-all on a
 * user, AWSRevokeOlderSessions (a deny on aws:TokenIssueTime) on a role (IAM User Guide,
 * id_roles_use_revoke-sessions). The tests run in order in one world: counts accumulate per principal.
 */
import { DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { awsClients } from '../../src/aws/clients';
import { TAMPER_RESPONDER_STACK_NAME } from '../../src/sandbox/admin/bootstrap';
import { eventsRuntime } from '../../src/sandbox/services/events/delivery';
import type { SandboxHarness } from '../helpers/sandbox-harness';
import {
  adminAlerts,
  givenOperatorRole,
  incidents,
  inlinePolicy,
  responseExecutions,
  rootOf,
  sessionOf,
  trailExists,
  trailLogging,
} from '../helpers/tamper-response';
import {
  ADMIN,
  actAs,
  MEMBER,
  mallory,
  OTHER_MEMBER,
  openTamperWorld,
  REGION,
  settle,
  TRAIL,
} from '../helpers/tamper-world';

const MALLORY = `arn:aws:iam::${MEMBER}:user/mallory`;

/** `caller` stops the baseline trail, and the response runs to its end. */
async function stopTrail(h: SandboxHarness, caller: Parameters<typeof actAs>[1]): Promise<string> {
  const before = adminAlerts(h).length;
  await actAs(h, caller, 'cloudtrail', 'StopLogging', { Name: TRAIL });
  await settle(h);
  const alerts = adminAlerts(h);
  expect(alerts).toHaveLength(before + 1);
  return alerts[alerts.length - 1] as string;
}

describe('respond-to-tampering on the sandbox', () => {
  let h: SandboxHarness;

  beforeAll(async () => {
    h = await openTamperWorld();
    givenOperatorRole(h, MEMBER);
  });

  it('an IAM user stopping the trail the first time: logging restored, recorded once, alerted, not contained', async () => {
    expect(trailLogging(h, MEMBER)).toBe(true);
    const alert = await stopTrail(h, mallory);
    expect(trailLogging(h, MEMBER)).toBe(true);
    expect((await incidents(h))[MALLORY]).toMatchObject({
      count: 1,
      lastEventName: 'StopLogging',
      lastAccount: MEMBER,
    });
    expect(alert).toContain(`Who:   IAM user mallory (${MALLORY})`);
    expect(alert).toContain(`Where: account ${MEMBER}, region ${REGION}`);
    expect(alert).toContain('Restored:  trail StackFleet-baseline logging again (StartLogging)');
    expect(alert).toContain('Contained: nothing: first offence (1 incident): recorded, not contained');
    expect(alert).toContain('Incidents for this principal: 1');
    expect(inlinePolicy(h, MEMBER, 'user', 'mallory', 'StackFleetContainment')).toBeUndefined();
    await expect(actAs(h, mallory, 'cloudtrail', 'GetTrailStatus', { Name: TRAIL })).resolves.toMatchObject({
      IsLogging: true,
    });
  });

  it('the same IAM user again: contained with a deny-all policy that refuses its next call', async () => {
    const alert = await stopTrail(h, mallory);
    expect(trailLogging(h, MEMBER)).toBe(true);
    expect((await incidents(h))[MALLORY]?.count).toBe(2);
    expect(alert).toContain('Contained: deny-all policy StackFleetContainment on IAM user mallory');
    expect(alert).toContain('Incidents for this principal: 2');
    expect(
      JSON.parse(inlinePolicy(h, MEMBER, 'user', 'mallory', 'StackFleetContainment') ?? '{}'),
    ).toMatchObject({
      Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
    });
    await expect(actAs(h, mallory, 'cloudtrail', 'GetTrailStatus', { Name: TRAIL })).rejects.toThrow(
      /with an explicit deny in an identity-based policy/,
    );
  });

  it("an assumed-role session, the second time: the role's sessions issued before now are revoked, new ones work", async () => {
    const operator = `arn:aws:iam::${MEMBER}:role/Operator`;
    const session = sessionOf(h, MEMBER, 'Operator', 'ops');
    await stopTrail(h, session);
    expect(inlinePolicy(h, MEMBER, 'role', 'Operator', 'AWSRevokeOlderSessions')).toBeUndefined();
    const alert = await stopTrail(h, session);
    expect(trailLogging(h, MEMBER)).toBe(true);
    // Incidents of a role's sessions are counted on the role (the session issuer).
    expect((await incidents(h))[operator]?.count).toBe(2);
    expect(alert).toContain('AWSRevokeOlderSessions on role Operator');
    expect(
      JSON.parse(inlinePolicy(h, MEMBER, 'role', 'Operator', 'AWSRevokeOlderSessions') ?? '{}'),
    ).toMatchObject({
      Statement: [
        { Effect: 'Deny', Condition: { DateLessThan: { 'aws:TokenIssueTime': expect.any(String) } } },
      ],
    });
    await expect(actAs(h, session, 'cloudtrail', 'GetTrailStatus', { Name: TRAIL })).rejects.toThrow(
      /explicit deny/,
    );
    // A session issued after the revocation is not denied (AWS's documented behaviour).
    await h.virtual(() => new Promise((resolve) => setTimeout(resolve, 60_000)));
    const fresh = sessionOf(h, MEMBER, 'Operator', 'ops-later');
    await expect(actAs(h, fresh, 'cloudtrail', 'GetTrailStatus', { Name: TRAIL })).resolves.toMatchObject({
      IsLogging: true,
    });
  });

  it('the root user: logging restored and alerted every time, never contained, saying why', async () => {
    await stopTrail(h, rootOf(MEMBER));
    const alert = await stopTrail(h, rootOf(MEMBER));
    expect(trailLogging(h, MEMBER)).toBe(true);
    expect((await incidents(h))[`arn:aws:iam::${MEMBER}:root`]?.count).toBe(2);
    expect(alert).toContain(
      'Contained: nothing: the root user cannot be contained by a policy: alerted instead',
    );
  });

  it('a stackfleet role: restored and alerted, never contained even on a repeat, so the response does not cut off stackfleet', async () => {
    const cfnRole = sessionOf(h, MEMBER, 'StackFleetCloudFormation', 'tamper-test');
    await stopTrail(h, cfnRole);
    const alert = await stopTrail(h, cfnRole);
    expect(trailLogging(h, MEMBER)).toBe(true);
    expect(alert).toContain(
      'Contained: nothing: StackFleetCloudFormation is a stackfleet role: never contained',
    );
    expect(
      inlinePolicy(h, MEMBER, 'role', 'StackFleetCloudFormation', 'AWSRevokeOlderSessions'),
    ).toBeUndefined();
  });

  it('the same event delivered twice to the response: one incident, one alert', async () => {
    const runtime = eventsRuntime(h.sandbox.world);
    // EventBridge delivers at least once: the admin rule's target gets this event twice.
    runtime.duplicate = (_event, rule) => rule.accountId === ADMIN;
    const executionsBefore = responseExecutions(h).length;
    try {
      await stopTrail(h, rootOf(OTHER_MEMBER));
    } finally {
      delete runtime.duplicate;
    }
    const runs = responseExecutions(h).slice(0, responseExecutions(h).length - executionsBefore);
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    const incident = (await incidents(h))[`arn:aws:iam::${OTHER_MEMBER}:root`];
    expect(incident?.count).toBe(1);
    expect(incident?.eventIds).toHaveLength(1);
    expect(trailLogging(h, OTHER_MEMBER)).toBe(true);
  });

  it('the trail deleted: the baseline is repaired through drift-target and the trail logs again, nothing else changed', async () => {
    const before = adminAlerts(h).length;
    await actAs(h, rootOf(OTHER_MEMBER), 'cloudtrail', 'DeleteTrail', { Name: TRAIL });
    await settle(h);
    expect(trailExists(h, OTHER_MEMBER)).toBe(true);
    expect(trailLogging(h, OTHER_MEMBER)).toBe(true);
    const alert = adminAlerts(h).slice(before).join('\n');
    expect(alert).toContain('What:  DeleteTrail on trail StackFleet-baseline');
    expect(alert).toMatch(
      /Restored: {2}trail StackFleet-baseline is gone: redeploying the baseline \(template version .+\)/,
    );
    expect(alert).not.toContain('Could not be done');
    // Still forwarding to the admin account: the repair kept the stack's parameters.
    const again = await stopTrail(h, rootOf(OTHER_MEMBER));
    expect(again).toContain('What:  StopLogging on trail StackFleet-baseline');
    expect(trailLogging(h, OTHER_MEMBER)).toBe(true);
  });

  it('the responder role missing in the account: the alert names what could not be done, and why', async () => {
    // The operator withdrew templates/tamper-responder.yaml from the account.
    await h.virtual(async () => {
      const sts = awsClients.sts({ region: REGION });
      const assumed = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`,
          RoleSessionName: 'withdraw-responder',
        }),
      );
      const c = assumed.Credentials;
      await awsClients
        .cloudFormation({
          region: REGION,
          credentials: {
            accessKeyId: c?.AccessKeyId as string,
            secretAccessKey: c?.SecretAccessKey as string,
            sessionToken: c?.SessionToken as string,
          },
        })
        .send(new DeleteStackCommand({ StackName: TAMPER_RESPONDER_STACK_NAME }));
      // The stack's deletion takes effect in virtual time.
      await new Promise((resolve) => setTimeout(resolve, 3_600_000));
    });
    const alert = await stopTrail(h, rootOf(MEMBER));
    expect(trailLogging(h, MEMBER)).toBe(false);
    expect(alert).toContain('Restored:  nothing (see below)');
    expect(alert).toContain('Could not be done:');
    expect(alert).toMatch(
      new RegExp(
        `Restore logging: .*not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${MEMBER}:role/StackFleetTamperResponder`,
      ),
    );
    // Still recorded: the table is in the admin account.
    expect((await incidents(h))[`arn:aws:iam::${MEMBER}:root`]?.count).toBe(3);
  });
});

describe('respond-to-tampering with containment off', () => {
  it('restores, records and alerts a repeat offender, and contains nothing, saying so', async () => {
    const h = await openTamperWorld({ tamperResponse: { containment: 'off' } });
    await stopTrail(h, mallory);
    const alert = await stopTrail(h, mallory);
    expect(trailLogging(h, MEMBER)).toBe(true);
    expect((await incidents(h))[MALLORY]?.count).toBe(2);
    expect(alert).toContain('Contained: nothing: containment is off');
    expect(inlinePolicy(h, MEMBER, 'user', 'mallory', 'StackFleetContainment')).toBeUndefined();
    await expect(actAs(h, mallory, 'cloudtrail', 'GetTrailStatus', { Name: TRAIL })).resolves.toBeDefined();
  });
});

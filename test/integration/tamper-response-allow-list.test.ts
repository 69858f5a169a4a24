/**
 * The containment allow-list (issue 16: "never contain ... principals on an allow-list (alert
 * instead, saying why)"): the scenario's `tamperResponse.allowList` becomes the admin stack's CDK
 * context `containmentAllowList`, which the deployed respond-to-tampering passes to "Record the
 * incident". Through the real event path, with containment `always`: an allow-listed IAM user is
 * restored, recorded and alerted with the entry that matched, and never contained; a user not on
 * the list is contained.
 */
import type { SandboxHarness } from '../helpers/sandbox-harness';
import { adminAlerts, incidents, inlinePolicy, trailLogging } from '../helpers/tamper-response';
import { actAs, MEMBER, mallory, openTamperWorld, settle, TRAIL } from '../helpers/tamper-world';

const MALLORY = `arn:aws:iam::${MEMBER}:user/mallory`;
const carol = {
  accountId: MEMBER,
  accessKeyId: 'AKIACAROL',
  arn: `arn:aws:iam::${MEMBER}:user/carol`,
  userName: 'carol',
};

async function stopTrail(h: SandboxHarness, caller: typeof mallory): Promise<string> {
  const before = adminAlerts(h).length;
  await actAs(h, caller, 'cloudtrail', 'StopLogging', { Name: TRAIL });
  await settle(h);
  const alerts = adminAlerts(h).slice(before);
  expect(alerts).toHaveLength(1);
  return alerts[0] as string;
}

describe('respond-to-tampering with an allow-list', () => {
  let h: SandboxHarness;

  beforeAll(async () => {
    h = await openTamperWorld({
      tamperResponse: { containment: 'always', allowList: ['arn:aws:iam::*:user/mall*'] },
      accessKeys: [
        {
          accessKeyId: 'AKIAMALLORY',
          secretAccessKey: 'mallory-secret',
          accountId: MEMBER,
          userName: 'mallory',
          policy: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'cloudtrail:*', Resource: '*' }],
          },
        },
        {
          accessKeyId: 'AKIACAROL',
          secretAccessKey: 'carol-secret',
          accountId: MEMBER,
          userName: 'carol',
          policy: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'cloudtrail:*', Resource: '*' }],
          },
        },
      ],
    } as never);
  });

  it('an allow-listed user is restored, recorded and alerted with the reason, never contained', async () => {
    await stopTrail(h, mallory);
    const alert = await stopTrail(h, mallory);
    expect(trailLogging(h, MEMBER)).toBe(true);
    expect((await incidents(h))[MALLORY]?.count).toBe(2);
    expect(alert).toContain(
      'Contained: nothing: on the allow-list (arn:aws:iam::*:user/mall*): alerted, never contained',
    );
    expect(inlinePolicy(h, MEMBER, 'user', 'mallory', 'StackFleetContainment')).toBeUndefined();
    await expect(actAs(h, mallory, 'cloudtrail', 'GetTrailStatus', { Name: TRAIL })).resolves.toMatchObject({
      IsLogging: true,
    });
  });

  it('a user not on the list is contained at once (containment always)', async () => {
    const alert = await stopTrail(h, carol);
    expect(alert).toContain('Contained: deny-all policy StackFleetContainment on IAM user carol');
    await expect(actAs(h, carol, 'cloudtrail', 'GetTrailStatus', { Name: TRAIL })).rejects.toThrow(
      /explicit deny/,
    );
  });
});

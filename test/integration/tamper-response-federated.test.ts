/**
 * A federated user stops the trail (issue 16, "What it must show": "a federated user"), through the
 * real path: an IAM user calls STS GetFederationToken with its long-term keys and a session policy;
 * the federated session (arn:aws:sts::A:federated-user/NAME) calls StopLogging over the wire;
 * CloudTrail records a FederatedUser userIdentity whose sessionContext.sessionIssuer is the IAM
 * user; the response restores logging, counts the incident on the issuing user and alerts. On a
 * repeat it puts the deny-all on the issuing IAM user: a federated session's permissions are the
 * intersection of the user's identity-based policies and the session policy (IAM User Guide,
 * id_credentials_temp_control-access_getfederationtoken), so that deny refuses the session too.
 */
import { GetTrailStatusCommand, StopLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { GetFederationTokenCommand } from '@aws-sdk/client-sts';
import { awsClients } from '../../src/aws/clients';
import { readSnsMessages } from '../../src/sandbox/services/sns';
import type { SandboxHarness } from '../helpers/sandbox-harness';
import { adminAlerts, incidents, inlinePolicy, trailLogging } from '../helpers/tamper-response';
import { MEMBER, openTamperWorld, REGION, settle, TRAIL } from '../helpers/tamper-world';

const CAROL = `arn:aws:iam::${MEMBER}:user/carol`;
const carolKeys = { accessKeyId: 'AKIACAROL', secretAccessKey: 'carol-secret' };
type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken: string };

async function federate(h: SandboxHarness, name: string): Promise<Credentials> {
  const out = await h.virtual(() =>
    awsClients.sts({ region: REGION, credentials: carolKeys }).send(
      new GetFederationTokenCommand({
        Name: name,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'cloudtrail:*', Resource: '*' }],
        }),
      }),
    ),
  );
  expect(out.FederatedUser?.Arn).toBe(`arn:aws:sts::${MEMBER}:federated-user/${name}`);
  return {
    accessKeyId: out.Credentials?.AccessKeyId as string,
    secretAccessKey: out.Credentials?.SecretAccessKey as string,
    sessionToken: out.Credentials?.SessionToken as string,
  };
}

function trailCalls(credentials: Credentials) {
  return awsClients.cloudTrail({ region: REGION, credentials });
}

async function stopAs(h: SandboxHarness, credentials: Credentials): Promise<string> {
  const before = adminAlerts(h).length;
  await h.virtual(() => trailCalls(credentials).send(new StopLoggingCommand({ Name: TRAIL })));
  await settle(h);
  const alerts = adminAlerts(h).slice(before);
  expect(alerts).toHaveLength(1);
  return alerts[0] as string;
}

describe('respond-to-tampering: a federated user (GetFederationToken)', () => {
  let h: SandboxHarness;
  let session: Credentials;

  beforeAll(async () => {
    h = await openTamperWorld({
      accessKeys: [
        {
          ...carolKeys,
          accountId: MEMBER,
          userName: 'carol',
          policy: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: ['cloudtrail:*', 'sts:GetFederationToken'], Resource: '*' },
            ],
          },
        },
      ],
    } as never);
    session = await federate(h, 'contractor');
  });

  it('the first time: logging restored, the incident counted on the issuing IAM user, alerted, not contained', async () => {
    const alert = await stopAs(h, session);
    expect(trailLogging(h, MEMBER)).toBe(true);
    expect(alert).toContain('Who:   federated user contractor issued by IAM user carol');
    expect(alert).toContain('Contained: nothing: first offence (1 incident): recorded, not contained');
    expect((await incidents(h))[CAROL]).toMatchObject({ count: 1, lastEventName: 'StopLogging' });
    // CloudTrail's FederatedUser shape: the session's ARN, the IAM user as the session issuer.
    // The member's own alerts topic receives the raw event (the baseline rule's SecurityAlerts target).
    const recorded = readSnsMessages(h.sandbox.world)
      .filter((m) => m.topicArn.includes(`:${MEMBER}:`))
      .map((m) => JSON.parse(m.message))
      .find((e) => e.detail?.eventName === 'StopLogging');
    expect(recorded?.detail.userIdentity).toMatchObject({
      type: 'FederatedUser',
      arn: `arn:aws:sts::${MEMBER}:federated-user/contractor`,
      principalId: `${MEMBER}:contractor`,
      sessionContext: { sessionIssuer: { type: 'IAMUser', arn: CAROL, userName: 'carol' } },
    });
  });

  it('again: the deny-all on the issuing user also refuses the federated session and the user', async () => {
    const alert = await stopAs(h, session);
    expect(trailLogging(h, MEMBER)).toBe(true);
    expect((await incidents(h))[CAROL]?.count).toBe(2);
    expect(alert).toContain('Contained: deny-all policy StackFleetContainment on IAM user carol');
    expect(inlinePolicy(h, MEMBER, 'user', 'carol', 'StackFleetContainment')).toBeDefined();
    await expect(
      h.virtual(() => trailCalls(session).send(new GetTrailStatusCommand({ Name: TRAIL }))),
    ).rejects.toThrow(
      /federated-user\/contractor is not authorized .* with an explicit deny in an identity-based policy/,
    );
    await expect(
      h.virtual(() => trailCalls(carolKeys as Credentials).send(new GetTrailStatusCommand({ Name: TRAIL }))),
    ).rejects.toThrow(/explicit deny/);
  });
});

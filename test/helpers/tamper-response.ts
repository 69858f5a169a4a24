/**
 * What the tamper-response tests read of the world afterwards: the trail's logging state, the
 * incidents in the admin account's table (read with the real DynamoDB client as the admin root),
 * the readable alerts on the admin topic, the inline policies the response put on a principal, and
 * the response's executions. Plus the callers a scenario does not define (a role session, a
 * member's root).
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { awsClients } from '../../src/aws/clients';
import { type IncidentSummary, incidentOf } from '../../src/core/tamper/incident';
import { findRole, findUser, iamSection, putRole } from '../../src/sandbox/iam/state';
import { cloudTrailSection } from '../../src/sandbox/services/cloudtrail/state';
import { readSnsMessages } from '../../src/sandbox/services/sns';
import type { Caller } from '../../src/sandbox/types';
import type { SandboxHarness } from './sandbox-harness';
import { REGION, TRAIL } from './tamper-world';

export function trailLogging(h: SandboxHarness, accountId: string): boolean | undefined {
  return Object.values(cloudTrailSection(h.sandbox.world).trails).find(
    (t) => t.accountId === accountId && t.name === TRAIL,
  )?.isLogging;
}

export function trailExists(h: SandboxHarness, accountId: string): boolean {
  return Object.values(cloudTrailSection(h.sandbox.world).trails).some(
    (t) => t.accountId === accountId && t.name === TRAIL,
  );
}

/** Every incident of the admin account's table, by principal key. */
export async function incidents(
  h: SandboxHarness,
): Promise<Record<string, IncidentSummary & { eventIds: string[] }>> {
  const out = await h.virtual(() =>
    awsClients
      .dynamodb({ region: REGION })
      .send(new ScanCommand({ TableName: h.admin?.incidentTableName as string })),
  );
  return Object.fromEntries(
    (out.Items ?? []).map((item) => {
      const summary = incidentOf(item as never);
      return [summary.principal, { ...summary, eventIds: item.eventIds?.SS ?? [] }];
    }),
  );
}

/** The messages on the admin account's notification topic (the response's alerts). */
export function adminAlerts(h: SandboxHarness): string[] {
  return readSnsMessages(h.sandbox.world, h.admin?.topicArn).map((m) => m.message);
}

export function inlinePolicy(
  h: SandboxHarness,
  accountId: string,
  kind: 'user' | 'role',
  name: string,
  policy: string,
): string | undefined {
  const section = iamSection(h.sandbox.world);
  if (kind === 'role') return findRole(section, accountId, name)?.inlinePolicies[policy];
  return findUser(section, accountId, name)?.inlinePolicies[policy];
}

export function responseExecutions(h: SandboxHarness) {
  return h.engine.listExecutions({ stateMachineArn: h.admin?.respondToTamperingStateMachineArn as string });
}

/** A role `Operator` in the account that may manage CloudTrail (someone's operator role). */
export function givenOperatorRole(h: SandboxHarness, accountId: string): void {
  putRole(iamSection(h.sandbox.world), {
    accountId,
    name: 'Operator',
    trustPolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'sts:AssumeRole' },
      ],
    }),
    inlinePolicies: {
      ops: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['cloudtrail:*'], Resource: '*' }],
      }),
    },
    now: h.sandbox.world.now(),
  });
}

/** A session of a role as STS issues it now (`aws:TokenIssueTime` is its issue time). */
export function sessionOf(
  h: SandboxHarness,
  accountId: string,
  roleName: string,
  sessionName: string,
): Caller {
  return {
    accountId,
    accessKeyId: `ASIA${roleName
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '')
      .slice(0, 8)}${sessionName
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '')
      .slice(0, 8)}`,
    arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
    roleName,
    sessionName,
    issuedAt: h.sandbox.world.now(),
  };
}

export function rootOf(accountId: string): Caller {
  return { accountId, accessKeyId: `root-${accountId}`, arn: `arn:aws:iam::${accountId}:root` };
}

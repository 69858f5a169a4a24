import { assumeExecutionRole } from '../src/aws/assume-role';
import { tamperAws } from '../src/aws/tamper-clients';
import { type ContainmentDecision, containmentPolicy } from '../src/core/tamper/containment';

/**
 * "Contain the principal": as the responder role in the principal's account, puts the inline
 * deny-all policy on an IAM user, or AWS's AWSRevokeOlderSessions policy (a deny on
 * aws:TokenIssueTime before now) on a role; see src/core/tamper/containment.ts.
 */
interface ContainInput {
  decision: ContainmentDecision;
  responderRoleName: string;
  region: string;
  externalId?: string;
}

export async function handler(input: ContainInput) {
  const { decision } = input;
  const policy = containmentPolicy(decision, new Date().toISOString());
  if (!policy || decision.action === 'none') return { contained: `nothing: ${decision.reason}` };
  const credentials = await assumeExecutionRole({
    accountId: decision.accountId,
    roleName: input.responderRoleName,
    rolloutId: 'tamper-response',
    region: input.region,
    ...(input.externalId ? { externalId: input.externalId } : {}),
  });
  const at = { region: input.region, credentials };
  if (decision.action === 'deny-user') {
    await tamperAws.putUserPolicy(at, decision.userName, policy.name, policy.document);
    return {
      contained: `deny-all policy ${policy.name} on IAM user ${decision.userName} (${decision.reason})`,
    };
  }
  await tamperAws.putRolePolicy(at, decision.roleName, policy.name, policy.document);
  return {
    contained: `${policy.name} on role ${decision.roleName}: its sessions issued before now are revoked (${decision.reason})`,
  };
}

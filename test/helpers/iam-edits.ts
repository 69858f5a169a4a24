/**
 * Edits of real IAM resources in a sandbox world, as someone with IAM access would make them by
 * hand between two rollouts (the sandbox has no IAM API; roles come from stacks).
 */
import { findRole, iamSection, touch } from '../../src/sandbox/iam/state';
import type { SandboxWorld } from '../../src/sandbox/types';

/**
 * Closes a role's trust: its trust policy gains an explicit Deny of AssumeRole (and of the
 * session extras stackfleet asks for) to everyone, so every later AssumeRole is refused with
 * AccessDenied (IAM User Guide, policy evaluation: an explicit deny overrides any allow).
 */
export function closeRoleTrust(world: SandboxWorld, accountId: string, roleName: string): void {
  const section = iamSection(world);
  const role = findRole(section, accountId, roleName);
  if (!role) throw new Error(`closeRoleTrust: account ${accountId} has no role named ${roleName}`);
  const trust = JSON.parse(role.trustPolicy) as { Statement: unknown[] };
  trust.Statement.push({
    Sid: 'ClosedByHand',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
  });
  role.trustPolicy = JSON.stringify(trust);
  touch(section);
}

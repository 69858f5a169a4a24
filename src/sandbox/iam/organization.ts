/**
 * What IAM needs of the organisation, from the Organizations emulator: the organisation id of an
 * account (`aws:PrincipalOrgID`, `aws:ResourceOrgID`) and the service control policies that apply to
 * it, by level (root, each OU down, the account). The management account and accounts outside the
 * organisation get none (Organizations User Guide, orgs_manage_policies_scps: "SCPs don't affect
 * users or roles in the management account").
 */
export { organizationIdOf, serviceControlPoliciesFor as scpLevelsFor } from '../services/organizations';

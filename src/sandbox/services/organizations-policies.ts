/**
 * Service control policies of the scenario's organisation, read through the Organizations API
 * (ListPolicies, DescribePolicy, ListPoliciesForTarget, ListTargetsForPolicy) and handed to the
 * IAM evaluation by level (`serviceControlPoliciesFor`).
 *
 * With SCPs enabled AWS attaches its managed `FullAWSAccess` (p-FullAWSAccess) to the root, every
 * OU and every account, and keeps at least one SCP on each (AWS Organizations User Guide, "Service
 * control policies (SCPs)"); an action is allowed only if every level from the root down to the
 * account allows it, and SCPs never restrict the management account ("SCP evaluation").
 */
import type { PolicyDocument } from '../iam/types';
import type { Scenario, ScenarioPolicy } from '../scenario-types';
import { AwsError, type Operation, type SandboxWorld } from '../types';
import type { World } from '../world';
import { orgArns, page, readerWorld, requiredParam } from './organizations-common';

export const FULL_AWS_ACCESS_ID = 'p-FullAWSAccess';

/** The AWS managed FullAWSAccess SCP, as DescribePolicy returns it. */
export const FULL_AWS_ACCESS_CONTENT =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';

/** The policy types Organizations knows (ListPolicies' `Filter`); only SCPs are enabled here. */
const POLICY_TYPES = [
  'SERVICE_CONTROL_POLICY',
  'RESOURCE_CONTROL_POLICY',
  'TAG_POLICY',
  'BACKUP_POLICY',
  'AISERVICES_OPT_OUT_POLICY',
  'CHATBOT_POLICY',
  'DECLARATIVE_POLICY_EC2',
  'SECURITYHUB_POLICY',
] as const;

interface Attached {
  policy: ScenarioPolicy & { awsManaged: boolean };
  document: PolicyDocument;
}

/** Parsed SCPs per target id, computed once per scenario (scenarios do not change in a world). */
const attachmentsCache = new WeakMap<Scenario, Map<string, Attached[]>>();

function allPolicies(scenario: Scenario): Array<ScenarioPolicy & { awsManaged: boolean }> {
  const org = scenario.organization;
  const everyTarget = [org.rootId, ...org.ous.map((o) => o.id), ...org.accounts.map((a) => a.id)];
  return [
    {
      id: FULL_AWS_ACCESS_ID,
      name: 'FullAWSAccess',
      description: 'Allows access to every operation',
      type: 'SERVICE_CONTROL_POLICY',
      content: FULL_AWS_ACCESS_CONTENT,
      targets: org.fullAwsAccessTargets ?? everyTarget,
      awsManaged: true,
    },
    ...(org.policies ?? []).map((p) => ({ ...p, awsManaged: false })),
  ];
}

function attachments(scenario: Scenario): Map<string, Attached[]> {
  let byTarget = attachmentsCache.get(scenario);
  if (!byTarget) {
    byTarget = new Map();
    for (const policy of allPolicies(scenario)) {
      const document = JSON.parse(policy.content) as PolicyDocument;
      for (const target of policy.targets) {
        const list = byTarget.get(target) ?? [];
        list.push({ policy, document });
        byTarget.set(target, list);
      }
    }
    attachmentsCache.set(scenario, byTarget);
  }
  return byTarget;
}

/**
 * The SCP documents that apply to principals of `accountId`, by level: the root's, then each OU's
 * from the top down, then the account's own. Every level must allow an action. `[]` for the
 * management account (SCPs do not affect it) and for an account outside the organisation.
 */
export function serviceControlPoliciesFor(world: SandboxWorld, accountId: string): PolicyDocument[][] {
  const org = world.scenario.organization;
  const account = org.accounts.find((a) => a.id === accountId);
  if (!account || accountId === org.managementAccountId) return [];
  const chain: string[] = [];
  let at = account.parent ?? org.rootId;
  while (at !== org.rootId) {
    chain.unshift(at);
    const ou = org.ous.find((o) => o.id === at);
    at = ou?.parent ?? org.rootId;
  }
  const byTarget = attachments(world.scenario);
  return [org.rootId, ...chain, accountId].map((target) =>
    (byTarget.get(target) ?? []).map((a) => a.document),
  );
}

/** The organisation id of an account (`aws:PrincipalOrgID`, `aws:ResourceOrgID`), or undefined outside it. */
export function organizationIdOf(world: SandboxWorld, accountId: string): string | undefined {
  const org = world.scenario.organization;
  // The world's account map when there is one: this runs for every authorized request.
  const accounts = (world as { accounts?: ReadonlyMap<string, unknown> }).accounts;
  const member = accounts ? accounts.has(accountId) : org.accounts.some((a) => a.id === accountId);
  return member ? org.id : undefined;
}

function policyArn(world: World, policy: ScenarioPolicy & { awsManaged: boolean }): string {
  if (policy.awsManaged) return `arn:aws:organizations::aws:policy/service_control_policy/${policy.id}`;
  return `arn:aws:organizations::${world.managementAccountId}:policy/${world.scenario.organization.id}/service_control_policy/${policy.id}`;
}

function summary(world: World, policy: ScenarioPolicy & { awsManaged: boolean }) {
  return {
    Id: policy.id,
    Arn: policyArn(world, policy),
    Name: policy.name,
    Description: policy.description ?? '',
    Type: policy.type,
    AwsManaged: policy.awsManaged,
  };
}

function policyFilter(p: Record<string, unknown>): string {
  const filter = requiredParam(p, 'Filter', /^[A-Z0-9_]+$/);
  if (!(POLICY_TYPES as readonly string[]).includes(filter)) {
    throw new AwsError(
      'InvalidInputException',
      `1 validation error detected: Value '${filter}' at 'filter' failed to satisfy constraint: Member must satisfy enum value set: [${POLICY_TYPES.join(', ')}]`,
    );
  }
  return filter;
}

function findPolicy(world: World, p: Record<string, unknown>) {
  const id = requiredParam(p, 'PolicyId', /^p-[0-9a-zA-Z_]{8,128}$|^p-FullAWSAccess$/);
  const policy = allPolicies(world.scenario).find((x) => x.id === id);
  if (!policy)
    throw new AwsError(
      'PolicyNotFoundException',
      "We can't find a policy with the PolicyId that you specified.",
    );
  return policy;
}

function target(world: World, id: string) {
  const org = world.scenario.organization;
  if (id === org.rootId) return { TargetId: id, Arn: orgArns.root(world, id), Name: 'Root', Type: 'ROOT' };
  const ou = org.ous.find((o) => o.id === id);
  if (ou) return { TargetId: id, Arn: orgArns.ou(world, id), Name: ou.name, Type: 'ORGANIZATIONAL_UNIT' };
  const account = world.accounts.get(id);
  if (account) return { TargetId: id, Arn: orgArns.account(world, id), Name: account.name, Type: 'ACCOUNT' };
  return undefined;
}

export const policyOperations: Record<string, Operation> = {
  ListPolicies(p, ctx) {
    const world = readerWorld(ctx, 'ListPolicies');
    const filter = policyFilter(p);
    const policies = allPolicies(world.scenario)
      .filter((x) => x.type === filter)
      .map((x) => summary(world, x));
    const { page: items, NextToken } = page(policies, p, `ListPolicies:${filter}`);
    return { Policies: items, NextToken };
  },
  DescribePolicy(p, ctx) {
    const world = readerWorld(ctx, 'DescribePolicy');
    const policy = findPolicy(world, p);
    return { Policy: { PolicySummary: summary(world, policy), Content: policy.content } };
  },
  ListPoliciesForTarget(p, ctx) {
    const world = readerWorld(ctx, 'ListPoliciesForTarget');
    const id = requiredParam(
      p,
      'TargetId',
      /^(r-[0-9a-z]{4,32})|(\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/,
    );
    const filter = policyFilter(p);
    if (!target(world, id)) {
      throw new AwsError(
        'TargetNotFoundException',
        "We can't find a root, OU, account, or policy with the TargetId that you specified.",
      );
    }
    const policies = (attachments(world.scenario).get(id) ?? [])
      .filter((a) => a.policy.type === filter)
      .map((a) => summary(world, a.policy));
    const { page: items, NextToken } = page(policies, p, `ListPoliciesForTarget:${id}:${filter}`);
    return { Policies: items, NextToken };
  },
  ListTargetsForPolicy(p, ctx) {
    const world = readerWorld(ctx, 'ListTargetsForPolicy');
    const policy = findPolicy(world, p);
    const targets = policy.targets.flatMap((id) => {
      const t = target(world, id);
      return t ? [t] : [];
    });
    const { page: items, NextToken } = page(targets, p, `ListTargetsForPolicy:${policy.id}`);
    return { Targets: items, NextToken };
  },
};

/**
 * Bootstraps the organisation's member accounts as docs/real-aws.md tells an operator to: the
 * management account reaches each member through the role Organizations created there
 * (OrganizationAccountAccessRole) and deploys templates/execution-role.yaml as the stack
 * `StackFleetBootstrap` (and templates/tamper-responder.yaml as `StackFleetTamperResponder`, the
 * role the tamper response acts through), through the sandbox's CloudFormation with the real SDK. The execution
 * role stackfleet assumes is therefore the template's role, with the template's trust and
 * permissions. Scenario accounts marked `executionRole: missing` are left without it; `deny`
 * accounts get it with a trust policy someone later closed (an explicit Deny added).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { awsClients } from '../../aws/clients';
import { findRole, iamSection, putRole, touch } from '../iam/state';
import type { Scenario } from '../scenario-types';
import type { SandboxWorld } from '../types';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const BOOTSTRAP_STACK_NAME = 'StackFleetBootstrap';
/** The stack of templates/tamper-responder.yaml in each member (issue 16). */
export const TAMPER_RESPONDER_STACK_NAME = 'StackFleetTamperResponder';
export const ORGANIZATION_ACCESS_ROLE = 'OrganizationAccountAccessRole';

/**
 * The role AWS Organizations creates in an account it creates (Organizations User Guide,
 * orgs_manage_accounts_access: AdministratorAccess, trusted by the management account).
 */
export function seedOrganizationAccessRoles(world: SandboxWorld, now: number): void {
  const section = iamSection(world);
  const org = world.scenario.organization;
  for (const account of org.accounts) {
    if (account.id === org.managementAccountId) continue;
    if (findRole(section, account.id, ORGANIZATION_ACCESS_ROLE)) continue;
    putRole(section, {
      accountId: account.id,
      name: ORGANIZATION_ACCESS_ROLE,
      trustPolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${org.managementAccountId}:root` },
            Action: 'sts:AssumeRole',
          },
        ],
      }),
      managedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
      now,
    });
  }
}

/** Parameters of the bootstrap template for an account of a scenario. */
export function bootstrapParameters(
  scenario: Scenario,
  adminAccountId: string,
  accountId: string,
): Array<{ ParameterKey: string; ParameterValue: string }> {
  const params = [
    { ParameterKey: 'AdminAccountId', ParameterValue: adminAccountId },
    { ParameterKey: 'OrganizationId', ParameterValue: scenario.organization.id },
    { ParameterKey: 'RoleName', ParameterValue: scenario.executionRoleName },
  ];
  const externalId =
    scenario.organization.accounts.find((a) => a.id === accountId)?.externalId ?? scenario.externalId;
  if (externalId !== undefined) params.push({ ParameterKey: 'ExternalId', ParameterValue: externalId });
  return params;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Deploys the bootstrap into every member account that should have it and waits for the stacks.
 * `region` is where the bootstrap stacks live (IAM is global: one region per account is enough).
 */
export async function bootstrapMemberAccounts(
  world: SandboxWorld,
  options: {
    adminAccountId: string;
    region: string;
    managementCredentials: { accessKeyId: string; secretAccessKey: string };
    concurrency?: number;
  },
): Promise<void> {
  const scenario = world.scenario;
  const body = readFileSync(resolve(REPO_ROOT, 'templates', 'execution-role.yaml'), 'utf8');
  const responder = readFileSync(resolve(REPO_ROOT, 'templates', 'tamper-responder.yaml'), 'utf8');
  const members = scenario.organization.accounts.filter(
    (a) => a.id !== scenario.organization.managementAccountId && (a.executionRole ?? 'present') !== 'missing',
  );
  const sts = awsClients.sts({ region: options.region, credentials: options.managementCredentials });
  const limit = options.concurrency ?? 50;
  const deployed: Array<{
    accountId: string;
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
    stackName: string;
  }> = [];
  for (let i = 0; i < members.length; i += limit) {
    await Promise.all(
      members.slice(i, i + limit).map(async (account) => {
        const assumed = await sts.send(
          new AssumeRoleCommand({
            RoleArn: `arn:aws:iam::${account.id}:role/${ORGANIZATION_ACCESS_ROLE}`,
            RoleSessionName: 'stackfleet-bootstrap',
          }),
        );
        const c = assumed.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken)
          throw new Error(`no credentials for ${account.id}`);
        const credentials = {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
        };
        const cfn = awsClients.cloudFormation({ region: options.region, credentials });
        const stacks = [
          {
            StackName: BOOTSTRAP_STACK_NAME,
            TemplateBody: body,
            Parameters: bootstrapParameters(scenario, options.adminAccountId, account.id),
          },
        ];
        // The tamper response's role, a template of its own (docs: the operator deploys both).
        if ((account.tamperResponder ?? 'present') === 'present')
          stacks.push({
            StackName: TAMPER_RESPONDER_STACK_NAME,
            TemplateBody: responder,
            Parameters: [
              { ParameterKey: 'AdminAccountId', ParameterValue: options.adminAccountId },
              { ParameterKey: 'OrganizationId', ParameterValue: scenario.organization.id },
            ],
          });
        for (const stack of stacks) {
          try {
            await cfn.send(new CreateStackCommand({ ...stack, Capabilities: ['CAPABILITY_NAMED_IAM'] }));
          } catch (error) {
            if ((error as { name?: string }).name !== 'AlreadyExistsException') throw error;
          }
          deployed.push({ accountId: account.id, credentials, stackName: stack.StackName });
        }
      }),
    );
  }
  // Wait for every stack to settle (minutes of virtual time under the sandbox clock).
  for (const { accountId, credentials, stackName } of deployed) {
    const cfn = awsClients.cloudFormation({ region: options.region, credentials });
    for (;;) {
      const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
      const status = out.Stacks?.[0]?.StackStatus ?? '';
      if (status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE') break;
      if (/(FAILED|ROLLBACK_COMPLETE)$/.test(status)) {
        throw new Error(
          `The bootstrap stack ${stackName} in ${accountId} did not deploy: ${status} ${out.Stacks?.[0]?.StackStatusReason ?? ''}`,
        );
      }
      await sleep(15_000);
    }
  }
  closeDeniedTrusts(world);
}

/** `executionRole: deny` accounts: the role exists, but its trust policy now ends with an explicit Deny. */
function closeDeniedTrusts(world: SandboxWorld): void {
  const section = iamSection(world);
  for (const account of world.scenario.organization.accounts) {
    if (account.executionRole !== 'deny') continue;
    const role = findRole(section, account.id, world.scenario.executionRoleName);
    if (!role) continue;
    const trust = JSON.parse(role.trustPolicy) as { Statement: unknown[] };
    trust.Statement.push({
      Sid: 'ClosedByScenario',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
    });
    role.trustPolicy = JSON.stringify(trust);
    touch(section, account.id);
  }
}

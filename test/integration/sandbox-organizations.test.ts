/**
 * Organizations in the sandbox answers who may read the organisation as AWS does: any member may
 * DescribeOrganization; the list and describe calls the planner makes answer only the management
 * account and delegated administrators (registered for a service, or allowed by the
 * resource-based delegation policy); SCPs are there to read, FullAWSAccess everywhere by default.
 * Driven through the real SDK client, with member accounts signing with scenario access keys.
 */
import {
  DeleteResourcePolicyCommand,
  DeregisterDelegatedAdministratorCommand,
  DescribeAccountCommand,
  DescribeOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  DescribeResourcePolicyCommand,
  EnableAWSServiceAccessCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListChildrenCommand,
  ListDelegatedAdministratorsCommand,
  ListDelegatedServicesForAccountCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListPoliciesCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
  PutResourcePolicyCommand,
  RegisterDelegatedAdministratorCommand,
} from '@aws-sdk/client-organizations';
import type { PolicyDocument } from '../../src/sandbox/iam/types';
import { Sandbox } from '../../src/sandbox/sandbox';
import { validateScenario } from '../../src/sandbox/scenario';
import { organizationIdOf, serviceControlPoliciesFor } from '../../src/sandbox/services/organizations';

const MANAGEMENT = '111111111111';
const AUDIT = '222222222222';
const APP = '333333333333';
const TOOLING = '555555555555';
const STACKSETS = 'member.org.stacksets.cloudformation.amazonaws.com';
const DENIED = "You don't have permissions to access this resource.";

const scenario = (organization: Record<string, unknown> = {}) =>
  validateScenario({
    organization: {
      id: 'o-orgtest001',
      rootId: 'r-or01',
      managementAccountId: MANAGEMENT,
      ous: [
        { id: 'ou-or01-security', name: 'Security' },
        { id: 'ou-or01-workload', name: 'Workloads' },
        { id: 'ou-or01-prod0000', name: 'Prod', parent: 'ou-or01-workload' },
      ],
      accounts: [
        { id: MANAGEMENT, name: 'management' },
        { id: AUDIT, name: 'audit', parent: 'ou-or01-security' },
        { id: APP, name: 'app', parent: 'ou-or01-prod0000' },
        { id: TOOLING, name: 'tooling', parent: 'ou-or01-security' },
      ],
      ...organization,
    },
    regions: ['us-east-1'],
    accessKeys: [
      { accessKeyId: 'AUDITKEY', secretAccessKey: 'audit-secret', accountId: AUDIT },
      { accessKeyId: 'APPKEY', secretAccessKey: 'app-secret', accountId: APP },
      { accessKeyId: 'TOOLINGKEY', secretAccessKey: 'tooling-secret', accountId: TOOLING },
    ],
  });

async function open(organization?: Record<string, unknown>) {
  const sandbox = await Sandbox.open({ stateDir: null, scenario: scenario(organization) });
  const client = (accessKeyId: string, secretAccessKey: string) =>
    new OrganizationsClient({
      region: 'us-east-1',
      credentials: { accessKeyId, secretAccessKey },
      requestHandler: sandbox.requestHandler(),
      maxAttempts: 1,
    });
  return {
    sandbox,
    management: client('test', 'test'),
    audit: client('AUDITKEY', 'audit-secret'),
    app: client('APPKEY', 'app-secret'),
    tooling: client('TOOLINGKEY', 'tooling-secret'),
  };
}

async function failure(promise: Promise<unknown>): Promise<Error & { Reason?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { Reason?: string };
  }
  throw new Error('expected the call to fail');
}

/** The read calls the planner and `stackfleet` make, as a member would send them. */
const reads = [
  new ListAccountsCommand({}),
  new ListRootsCommand({}),
  new ListOrganizationalUnitsForParentCommand({ ParentId: 'r-or01' }),
  new ListAccountsForParentCommand({ ParentId: 'ou-or01-prod0000' }),
  new ListChildrenCommand({ ParentId: 'r-or01', ChildType: 'ORGANIZATIONAL_UNIT' }),
  new ListParentsCommand({ ChildId: APP }),
  new DescribeAccountCommand({ AccountId: APP }),
  new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: 'ou-or01-prod0000' }),
  new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' }),
  new ListPoliciesForTargetCommand({ TargetId: APP, Filter: 'SERVICE_CONTROL_POLICY' }),
  new ListDelegatedAdministratorsCommand({}),
];

test('any member account may DescribeOrganization (API Reference: "from any account in the organization")', async () => {
  const h = await open();
  const described = await h.app.send(new DescribeOrganizationCommand({}));
  expect(described.Organization).toMatchObject({
    Id: 'o-orgtest001',
    MasterAccountId: MANAGEMENT,
    FeatureSet: 'ALL',
  });
});

test('a member that is no delegated administrator is refused every list and describe call', async () => {
  const h = await open();
  for (const command of reads) {
    // biome-ignore lint/suspicious/noExplicitAny: one loop over commands of different shapes
    const error = await failure(h.app.send(command as any));
    expect({ command: command.constructor.name, name: error.name, message: error.message }).toEqual({
      command: command.constructor.name,
      name: 'AccessDeniedException',
      message: DENIED,
    });
  }
});

test('RegisterDelegatedAdministrator follows AWS: management only, service access first, no duplicates, members only', async () => {
  const h = await open();
  const register = (AccountId: string, ServicePrincipal = STACKSETS) =>
    new RegisterDelegatedAdministratorCommand({ AccountId, ServicePrincipal });

  expect(await failure(h.audit.send(register(AUDIT)))).toMatchObject({
    name: 'AccessDeniedException',
    message: DENIED,
  });
  expect(await failure(h.management.send(register(AUDIT)))).toMatchObject({
    name: 'ConstraintViolationException',
    Reason: 'SERVICE_ACCESS_NOT_ENABLED',
  });
  await h.management.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: STACKSETS }));
  expect(await failure(h.management.send(register(MANAGEMENT)))).toMatchObject({
    name: 'ConstraintViolationException',
    Reason: 'CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR',
    message:
      'You cannot register management account/yourself as delegated administrator for your organization.',
  });
  expect(await failure(h.management.send(register(AUDIT, 'stackfleet.example.com')))).toMatchObject({
    name: 'InvalidInputException',
    Reason: 'UNRECOGNIZED_SERVICE_PRINCIPAL',
  });
  expect(await failure(h.management.send(register('999999999999')))).toMatchObject({
    name: 'AccountNotFoundException',
  });

  await h.management.send(register(AUDIT));
  expect(await failure(h.management.send(register(AUDIT)))).toMatchObject({
    name: 'AccountAlreadyRegisteredException',
  });

  // Now the audit account reads the organisation like the management account does ...
  for (const command of reads) {
    // biome-ignore lint/suspicious/noExplicitAny: one loop over commands of different shapes
    await expect(h.audit.send(command as any)).resolves.toBeDefined();
  }
  const admins = await h.audit.send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: STACKSETS }));
  expect(admins.DelegatedAdministrators?.map((a) => [a.Id, a.Name])).toEqual([[AUDIT, 'audit']]);
  const services = await h.management.send(new ListDelegatedServicesForAccountCommand({ AccountId: AUDIT }));
  expect(services.DelegatedServices?.map((s) => s.ServicePrincipal)).toEqual([STACKSETS]);
  // ... while another member still cannot.
  expect((await failure(h.app.send(new ListAccountsCommand({})))).name).toBe('AccessDeniedException');

  await h.management.send(
    new DeregisterDelegatedAdministratorCommand({ AccountId: AUDIT, ServicePrincipal: STACKSETS }),
  );
  expect((await failure(h.audit.send(new ListAccountsCommand({})))).name).toBe('AccessDeniedException');
  expect(
    (
      await failure(
        h.management.send(
          new DeregisterDelegatedAdministratorCommand({ AccountId: AUDIT, ServicePrincipal: STACKSETS }),
        ),
      )
    ).name,
  ).toBe('AccountNotRegisteredException');
  expect(
    (await failure(h.management.send(new ListDelegatedServicesForAccountCommand({ AccountId: AUDIT })))).name,
  ).toBe('AccountNotRegisteredException');
});

test('scenario delegatedAdministrators are registered from the start, their service access enabled', async () => {
  const h = await open({
    delegatedAdministrators: [{ accountId: TOOLING, servicePrincipal: 'config.amazonaws.com' }],
  });
  const accounts = await h.tooling.send(new ListAccountsCommand({}));
  expect(accounts.Accounts?.map((a) => a.Id).sort()).toEqual([MANAGEMENT, AUDIT, APP, TOOLING].sort());
  const access = await h.tooling.send(new ListAWSServiceAccessForOrganizationCommand({}));
  expect(access.EnabledServicePrincipals?.map((s) => s.ServicePrincipal)).toEqual(['config.amazonaws.com']);
  expect((await failure(h.audit.send(new ListAccountsCommand({})))).name).toBe('AccessDeniedException');
});

test('the resource-based delegation policy grants the read actions it names, to the principals it names', async () => {
  const h = await open();
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DelegatingNecessaryDescribeListActions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${AUDIT}:root` },
        Action: [
          'organizations:DescribeOrganization',
          'organizations:ListAccounts',
          'organizations:DescribeAccount',
        ],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Principal: { AWS: APP },
        Action: 'organizations:List*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:PrincipalTag/team': 'platform' } },
      },
    ],
  };
  expect(
    (await failure(h.audit.send(new PutResourcePolicyCommand({ Content: JSON.stringify(policy) })))).name,
  ).toBe('AccessDeniedException');
  const put = await h.management.send(new PutResourcePolicyCommand({ Content: JSON.stringify(policy) }));
  expect(put.ResourcePolicy?.ResourcePolicySummary?.Arn).toMatch(
    /^arn:aws:organizations::111111111111:resourcepolicy\/o-orgtest001\//,
  );
  expect((await h.audit.send(new ListAccountsCommand({}))).Accounts).toHaveLength(4);
  expect((await failure(h.audit.send(new ListRootsCommand({})))).name).toBe('AccessDeniedException');
  // A conditional grant is not honoured until conditions are evaluated: refused, never allowed by mistake.
  expect((await failure(h.app.send(new ListAccountsCommand({})))).name).toBe('AccessDeniedException');
  const described = await h.audit.send(new DescribeAccountCommand({ AccountId: APP }));
  expect(described.Account?.Name).toBe('app');
  expect(
    JSON.parse(
      (await h.management.send(new DescribeResourcePolicyCommand({}))).ResourcePolicy?.Content ?? '',
    ),
  ).toEqual(policy);
  await h.management.send(new DeleteResourcePolicyCommand({}));
  expect((await failure(h.audit.send(new ListAccountsCommand({})))).name).toBe('AccessDeniedException');
});

test('SCPs: FullAWSAccess on every root, OU and account by default, scenario SCPs where they are attached', async () => {
  const h = await open({
    policies: [
      {
        name: 'DenyOutsideEU',
        description: 'Workloads stay in the EU',
        content: {
          Statement: [
            {
              Effect: 'Deny',
              NotAction: 'iam:*',
              Resource: '*',
              Condition: { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1'] } },
            },
          ],
        },
        targets: ['ou-or01-workload'],
      },
      {
        id: 'p-noleave01',
        name: 'NoLeaving',
        content: '{"Statement":{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}}',
        targets: [APP],
      },
    ],
  });
  const forApp = await h.management.send(
    new ListPoliciesForTargetCommand({ TargetId: APP, Filter: 'SERVICE_CONTROL_POLICY' }),
  );
  expect(forApp.Policies?.map((p) => p.Name)).toEqual(['FullAWSAccess', 'NoLeaving']);
  const full = forApp.Policies?.[0];
  expect(full).toMatchObject({
    Id: 'p-FullAWSAccess',
    Arn: 'arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess',
    AwsManaged: true,
    Type: 'SERVICE_CONTROL_POLICY',
  });
  const all = await h.management.send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' }));
  expect(all.Policies?.map((p) => p.Name)).toEqual(['FullAWSAccess', 'DenyOutsideEU', 'NoLeaving']);
  const deny = all.Policies?.find((p) => p.Name === 'DenyOutsideEU');
  const targets = await h.management.send(new ListTargetsForPolicyCommand({ PolicyId: deny?.Id }));
  expect(targets.Targets).toEqual([
    {
      TargetId: 'ou-or01-workload',
      Arn: 'arn:aws:organizations::111111111111:ou/o-orgtest001/ou-or01-workload',
      Name: 'Workloads',
      Type: 'ORGANIZATIONAL_UNIT',
    },
  ]);
  const described = await h.management.send(new DescribePolicyCommand({ PolicyId: 'p-noleave01' }));
  expect(described.Policy?.Content).toBe(
    '{"Statement":{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}}',
  );
  const fullTargets = await h.management.send(
    new ListTargetsForPolicyCommand({ PolicyId: 'p-FullAWSAccess', MaxResults: 20 }),
  );
  expect(fullTargets.Targets).toHaveLength(1 + 3 + 4);
  expect(
    (await failure(h.management.send(new DescribePolicyCommand({ PolicyId: 'p-missing000' })))).name,
  ).toBe('PolicyNotFoundException');
  expect(
    (
      await failure(
        h.management.send(
          new ListPoliciesForTargetCommand({ TargetId: '999999999999', Filter: 'SERVICE_CONTROL_POLICY' }),
        ),
      )
    ).name,
  ).toBe('TargetNotFoundException');

  // For the IAM evaluation: SCP documents by level, root first, then each OU down to the account.
  const levels = serviceControlPoliciesFor(h.sandbox.world, APP);
  const effect = (d: PolicyDocument) => {
    const first = [d.Statement].flat()[0];
    return `${first?.Effect} ${String(first?.Action ?? `all but ${first?.NotAction}`)}`;
  };
  expect(levels.map((level) => level.map(effect))).toEqual([
    ['Allow *'], // the root: FullAWSAccess
    ['Allow *', 'Deny all but iam:*'], // Workloads: FullAWSAccess and DenyOutsideEU
    ['Allow *'], // Prod
    ['Allow *', 'Deny organizations:LeaveOrganization'], // the account itself
  ]);
  expect(serviceControlPoliciesFor(h.sandbox.world, AUDIT)).toHaveLength(3);
  expect(serviceControlPoliciesFor(h.sandbox.world, MANAGEMENT)).toEqual([]);
  expect(serviceControlPoliciesFor(h.sandbox.world, '999999999999')).toEqual([]);
  expect(organizationIdOf(h.sandbox.world, APP)).toBe('o-orgtest001');
  expect(organizationIdOf(h.sandbox.world, '999999999999')).toBeUndefined();
});

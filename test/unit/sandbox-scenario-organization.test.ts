/**
 * The scenario's organisation settings that Organizations enforces: delegated administrators,
 * trusted service access and service control policies. A scenario AWS would not allow is refused
 * with the field, the value received and the line.
 */
import { parseScenario } from '../../src/sandbox/scenario';
import { SCP_MAX_CHARACTERS } from '../../src/sandbox/scenario-organization';

const base = `
organization:
  id: o-abcdefghij
  rootId: r-ab12
  managementAccountId: "111111111111"
  ous:
    - { id: ou-ab12-security, name: Security }
    - { id: ou-ab12-workload, name: Workloads }
    - { id: ou-ab12-prod0000, name: Prod, parent: ou-ab12-workload }
  accounts:
    - { id: "111111111111", name: management }
    - { id: "222222222222", name: audit, parent: ou-ab12-security }
    - { id: "333333333333", name: app, parent: ou-ab12-prod0000 }
    - { id: "444444444444", name: gone, status: SUSPENDED }
`;
const withOrg = (extra: string) => base + extra.replace(/^/gm, '  ');

test('delegated administrators enable their service, policies keep their document text', () => {
  const s = parseScenario(
    withOrg(`delegatedAdministrators:
  - { accountId: "222222222222", servicePrincipal: member.org.stacksets.cloudformation.amazonaws.com }
enabledServicePrincipals: [config.amazonaws.com]
policies:
  - name: DenyOutsideEU
    description: Only EU regions
    targets: [ou-ab12-workload]
    content:
      Version: "2012-10-17"
      Statement:
        - { Effect: Deny, NotAction: ["iam:*", "sts:*"], Resource: "*", Condition: { StringNotEquals: { "aws:RequestedRegion": [eu-west-1] } } }
  - id: p-text12345
    name: FromText
    content: '{"Statement":{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}}'
    targets: ["333333333333"]
`),
    'org.yaml',
  );
  const org = s.organization;
  expect(org.delegatedAdministrators).toEqual([
    { accountId: '222222222222', servicePrincipal: 'member.org.stacksets.cloudformation.amazonaws.com' },
  ]);
  expect(org.enabledServicePrincipals).toEqual([
    'config.amazonaws.com',
    'member.org.stacksets.cloudformation.amazonaws.com',
  ]);
  expect(org.policies?.[0]).toMatchObject({
    name: 'DenyOutsideEU',
    type: 'SERVICE_CONTROL_POLICY',
    targets: ['ou-ab12-workload'],
  });
  expect(org.policies?.[0]?.id).toMatch(/^p-[0-9a-f]{8}$/);
  expect(JSON.parse(org.policies?.[0]?.content ?? '').Statement[0].Effect).toBe('Deny');
  expect(org.policies?.[1]).toMatchObject({
    id: 'p-text12345',
    content: '{"Statement":{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}}',
  });
  expect(org.fullAwsAccessTargets).toBeUndefined();
});

const denyAll = '{ Effect: Deny, Action: "*", Resource: "*" }';
test.each([
  [
    'the management account as a delegated administrator',
    'delegatedAdministrators: [{ accountId: "111111111111", servicePrincipal: config.amazonaws.com }]',
    'organization.delegatedAdministrators[0].accountId must be a member account: AWS does not register the management account as a delegated administrator. Received: "111111111111" (line 15)',
  ],
  [
    'an account outside the organisation',
    'delegatedAdministrators: [{ accountId: "999999999999", servicePrincipal: config.amazonaws.com }]',
    'organization.delegatedAdministrators[0].accountId must be one of the organization accounts. Received: "999999999999"',
  ],
  [
    'a suspended account',
    'delegatedAdministrators: [{ accountId: "444444444444", servicePrincipal: config.amazonaws.com }]',
    'organization.delegatedAdministrators[0].accountId must be an active account',
  ],
  [
    'an unknown service principal',
    'delegatedAdministrators: [{ accountId: "222222222222", servicePrincipal: stackfleet.example.com }]',
    'organization.delegatedAdministrators[0].servicePrincipal must be a service principal that supports delegated administrators',
  ],
  [
    'a registration listed twice',
    'delegatedAdministrators:\n  - { accountId: "222222222222", servicePrincipal: config.amazonaws.com }\n  - { accountId: "222222222222", servicePrincipal: config.amazonaws.com }',
    'organization.delegatedAdministrators[1] is listed twice',
  ],
  [
    'an SCP that is not JSON',
    'policies: [{ name: Bad, content: "{not json", targets: [r-ab12] }]',
    'organization.policies[0].content must be a policy document (JSON)',
  ],
  [
    'an SCP without Statement',
    'policies: [{ name: Bad, content: { Version: "2012-10-17" }, targets: [r-ab12] }]',
    'organization.policies[0].content.Statement is required in a policy document',
  ],
  [
    'an SCP with a Principal',
    'policies: [{ name: Bad, content: { Statement: [{ Effect: Deny, Action: "*", Resource: "*", Principal: "*" }] }, targets: [r-ab12] }]',
    'organization.policies[0].content.Statement[0].Principal is not a known field',
  ],
  [
    'an SCP statement with a bad Effect',
    'policies: [{ name: Bad, content: { Statement: { Effect: Block, Action: "*" } }, targets: [r-ab12] }]',
    'organization.policies[0].content.Statement.Effect must be one of Allow, Deny. Received: "Block"',
  ],
  [
    'an SCP over the size quota',
    `policies: [{ name: Big, content: { Statement: [{ Effect: Deny, Action: "*", Resource: [${Array.from({ length: 120 }, (_, i) => `"arn:aws:s3:::bucket-number-${i}-with-a-long-name"`).join(', ')}] }] }, targets: [r-ab12] }]`,
    `organization.policies[0].content must be at most ${SCP_MAX_CHARACTERS} characters (the SCP size quota)`,
  ],
  [
    'a target that is not in the organisation',
    `policies: [{ name: Bad, content: { Statement: ${denyAll} }, targets: [ou-ab12-nowhere0] }]`,
    'organization.policies[0].targets[0] must be the root (r-ab12), an OU id or an account id of the organization. Received: "ou-ab12-nowhere0"',
  ],
  [
    'two policies with one name',
    `policies:\n  - { name: Same, content: { Statement: ${denyAll} } }\n  - { name: Same, content: { Statement: ${denyAll} } }`,
    'organization.policies[1].name is the name of another policy',
  ],
  [
    'a sixth SCP on one target',
    `policies:\n${[1, 2, 3, 4, 5].map((n) => `  - { name: P${n}, content: { Statement: ${denyAll} }, targets: [r-ab12] }`).join('\n')}`,
    'organization.policies[4].targets[0] would be SCP number 6 on r-ab12; AWS allows at most 5 per root, OU or account',
  ],
  [
    'FullAWSAccess removed from an OU that has no other SCP',
    `policies:\n  - { id: p-FullAWSAccess, targets: [r-ab12, ou-ab12-security, "111111111111", "222222222222", "333333333333", "444444444444", ou-ab12-workload] }`,
    'organization.policies[0].targets leaves ou-ab12-prod0000 without any SCP; AWS keeps at least one SCP attached to the root, every OU and every account',
  ],
  [
    'content given for FullAWSAccess',
    `policies: [{ id: p-FullAWSAccess, content: { Statement: ${denyAll} } }]`,
    'organization.policies[0].content is not a known field (known: id, name, targets)',
  ],
])('refuses %s', (_name, extra, message) => {
  expect(() => parseScenario(withOrg(extra), 'org.yaml')).toThrow(message);
});

test('FullAWSAccess may be narrowed where an allow-list SCP takes its place', () => {
  const s = parseScenario(
    withOrg(`policies:
  - { id: p-FullAWSAccess, targets: [r-ab12, ou-ab12-security, ou-ab12-workload, "111111111111", "222222222222", "444444444444"] }
  - { name: AllowListProd, content: { Statement: { Effect: Allow, Action: ["s3:*", "cloudformation:*"], Resource: "*" } }, targets: [ou-ab12-prod0000, "333333333333"] }
`),
    'org.yaml',
  );
  expect(s.organization.fullAwsAccessTargets).not.toContain('ou-ab12-prod0000');
  expect(s.organization.policies).toHaveLength(1);
});

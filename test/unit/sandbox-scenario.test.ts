/**
 * Scenario files are written by people; a mistake must be refused at once with the field, the
 * value received and the line, not turn up later as a strange rollout.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  demoScenario,
  loadScenarioFile,
  parseScenario,
  ScenarioError,
  validateScenario,
} from '../../src/sandbox/scenario';

const base = `
organization:
  managementAccountId: "111111111111"
  ous:
    - { id: ou-ab12-security, name: Security }
  accounts:
    - { id: "111111111111", name: management }
    - { id: "222222222222", name: member, parent: ou-ab12-security }
`;

test('a minimal scenario gets every default', () => {
  const s = parseScenario(base, 'min.yaml');
  expect(s.regions).toEqual(['us-east-1', 'eu-west-1', 'eu-central-1', 'ap-southeast-2']);
  expect(s.executionRoleName).toBe('StackFleetExecution');
  expect(s.organization.accounts[1]).toMatchObject({
    executionRole: 'present',
    status: 'ACTIVE',
    parent: 'ou-ab12-security',
  });
  expect(s.durations.default).toEqual([10, 40]);
  expect(s.faults).toEqual({});
});

test.each([
  [
    'an account id that is not 12 digits',
    base.replace('"222222222222"', '"12ab"'),
    'organization.accounts[1].id must be 12 digits. Received: "12ab" (line 8)',
  ],
  [
    'a parent that is not an OU',
    base.replace('parent: ou-ab12-security', 'parent: ou-ab12-nowhere0'),
    'organization.accounts[1].parent must be the root (r-sf01) or a listed OU id. Received: "ou-ab12-nowhere0" (line 8)',
  ],
  [
    'a typo in a field name',
    base.replace('name: member', 'nmae: member'),
    'organization.accounts[1].nmae is not a known field',
  ],
  [
    'a throttle rate above 1',
    `${base}faults:\n  throttle: { rate: 1.5 }\n`,
    'faults.throttle.rate must be a number between 0 and 1. Received: 1.5 (line 10)',
  ],
  [
    'a management account that is not listed',
    base.replace('managementAccountId: "111111111111"', 'managementAccountId: "999999999999"'),
    'organization.managementAccountId must be one of the listed accounts. Received: "999999999999"',
  ],
  [
    'an unknown execution role mode',
    base.replace('name: member,', 'name: member, executionRole: maybe,'),
    'organization.accounts[1].executionRole must be one of present, missing, deny. Received: "maybe"',
  ],
  [
    'an opt-in region that is not declared',
    base.replace('name: member,', 'name: member, optInRegionsEnabled: [af-south-1],'),
    'organization.accounts[1].optInRegionsEnabled[0] must be one of optInRegions (none). Received: "af-south-1"',
  ],
  [
    'a duration range upside down',
    `${base}durations:\n  AWS::S3::Bucket: [30, 10]\n`,
    'durations.AWS::S3::Bucket must be seconds or [min, max] with min <= max',
  ],
  [
    'a failure on an unknown account',
    `${base}faults:\n  resourceFailures:\n    - { accounts: ["333333333333"], resourceType: AWS::S3::Bucket }\n`,
    'faults.resourceFailures[0].accounts[0] must be one of the scenario accounts. Received: "333333333333"',
  ],
  [
    'a pre-existing stack in a status it cannot be left in',
    `${base}faults:\n  preexistingStacks:\n    - { account: "222222222222", region: us-east-1, stackName: s, status: DELETE_COMPLETE }\n`,
    'faults.preexistingStacks[0].status must be one of ROLLBACK_COMPLETE',
  ],
  [
    'a CloudFormation quota for an account that is not in the organization',
    `${base}cloudFormationQuotas:\n  concurrentResourcesByAccount: { "333333333333": 10 }\n`,
    'cloudFormationQuotas.concurrentResourcesByAccount.333333333333 must be one of the organization accounts',
  ],
  [
    'a CloudFormation quota of zero',
    `${base}cloudFormationQuotas:\n  concurrentResources: 0\n`,
    'cloudFormationQuotas.concurrentResources must be',
  ],
  ['YAML that does not parse', 'organization: [unclosed', 'not valid YAML (line 1)'],
  ['an alias with no anchor', 'organization: *nowhere\n', 'not valid YAML'],
])('refuses %s, naming the field', (_name, text, message) => {
  let error: unknown;
  try {
    parseScenario(text, 'bad.yaml');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ScenarioError);
  expect((error as Error).name).toBe('ScenarioError');
  expect((error as Error).message).toContain('Scenario bad.yaml: ');
  expect((error as Error).message).toContain(message);
});

test('a scenario file that does not exist is named', () => {
  expect(() => loadScenarioFile('/no/such/scenario.yaml')).toThrow(
    'Scenario file cannot be read. Received: /no/such/scenario.yaml (ENOENT)',
  );
});

test('an OU cycle is refused instead of looping', () => {
  const text = `
organization:
  managementAccountId: "111111111111"
  ous:
    - { id: ou-ab12-aaaaaaaa, name: A, parent: ou-ab12-bbbbbbbb }
    - { id: ou-ab12-bbbbbbbb, name: B, parent: ou-ab12-aaaaaaaa }
  accounts:
    - { id: "111111111111", name: management }
`;
  expect(() => parseScenario(text, 'cycle.yaml')).toThrow('makes a cycle in the OU tree');
});

test('files load from disk with their path in messages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-scenario-'));
  const file = join(dir, 'org.yaml');
  writeFileSync(file, base.replace('"222222222222"', '"2222"'));
  expect(() => loadScenarioFile(file)).toThrow(
    `Scenario ${file}: organization.accounts[1].id must be 12 digits`,
  );
});

test('the demo organisation: 30 accounts in nested OUs, an opt-in region in a few, failures within 10%', () => {
  const demo = demoScenario();
  expect(validateScenario(demo)).toEqual(demo);
  const { accounts, ous } = demo.organization;
  expect(accounts).toHaveLength(30);
  expect(ous.map((o) => o.name).sort()).toEqual([
    'Dev',
    'Infrastructure',
    'Prod',
    'Sandbox',
    'Security',
    'Workloads',
  ]);
  const workloads = ous.find((o) => o.name === 'Workloads')?.id;
  expect(
    ous
      .filter((o) => o.parent === workloads)
      .map((o) => o.name)
      .sort(),
  ).toEqual(['Dev', 'Prod']);
  expect(demo.optInRegions).toEqual(['af-south-1']);
  const optedIn = accounts.filter((a) => a.optInRegionsEnabled?.includes('af-south-1'));
  expect(optedIn.length).toBeGreaterThanOrEqual(2);
  expect(optedIn.length).toBeLessThanOrEqual(4);
  expect(accounts.every((a) => a.executionRole !== 'deny')).toBe(true);

  const members = accounts.filter((a) => a.id !== demo.organization.managementAccountId);
  const targets = members.length * demo.regions.length + optedIn.length;
  const failingTargets =
    (demo.faults.resourceFailures ?? []).reduce(
      (n, f) => n + (f.accounts?.length ?? 1) * (f.regions?.length ?? demo.regions.length),
      0,
    ) +
    members.filter((a) => a.executionRole === 'missing').length * demo.regions.length;
  expect(failingTargets).toBeGreaterThanOrEqual(2);
  expect(failingTargets / targets).toBeLessThan(0.1);
  // Most stacks take one to three minutes: the longest resource type stays within that.
  const maxSeconds = Object.values(demo.durations).map((d) => (Array.isArray(d) ? d[1] : d));
  expect(Math.max(...maxSeconds)).toBeLessThanOrEqual(180);
});

test('src/sandbox/scenarios/demo.yaml is the built-in demo, so people copy what the sandbox plays', () => {
  expect(loadScenarioFile('src/sandbox/scenarios/demo.yaml')).toEqual(demoScenario());
});

test.each(['demo.yaml', 'small.yaml', 'throttled.yaml'])('the shipped scenario %s is valid', (file) => {
  const scenario = loadScenarioFile(join('src/sandbox/scenarios', file));
  expect(scenario.organization.accounts.length).toBeGreaterThan(1);
});

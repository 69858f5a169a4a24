/**
 * AWS managed policies by ARN: the baseline attaches `service-role/AWS_ConfigRole`, so its
 * permissions must be AWS's own, not a hand-written stand-in. The extract cache is shared by jest
 * workers and must survive being written by several at once.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluate } from '../../../src/sandbox/iam/evaluate';
import { awsManagedPolicy, loadManagedPolicyExtract } from '../../../src/sandbox/iam/managed-policies';
import { parsePolicy } from '../../../src/sandbox/iam/policy';
import type { PolicyStatement } from '../../../src/sandbox/iam/types';

const statements = (arn: string): PolicyStatement[] => {
  const document = awsManagedPolicy(arn);
  if (!document) throw new Error(`no managed policy ${arn}`);
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
};

describe('awsManagedPolicy', () => {
  it.each([
    'arn:aws:iam::aws:policy/AdministratorAccess',
    'arn:aws:iam::aws:policy/ReadOnlyAccess',
    'arn:aws:iam::aws:policy/service-role/AWS_ConfigRole',
  ])('%s exists and has statements', (arn) => {
    expect(statements(arn).length).toBeGreaterThan(0);
  });

  it('AdministratorAccess allows everything', () => {
    expect(statements('arn:aws:iam::aws:policy/AdministratorAccess')).toEqual([
      { Effect: 'Allow', Action: '*', Resource: '*' },
    ]);
  });

  it('is undefined for a policy AWS does not have, or a customer policy ARN', () => {
    expect(awsManagedPolicy('arn:aws:iam::aws:policy/AdministratorAccessPlus')).toBeUndefined();
    expect(awsManagedPolicy('arn:aws:iam::111111111111:policy/AdministratorAccess')).toBeUndefined();
    expect(awsManagedPolicy('arn:aws:iam::aws:policy/AWS_ConfigRole')).toBeUndefined(); // its path is service-role/
  });

  it('returns the same frozen document every time, so evaluation compiles it once', () => {
    const first = awsManagedPolicy('arn:aws:iam::aws:policy/ReadOnlyAccess');
    expect(awsManagedPolicy('arn:aws:iam::aws:policy/ReadOnlyAccess')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it("ReadOnlyAccess lets a role read CloudFormation stacks but not create them (AWS's own document)", () => {
    const principal = {
      kind: 'role-session' as const,
      arn: 'arn:aws:sts::111111111111:assumed-role/Auditor/a',
      accountId: '111111111111',
      roleArn: 'arn:aws:iam::111111111111:role/Auditor',
    };
    const policies = { identityPolicies: [awsManagedPolicy('arn:aws:iam::aws:policy/ReadOnlyAccess')!] };
    const stack = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/baseline/x';
    expect(
      evaluate(
        { principal, action: 'cloudformation:DescribeStacks', resource: stack, context: {} },
        policies,
      ),
    ).toEqual({
      effect: 'Allow',
    });
    expect(
      evaluate({ principal, action: 'cloudformation:CreateStack', resource: stack, context: {} }, policies),
    ).toMatchObject({
      effect: 'Deny',
      policyKind: 'identity-based policy',
    });
  });
});

describe("parsePolicy against AWS's own documents", () => {
  it('accepts every AWS managed policy as a managed identity-based policy (it is not stricter than IAM)', () => {
    const refused: string[] = [];
    const { policies } = loadManagedPolicyExtract();
    for (const [arn, document] of Object.entries(policies)) {
      try {
        parsePolicy(document, arn, { kind: 'identity', managed: true });
      } catch (error) {
        refused.push(`${arn}: ${(error as Error).message}`);
      }
    }
    expect(Object.keys(policies).length).toBeGreaterThan(1000);
    expect(refused).toEqual([]);
  });
});

describe('the extract cache', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stackfleet-iam-cache-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the default versions under a name keyed by the package version, and reads them back', () => {
    const made = loadManagedPolicyExtract({ cacheDir: dir });
    const files = readdirSync(dir);
    expect(files).toEqual([`aws-managed-policies-${made.version}.json`]);
    expect(made.policies['arn:aws:iam::aws:policy/AdministratorAccess']).toBeDefined();
    const again = loadManagedPolicyExtract({ cacheDir: dir });
    expect(Object.keys(again.policies).length).toBe(Object.keys(made.policies).length);
  });

  it('uses the cached file when it matches the installed version', () => {
    const { version } = loadManagedPolicyExtract({ cacheDir: dir });
    const file = join(dir, `aws-managed-policies-${version}.json`);
    const marker = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'marker:Cached', Resource: '*' }],
    };
    writeFileSync(file, JSON.stringify({ version, policies: { 'arn:aws:iam::aws:policy/Marker': marker } }));
    expect(loadManagedPolicyExtract({ cacheDir: dir }).policies['arn:aws:iam::aws:policy/Marker']).toEqual(
      marker,
    );
  });

  it('rebuilds a cache file that is corrupt or from another version', () => {
    const { version } = loadManagedPolicyExtract({ cacheDir: dir });
    const file = join(dir, `aws-managed-policies-${version}.json`);
    writeFileSync(file, '{"version": "0.0.1", "policies": {}}');
    expect(
      loadManagedPolicyExtract({ cacheDir: dir }).policies['arn:aws:iam::aws:policy/ReadOnlyAccess'],
    ).toBeDefined();
    writeFileSync(file, '{"truncated');
    expect(
      loadManagedPolicyExtract({ cacheDir: dir }).policies['arn:aws:iam::aws:policy/ReadOnlyAccess'],
    ).toBeDefined();
    expect(JSON.parse(readFileSync(file, 'utf8')).version).toBe(version);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

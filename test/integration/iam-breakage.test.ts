/**
 * Rollouts on an organisation where one thing is broken per account, each the way an operator
 * breaks it on AWS: a trust that no longer admits stackfleet, a bootstrap made with another
 * ExternalId, an SCP that denies a region, an artifact bucket policy that leaves an account out,
 * a key policy that leaves an account out. The sandbox evaluates each as AWS does (issue 14): the
 * broken target ends FAILED with the AWS-shaped denial as its reason, and every other target of
 * the rollout is deployed. A second organisation breaks an admin function's own role, which
 * every target then meets.
 */
import '../../src/core/polyfills';
import { clearCredentialCache } from '../../src/aws/assume-role';
import type { TargetResult } from '../../src/core/summary';
import { readSummaryDocument } from '../helpers/invariants';
import { openSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness';

const ROOT = 'r-br01';
const OU = 'ou-br01-members0';
const REGIONS = ['us-east-1', 'eu-central-1'];
const accounts = {
  healthy: '300000000001',
  closedTrust: '300000000002',
  otherExternalId: '300000000003',
  scpDeniesRegion: '300000000004',
  bucketLeavesOut: '300000000005',
  keyLeavesOut: '300000000006',
  alsoHealthy: '300000000007',
} as const;

function scenario(extra: Record<string, unknown> = {}) {
  return {
    seed: 7,
    organization: {
      id: 'o-breakage001',
      rootId: ROOT,
      managementAccountId: '300000000000',
      ous: [{ id: OU, name: 'Members', parent: ROOT }],
      accounts: [
        { id: '300000000000', name: 'management' },
        { id: accounts.healthy, name: 'healthy', parent: OU },
        { id: accounts.closedTrust, name: 'closed-trust', parent: OU, executionRole: 'deny' },
        {
          id: accounts.otherExternalId,
          name: 'other-external-id',
          parent: OU,
          externalId: 'not-the-one-stackfleet-sends',
        },
        { id: accounts.scpDeniesRegion, name: 'scp-denies-region', parent: OU },
        { id: accounts.bucketLeavesOut, name: 'bucket-leaves-out', parent: OU },
        { id: accounts.keyLeavesOut, name: 'key-leaves-out', parent: OU },
        { id: accounts.alsoHealthy, name: 'also-healthy', parent: OU },
      ],
      policies: [
        {
          name: 'DenyEuCentral1',
          content: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'DenyEuCentral1',
                Effect: 'Deny',
                NotAction: ['sts:*', 'iam:*'],
                Resource: '*',
                Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-central-1' } },
              },
            ],
          },
          targets: [accounts.scpDeniesRegion],
        },
      ],
    },
    regions: REGIONS,
    executionRoleName: 'StackFleetExecution',
    externalId: 'breakage-external-id',
    durations: { default: [5, 10], 'AWS::KMS::Key': 30 },
    iam: {
      patches: [
        {
          bucketPolicy: 'artifacts',
          addStatements: [
            {
              Sid: 'LeaveOutOneAccount',
              Effect: 'Deny',
              Principal: '*',
              Action: ['s3:GetObject', 's3:GetObjectVersion'],
              Resource: '*',
              Condition: { StringEquals: { 'aws:PrincipalAccount': accounts.bucketLeavesOut } },
            },
          ],
        },
        {
          keyPolicy: 'artifacts',
          addStatements: [
            {
              Sid: 'LeaveOutOneAccount',
              Effect: 'Deny',
              Principal: '*',
              Action: 'kms:Decrypt',
              Resource: '*',
              Condition: { StringEquals: { 'kms:CallerAccount': accounts.keyLeavesOut } },
            },
          ],
        },
      ],
    },
    ...extra,
  };
}

const TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub '\${AWS::StackName}-alerts'
`;

function request(h: SandboxHarness, rolloutId: string) {
  return {
    rolloutId,
    mode: 'deploy',
    template: h.template,
    stackName: 'stackfleet-breakage',
    executionRoleName: 'StackFleetExecution',
    externalId: 'breakage-external-id',
    targets: { organizationalUnits: [OU], regions: REGIONS },
    maxConcurrency: 20,
    failureTolerance: { percent: 100 },
  };
}

async function outcomes(h: SandboxHarness, rolloutId: string): Promise<Map<string, TargetResult>> {
  const summary = await readSummaryDocument(h, `rollouts/${rolloutId}/summary.json`);
  return new Map(summary.targets.map((t) => [`${t.accountId}/${t.region}`, t]));
}

describe('a rollout where one thing is broken per account (IAM as AWS evaluates it)', () => {
  let h: SandboxHarness;
  let byTarget: Map<string, TargetResult>;

  beforeAll(async () => {
    clearCredentialCache();
    h = await openSandboxHarness({ scenario: scenario() as never, region: 'us-east-1' });
    h.template = await h.uploadTemplate(TEMPLATE, 'templates/breakage.yaml');
    const run = await h.runRollout(request(h, 'br-1'));
    expect(run.status).toBe('SUCCEEDED');
    byTarget = await outcomes(h, 'br-1');
  });

  const outcome = (account: string, region: string) => byTarget.get(`${account}/${region}`);

  it('deploys every target nothing was broken for', () => {
    for (const account of [accounts.healthy, accounts.alsoHealthy]) {
      for (const region of REGIONS) expect(outcome(account, region)?.outcome).toBe('CREATED');
    }
    // The SCP denies one region only; the account's other region deploys.
    expect(outcome(accounts.scpDeniesRegion, 'us-east-1')?.outcome).toBe('CREATED');
  });

  it('a trust policy that no longer admits stackfleet: AccessDenied on sts:AssumeRole, in both regions', () => {
    for (const region of REGIONS) {
      const t = outcome(accounts.closedTrust, region);
      expect(t?.outcome).toBe('FAILED');
      expect(t?.error).toBe('RoleNotAssumable');
      expect(t?.reason).toMatch(
        /is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::300000000002:role\/StackFleetExecution/,
      );
    }
  });

  it('a bootstrap deployed with another ExternalId: the trust refuses the one stackfleet sends', () => {
    const t = outcome(accounts.otherExternalId, 'us-east-1');
    expect(t?.outcome).toBe('FAILED');
    expect(t?.error).toBe('RoleNotAssumable');
    expect(t?.reason).toContain(
      'sts:AssumeRole on resource: arn:aws:iam::300000000003:role/StackFleetExecution',
    );
  });

  it('an SCP that denies a region: the stack call there is refused with an explicit deny in a service control policy', () => {
    const t = outcome(accounts.scpDeniesRegion, 'eu-central-1');
    expect(t?.outcome).toBe('FAILED');
    expect(t?.reason).toMatch(
      /cloudformation:\w+ on resource: arn:aws:cloudformation:eu-central-1:300000000004:stack\//,
    );
    expect(t?.reason).toContain('with an explicit deny in a service control policy');
  });

  it('an artifact bucket policy that leaves an account out: CloudFormation cannot read the template as that account', () => {
    for (const region of REGIONS) {
      const t = outcome(accounts.bucketLeavesOut, region);
      expect(t?.outcome).toBe('FAILED');
      expect(t?.reason).toMatch(/S3 error: Access Denied|s3:GetObject/);
    }
  });

  it('a key policy that leaves an account out: the SSE-KMS template cannot be decrypted for it', () => {
    for (const region of REGIONS) {
      const t = outcome(accounts.keyLeavesOut, region);
      expect(t?.outcome).toBe('FAILED');
      expect(t?.reason).toMatch(/kms:Decrypt|Access Denied/);
    }
  });
});

describe('an admin function whose own role lost an action', () => {
  // STS words an AssumeRole refusal without saying which policy refused (as AWS does: the trust is
  // another account's resource policy).
  it('every target meets the same AWS-shaped denial, naming the function role', async () => {
    clearCredentialCache();
    const h = await openSandboxHarness({
      region: 'us-east-1',
      scenario: scenario({
        organization: {
          ...scenario().organization,
          accounts: scenario().organization.accounts.filter(
            (a) => a.id === '300000000000' || a.id === accounts.healthy || a.id === accounts.alsoHealthy,
          ),
          policies: [],
        },
        iam: { patches: [{ functionRole: 'deploy-stack', removeActions: ['sts:AssumeRole'] }] },
      }) as never,
    });
    h.template = await h.uploadTemplate(TEMPLATE, 'templates/breakage.yaml');
    const run = await h.runRollout(request(h, 'br-2'));
    expect(run.status).toBe('SUCCEEDED');
    const byKey = await outcomes(h, 'br-2');
    expect(byKey.size).toBe(4);
    for (const t of byKey.values()) {
      expect(t.outcome).toBe('FAILED');
      expect(t.reason).toMatch(
        /User: arn:aws:sts::300000000000:assumed-role\/StackFleetAdmin-FunctionsDeployStackRole[^ ]* is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::\d{12}:role\/StackFleetExecution/,
      );
    }
  });
});

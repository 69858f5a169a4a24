import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { planTargets } from '../../functions/plan-targets';
import { clearCredentialCache } from '../../src/aws/assume-role';
import { configureAws } from '../../src/aws/clients';
import { ErrorNames } from '../../src/core/errors';
import { type PlannedTarget, parseJsonLines, type SkippedTarget } from '../../src/core/plan';
import { parseRolloutInput } from '../../src/core/rollout-validation';

const orgs = mockClient(OrganizationsClient);
const ec2 = mockClient(EC2Client);
const sts = mockClient(STSClient);
const s3 = mockClient(S3Client);

const MGMT = '000000000001';
const ACCOUNTS = [
  { Id: MGMT, Status: 'ACTIVE' },
  { Id: '111111111111', Status: 'ACTIVE' },
  { Id: '222222222222', Status: 'ACTIVE' },
  { Id: '333333333333', Status: 'SUSPENDED' },
  { Id: '444444444444', Status: 'ACTIVE' },
];
/** r-abcd > ou-abcd-aaaaaaaa (111, 333) > ou-abcd-bbbbbbbb (222); r-abcd > MGMT, 444 */
const TREE: Record<string, { ous: string[]; accounts: string[] }> = {
  'r-abcd': { ous: ['ou-abcd-aaaaaaaa'], accounts: [MGMT, '444444444444'] },
  'ou-abcd-aaaaaaaa': { ous: ['ou-abcd-bbbbbbbb'], accounts: ['111111111111', '333333333333'] },
  'ou-abcd-bbbbbbbb': { ous: [], accounts: ['222222222222'] },
};
const DEFAULT_REGIONS = ['eu-west-1', 'us-east-1'];
/** Opt-in region ap-east-1 is enabled only in 111111111111. */
const OPTED_IN: Record<string, string[]> = { '111111111111': ['ap-east-1'] };
/** The execution role is missing in 444444444444. */
const NO_ROLE = '444444444444';

let written: Record<string, string>;

function regionsFor(account: string | undefined) {
  return [
    ...DEFAULT_REGIONS.map((RegionName) => ({ RegionName, OptInStatus: 'opt-in-not-required' })),
    {
      RegionName: 'ap-east-1',
      OptInStatus: account && OPTED_IN[account]?.includes('ap-east-1') ? 'opted-in' : 'not-opted-in',
    },
  ];
}

function awsError(name: string, status = 400): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
}

beforeAll(() => {
  configureAws({ credentials: { accessKeyId: 'AKIDADMIN', secretAccessKey: 'secret' } });
  process.env.AWS_REGION = 'eu-west-1';
});

beforeEach(() => {
  for (const m of [orgs, ec2, sts, s3]) m.reset();
  clearCredentialCache();
  written = {};
  orgs.on(DescribeOrganizationCommand).resolves({ Organization: { Id: 'o-abc', MasterAccountId: MGMT } });
  // Two pages, so pagination is exercised.
  orgs
    .on(ListAccountsCommand)
    .callsFake((input: { NextToken?: string }) =>
      input.NextToken
        ? { Accounts: ACCOUNTS.slice(3) }
        : { Accounts: ACCOUNTS.slice(0, 3), NextToken: 'page2' },
    );
  orgs.on(ListRootsCommand).resolves({ Roots: [{ Id: 'r-abcd' }] });
  orgs.on(ListOrganizationalUnitsForParentCommand).callsFake((input: { ParentId: string }) => {
    const node = TREE[input.ParentId];
    if (!node) throw awsError('ParentNotFoundException');
    return { OrganizationalUnits: node.ous.map((Id) => ({ Id })) };
  });
  orgs.on(ListAccountsForParentCommand).callsFake((input: { ParentId: string }) => ({
    Accounts: (TREE[input.ParentId]?.accounts ?? []).map((Id) => ({ Id })),
  }));
  sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => {
    const account = input.RoleArn.split(':')[4] ?? '';
    if (account === NO_ROLE) throw awsError('AccessDenied', 403);
    return {
      Credentials: {
        AccessKeyId: `AKID${account}`,
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    };
  });
  ec2.on(DescribeRegionsCommand).callsFake(async (_input, getClient) => {
    const credentials = await getClient().config.credentials();
    const account =
      credentials.accessKeyId === 'AKIDADMIN' ? MGMT : credentials.accessKeyId.replace('AKID', '');
    return { Regions: regionsFor(account) };
  });
  s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
    written[input.Key] = input.Body;
    return {};
  });
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const body = written[input.Key];
    if (body === undefined) throw awsError('NoSuchKey', 404);
    return { Body: { transformToString: async () => body } };
  });
});

function rollout(targets: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return parseRolloutInput({
    rolloutId: 'r1',
    mode: 'deploy',
    template: { bucket: 'bucket1', key: 'k.yaml', versionId: 'v1' },
    stackName: 'baseline',
    executionRoleName: 'StackFleetExecutionRole',
    targets,
    failureTolerance: { percent: 25 },
    ...extra,
  });
}

const fast = { retryBaseMs: 1 };
const lines = <T>(key: string) => parseJsonLines<T>(written[key] ?? '');
const targetKeys = () =>
  lines<PlannedTarget>('rollouts/r1/targets.jsonl').map((t) => `${t.accountId}/${t.region}`);

describe('plan-targets handler', () => {
  test('walks an OU with its sub-OUs, skips the suspended account and writes the manifest', async () => {
    const facts = await planTargets(
      {
        rollout: rollout({ organizationalUnits: ['ou-abcd-aaaaaaaa'], regions: DEFAULT_REGIONS }),
        bucket: 'artifacts',
      },
      fast,
    );
    expect(targetKeys()).toEqual([
      '111111111111/eu-west-1',
      '111111111111/us-east-1',
      '222222222222/eu-west-1',
      '222222222222/us-east-1',
    ]);
    expect(lines<SkippedTarget>('rollouts/r1/skipped.jsonl')).toEqual([
      expect.objectContaining({
        accountId: '333333333333',
        outcome: 'SKIPPED',
        reason: expect.stringContaining('SUSPENDED'),
      }),
    ]);
    expect(facts).toEqual({
      bucket: 'artifacts',
      targetsKey: 'rollouts/r1/targets.jsonl',
      canariesKey: 'rollouts/r1/canaries.jsonl',
      skippedKey: 'rollouts/r1/skipped.jsonl',
      resultsPrefix: 'rollouts/r1/results',
      canaryResultsPrefix: 'rollouts/r1/canary-results',
      summaryKey: 'rollouts/r1/summary.json',
      executionKey: 'rollouts/r1/execution.json',
      stackResultsPrefix: 'rollouts/r1/stack-results',
      graph: false,
      accountCount: 2,
      targetCount: 4,
      canaryCount: 0,
      skippedCount: 1,
      unreachableAccountCount: 0,
      maxConcurrency: 10,
      toleratedFailureCount: 4,
      toleratedFailurePercentage: 25,
    });
    // Only default regions: no account was asked, no role assumed.
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    expect(ec2.commandCalls(DescribeRegionsCommand)).toHaveLength(1);
  });

  test('an opt-in region is asked per account as its execution role; where it is not enabled the target is SKIPPED', async () => {
    await planTargets(
      {
        rollout: rollout(
          { accounts: ['111111111111', '222222222222'], regions: ['ap-east-1', 'eu-west-1'] },
          { externalId: 'ext-1' },
        ),
        bucket: 'artifacts',
      },
      fast,
    );
    expect(targetKeys()).toEqual([
      '111111111111/ap-east-1',
      '111111111111/eu-west-1',
      '222222222222/eu-west-1',
    ]);
    expect(
      lines<SkippedTarget>('rollouts/r1/skipped.jsonl').map((s) => `${s.accountId}/${s.region}`),
    ).toEqual(['222222222222/ap-east-1']);
    const assumed = sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input);
    expect(assumed.map((i) => i.RoleArn).sort()).toEqual([
      'arn:aws:iam::111111111111:role/StackFleetExecutionRole',
      'arn:aws:iam::222222222222:role/StackFleetExecutionRole',
    ]);
    expect(assumed.every((i) => i.ExternalId === 'ext-1')).toBe(true);
  });

  test('ALL_ENABLED with the role missing in one account: its targets are planned on the default regions (they will fail RoleNotAssumable), the rest proceed', async () => {
    const facts = await planTargets(
      {
        rollout: rollout({ accounts: ['111111111111', NO_ROLE], regions: 'ALL_ENABLED' }),
        bucket: 'artifacts',
      },
      fast,
    );
    expect(targetKeys()).toEqual([
      '111111111111/ap-east-1',
      '111111111111/eu-west-1',
      '111111111111/us-east-1',
      `${NO_ROLE}/eu-west-1`,
      `${NO_ROLE}/us-east-1`,
    ]);
    expect(facts.unreachableAccountCount).toBe(1);
  });

  test('an account whose role may not call DescribeRegions is planned on the regions enabled everywhere', async () => {
    ec2.on(DescribeRegionsCommand).callsFake(async (_input, getClient) => {
      const credentials = await getClient().config.credentials();
      if (credentials.accessKeyId === 'AKID222222222222') throw awsError('UnauthorizedOperation', 403);
      return {
        Regions: regionsFor(
          credentials.accessKeyId === 'AKIDADMIN' ? MGMT : credentials.accessKeyId.replace('AKID', ''),
        ),
      };
    });
    const facts = await planTargets(
      {
        rollout: rollout({ accounts: ['111111111111', '222222222222'], regions: 'ALL_ENABLED' }),
        bucket: 'artifacts',
      },
      fast,
    );
    expect(targetKeys().filter((k) => k.startsWith('222222222222'))).toEqual([
      '222222222222/eu-west-1',
      '222222222222/us-east-1',
    ]);
    expect(facts.unreachableAccountCount).toBe(1);
  });

  test('the management account only when asked, and canaries in their own file', async () => {
    const facts = await planTargets(
      {
        rollout: rollout(
          { accounts: ['222222222222'], includeManagementAccount: true, regions: ['eu-west-1'] },
          { canaries: [{ accountId: MGMT, region: 'eu-west-1' }] },
        ),
        bucket: 'artifacts',
      },
      fast,
    );
    expect(lines<PlannedTarget>('rollouts/r1/canaries.jsonl').map((t) => t.accountId)).toEqual([MGMT]);
    expect(targetKeys()).toEqual(['222222222222/eu-west-1']);
    expect(facts).toMatchObject({ canaryCount: 1, targetCount: 1 });
  });

  test('an OU that does not exist is refused as InvalidInput naming it', async () => {
    await expect(
      planTargets(
        { rollout: rollout({ organizationalUnits: ['ou-abcd-zzzzzzzz'] }), bucket: 'artifacts' },
        fast,
      ),
    ).rejects.toMatchObject({
      name: ErrorNames.InvalidInput,
      field: 'targets.organizationalUnits[0]',
      message: expect.stringContaining('Received: ou-abcd-zzzzzzzz'),
    });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  test('throttled calls are retried until they succeed', async () => {
    let failures = 3;
    orgs.on(ListAccountsForParentCommand).callsFake((input: { ParentId: string }) => {
      if (failures-- > 0) throw awsError('TooManyRequestsException');
      return { Accounts: (TREE[input.ParentId]?.accounts ?? []).map((Id) => ({ Id })) };
    });
    await planTargets(
      {
        rollout: rollout({ organizationalUnits: ['ou-abcd-bbbbbbbb'], regions: ['eu-west-1'] }),
        bucket: 'artifacts',
      },
      fast,
    );
    expect(targetKeys()).toEqual(['222222222222/eu-west-1']);
  });

  test('throttling that never stops ends in Throttled, for the state machine to retry', async () => {
    orgs.on(DescribeOrganizationCommand).rejects(awsError('TooManyRequestsException'));
    await expect(
      planTargets(
        { rollout: rollout({ accounts: ['111111111111'] }), bucket: 'artifacts' },
        { retryBaseMs: 1, maxAttempts: 3 },
      ),
    ).rejects.toMatchObject({
      name: ErrorNames.Throttled,
    });
    expect(orgs.commandCalls(DescribeOrganizationCommand)).toHaveLength(3);
  });

  test('the rollout id is claimed by its execution; a retry of that execution carries on', async () => {
    const event = {
      rollout: rollout({ accounts: ['111111111111'], regions: ['eu-west-1'] }),
      bucket: 'artifacts',
      executionId: 'arn:exec:first',
    };
    await planTargets(event, fast);
    expect(JSON.parse(written['rollouts/r1/execution.json'] ?? '{}')).toMatchObject({
      executionId: 'arn:exec:first',
      rolloutId: 'r1',
    });
    await expect(planTargets(event, fast)).resolves.toMatchObject({ targetCount: 1 });
  });

  test('another execution reusing the rollout id is refused before anything is planned', async () => {
    written['rollouts/r1/execution.json'] = JSON.stringify({ executionId: 'arn:exec:first' });
    await expect(
      planTargets(
        {
          rollout: rollout({ accounts: ['111111111111'] }),
          bucket: 'artifacts',
          executionId: 'arn:exec:second',
        },
        fast,
      ),
    ).rejects.toMatchObject({
      name: ErrorNames.InvalidInput,
      field: 'rolloutId',
      message: expect.stringContaining('r1 was already used by arn:exec:first'),
    });
    expect(written['rollouts/r1/targets.jsonl']).toBeUndefined();
    expect(orgs.commandCalls(DescribeOrganizationCommand)).toHaveLength(0);
  });

  test('a region the partition does not have is refused', async () => {
    await expect(
      planTargets(
        {
          rollout: rollout({ accounts: ['111111111111'], regions: ['eu-west-1', 'me-south-1'] }),
          bucket: 'artifacts',
        },
        fast,
      ),
    ).rejects.toMatchObject({
      name: ErrorNames.InvalidInput,
      field: 'targets.regions[1]',
    });
  });
});

/**
 * The sandbox driven only through the real SDK clients, over both transports: the in-process
 * request handler and HTTP on 127.0.0.1. What a user of the sandbox would notice: calls land in
 * the account of the signing key, AWS's errors come back under the names the SDK knows, and the
 * SDK's own retries absorb throttling.
 */
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  OrganizationsClient,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, ListTopicsCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  GetSessionTokenCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { ORGANIZATION_ACCESS_ROLE } from '../../src/sandbox/admin/bootstrap';
import type { PolicyDocument } from '../../src/sandbox/iam/types';
import { Sandbox } from '../../src/sandbox/sandbox';
import { demoScenario, loadScenarioFile, validateScenario } from '../../src/sandbox/scenario';
import type { Scenario } from '../../src/sandbox/scenario-types';
import { readSnsMessages } from '../../src/sandbox/services/sns';
import type { World } from '../../src/sandbox/world';
import { allow, givenRole } from '../helpers/cfn-iam';

const SMALL = 'src/sandbox/scenarios/small.yaml';
const MANAGEMENT = '111111111111';
const APP_PROD = '333333333333';
const AUDIT = '222222222222';
const LEGACY = '444444444444';
const EXTERNAL_ID = 'stackfleet-small-demo';
/**
 * A role the tests give each member, as a third party's access role is made (IAM User Guide,
 * id_roles_create_for-user_externalid): the management root and app-prod's root may assume it,
 * and set a source identity, only with the ExternalId; legacy's copy is closed by an explicit Deny.
 */
const PARTNER_ROLE = 'PartnerAccess';
const roleArn = (account: string, name = PARTNER_ROLE) => `arn:aws:iam::${account}:role/${name}`;

function givenPartnerRoles(world: World): void {
  const trust = (closed: boolean): PolicyDocument => ({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PartnersWithTheExternalId',
        Effect: 'Allow',
        Principal: { AWS: [`arn:aws:iam::${MANAGEMENT}:root`, `arn:aws:iam::${APP_PROD}:root`] },
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
        Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } },
      },
      ...(closed
        ? [{ Sid: 'Closed', Effect: 'Deny' as const, Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }]
        : []),
    ],
  });
  for (const account of [AUDIT, APP_PROD, LEGACY]) {
    // A session may go on to the other members' copies (role chaining needs the caller's own allow too).
    givenRole(world, account, PARTNER_ROLE, trust(account === LEGACY), {
      chain: allow('sts:AssumeRole', `arn:aws:iam::*:role/${PARTNER_ROLE}`),
    });
  }
}

type Transport = 'in-process' | 'http';

interface Harness {
  sandbox: Sandbox;
  // biome-ignore lint/suspicious/noExplicitAny: client config differs per SDK client package
  config(credentials: AwsCredentialIdentity, region?: string, extra?: Record<string, unknown>): any;
}

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers) await close();
});

async function harness(transport: Transport, scenario: Scenario | string = SMALL): Promise<Harness> {
  const sandbox = await Sandbox.open({ stateDir: null, scenario });
  givenPartnerRoles(sandbox.world);
  let url: string | undefined;
  if (transport === 'http') {
    const server = await sandbox.listen(0);
    closers.push(server.close);
    url = server.url;
  }
  return {
    sandbox,
    config: (credentials, region = 'us-east-1', extra = {}) => ({
      region,
      credentials,
      ...(url ? { endpoint: url, forcePathStyle: true } : { requestHandler: sandbox.requestHandler() }),
      ...extra,
    }),
  };
}

/**
 * The management root assumes a role in a member: by default the one Organizations made there
 * (Organizations User Guide, orgs_manage_accounts_access), the way in to a member account.
 */
async function assume(
  h: Harness,
  account: string,
  extra: Record<string, unknown> = {},
  role = ORGANIZATION_ACCESS_ROLE,
) {
  const sts = new STSClient(h.config(h.sandbox.adminCredentials));
  const out = await sts.send(
    new AssumeRoleCommand({
      RoleArn: roleArn(account, role),
      RoleSessionName: 'stackfleet-test',
      ...extra,
    }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken)
    throw new Error('AssumeRole returned no credentials');
  return {
    credentials: {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
    },
    expiration: c.Expiration,
    arn: out.AssumedRoleUser?.Arn,
  };
}

async function errorOf(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe.each<Transport>(['in-process', 'http'])('sandbox core through the SDK (%s)', (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(transport);
  });

  test('test/test is the management account, and an assumed role lands calls in the member account', async () => {
    const admin = new STSClient(h.config(h.sandbox.adminCredentials));
    const me = await admin.send(new GetCallerIdentityCommand({}));
    expect(me.Account).toBe(MANAGEMENT);

    const session = await assume(h, APP_PROD);
    expect(session.arn).toBe(
      `arn:aws:sts::${APP_PROD}:assumed-role/${ORGANIZATION_ACCESS_ROLE}/stackfleet-test`,
    );
    expect(session.expiration?.getTime()).toBeGreaterThan(h.sandbox.now() + 3500_000);
    const member = new STSClient(h.config(session.credentials, 'eu-west-1'));
    const who = await member.send(new GetCallerIdentityCommand({}));
    expect(who.Account).toBe(APP_PROD);
    expect(who.Arn).toContain(`:assumed-role/${ORGANIZATION_ACCESS_ROLE}/`);

    // A bucket made with the member session belongs to the member: the admin does not see it.
    const memberS3 = new S3Client(h.config(session.credentials));
    const bucket = `member-owned-${transport}`;
    await memberS3.send(new CreateBucketCommand({ Bucket: bucket }));
    await memberS3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'member data' }));
    const mine = await memberS3.send(new ListBucketsCommand({}));
    expect(mine.Buckets?.map((b) => b.Name)).toContain(bucket);
    const adminS3 = new S3Client(h.config(h.sandbox.adminCredentials));
    const adminList = await adminS3.send(new ListBucketsCommand({}));
    expect(adminList.Buckets?.map((b) => b.Name) ?? []).not.toContain(bucket);
    const denied = await errorOf(adminS3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' })));
    expect(denied.name).toBe('AccessDenied');
  });

  test('AssumeRole refuses a missing or wrong ExternalId, a denying role, a source identity the trust does not allow and a bad session name', async () => {
    const sts = new STSClient(h.config(h.sandbox.adminCredentials));
    // The right ExternalId is let in: the refusals below are the ExternalId's, not the trust's.
    const right = await assume(h, APP_PROD, { ExternalId: EXTERNAL_ID }, PARTNER_ROLE);
    expect(right.arn).toBe(`arn:aws:sts::${APP_PROD}:assumed-role/${PARTNER_ROLE}/stackfleet-test`);
    const missing = await errorOf(
      sts.send(new AssumeRoleCommand({ RoleArn: roleArn(APP_PROD), RoleSessionName: 'no-external-id' })),
    );
    expect(missing.name).toBe('AccessDenied');
    expect(missing.message).toContain(`sts:AssumeRole on resource: ${roleArn(APP_PROD)}`);
    const wrong = await errorOf(
      sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn(APP_PROD),
          RoleSessionName: 'wrong-id',
          ExternalId: 'not-it',
        }),
      ),
    );
    expect(wrong.name).toBe('AccessDenied');
    const deny = await errorOf(
      sts.send(
        new AssumeRoleCommand({ RoleArn: roleArn(LEGACY), RoleSessionName: 'deny', ExternalId: EXTERNAL_ID }),
      ),
    );
    expect(deny.name).toBe('AccessDenied');
    const noRole = await errorOf(
      sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn(APP_PROD, 'NoSuchRole'),
          RoleSessionName: 'x1',
          ExternalId: EXTERNAL_ID,
        }),
      ),
    );
    expect(noRole.name).toBe('AccessDenied');
    // Setting a source identity needs sts:SetSourceIdentity in the role's trust (IAM User Guide,
    // id_credentials_temp_control-access_monitor); Organizations' role trusts sts:AssumeRole only.
    const noSourceIdentity = await errorOf(
      sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn(APP_PROD, ORGANIZATION_ACCESS_ROLE),
          RoleSessionName: 'with-source',
          SourceIdentity: 'stackfleet',
        }),
      ),
    );
    expect(noSourceIdentity.name).toBe('AccessDenied');
    expect(noSourceIdentity.message).toContain(
      `sts:SetSourceIdentity on resource: ${roleArn(APP_PROD, ORGANIZATION_ACCESS_ROLE)}`,
    );
    const badName = await errorOf(
      sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn(APP_PROD),
          RoleSessionName: 'has space',
          ExternalId: EXTERNAL_ID,
        }),
      ),
    );
    expect(badName.name).toBe('ValidationError');
    expect(badName.message).toContain("Value 'has space' at 'roleSessionName'");
  });

  test('Organizations pages through accounts and the OU tree like AWS, for the management account only', async () => {
    const org = new OrganizationsClient(h.config(h.sandbox.adminCredentials));
    const pages: number[] = [];
    const ids: string[] = [];
    for await (const page of paginateListAccounts({ client: org, pageSize: 3 }, {})) {
      pages.push(page.Accounts?.length ?? 0);
      ids.push(...(page.Accounts ?? []).map((a) => a.Id ?? ''));
    }
    expect(pages).toEqual([3, 1]);
    expect(ids.sort()).toEqual([MANAGEMENT, AUDIT, APP_PROD, LEGACY].sort());

    const described = await org.send(new DescribeOrganizationCommand({}));
    expect(described.Organization).toMatchObject({
      Id: 'o-small00001',
      MasterAccountId: MANAGEMENT,
      FeatureSet: 'ALL',
    });
    const roots = await org.send(new ListRootsCommand({}));
    const rootId = roots.Roots?.[0]?.Id;
    expect(rootId).toBe('r-sm01');
    const top = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: rootId }));
    expect(top.OrganizationalUnits?.map((o) => o.Name).sort()).toEqual(['Security', 'Workloads']);
    const workloads = top.OrganizationalUnits?.find((o) => o.Name === 'Workloads')?.Id;
    const nested = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: workloads }));
    expect(nested.OrganizationalUnits?.map((o) => o.Name)).toEqual(['Prod']);
    const prodAccounts = await org.send(
      new ListAccountsForParentCommand({ ParentId: nested.OrganizationalUnits?.[0]?.Id }),
    );
    expect(prodAccounts.Accounts?.map((a) => a.Id)).toEqual([APP_PROD]);

    const tooMany = await errorOf(org.send(new ListAccountsCommand({ MaxResults: 21 })));
    expect(tooMany.name).toBe('InvalidInputException');
    const session = await assume(h, APP_PROD);
    const memberOrg = new OrganizationsClient(h.config(session.credentials));
    const notManagement = await errorOf(memberOrg.send(new ListAccountsCommand({})));
    expect(notManagement.name).toBe('AccessDeniedException');
  });

  test('DescribeRegions shows opt-in regions per account, and STS refuses a region the account has not enabled', async () => {
    const enabled = await assume(h, APP_PROD);
    const notEnabled = await assume(h, AUDIT);
    const names = async (credentials: AwsCredentialIdentity, allRegions?: boolean) => {
      const ec2 = new EC2Client(h.config(credentials));
      const out = await ec2.send(new DescribeRegionsCommand({ AllRegions: allRegions }));
      return Object.fromEntries((out.Regions ?? []).map((r) => [r.RegionName, r.OptInStatus]));
    };
    expect(await names(enabled.credentials)).toEqual({
      'us-east-1': 'opt-in-not-required',
      'eu-west-1': 'opt-in-not-required',
      'af-south-1': 'opted-in',
    });
    expect(await names(notEnabled.credentials)).toEqual({
      'us-east-1': 'opt-in-not-required',
      'eu-west-1': 'opt-in-not-required',
    });
    expect((await names(notEnabled.credentials, true))['af-south-1']).toBe('not-opted-in');

    const inAfrica = new STSClient(h.config(notEnabled.credentials, 'af-south-1'));
    const refused = await errorOf(inAfrica.send(new GetCallerIdentityCommand({})));
    expect(refused.name).toBe('RegionDisabledException');
    const allowed = new STSClient(h.config(enabled.credentials, 'af-south-1'));
    expect((await allowed.send(new GetCallerIdentityCommand({}))).Account).toBe(APP_PROD);
    expect(h.sandbox.world.isRegionEnabled(AUDIT, 'af-south-1')).toBe(false);
  });

  test('S3 keeps every version: get by versionId, delete markers, and the errors for missing things', async () => {
    const s3 = new S3Client(h.config(h.sandbox.adminCredentials));
    const bucket = `templates-${transport}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const key = 'baseline/template v1.yaml';
    const v1 = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: 'Resources: {} # v1',
        ContentType: 'text/yaml',
      }),
    );
    const v2 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'Resources: {} # v2' }));
    expect(v1.VersionId).toBeTruthy();
    expect(v2.VersionId).not.toBe(v1.VersionId);

    const old = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: v1.VersionId }));
    expect(await old.Body?.transformToString()).toBe('Resources: {} # v1');
    expect(old.VersionId).toBe(v1.VersionId);
    expect(old.ContentType).toBe('text/yaml');
    const latest = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(await latest.Body?.transformToString()).toBe('Resources: {} # v2');
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBe('Resources: {} # v2'.length);
    // CloudFormation reads TemplateURLs through the world, by version.
    expect(h.sandbox.world.readObject(bucket, key, v1.VersionId)?.body.toString()).toBe('Resources: {} # v1');

    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    expect(deleted.DeleteMarker).toBe(true);
    expect((await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })))).name).toBe(
      'NoSuchKey',
    );
    const stillThere = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: v1.VersionId }),
    );
    expect(await stillThere.Body?.transformToString()).toBe('Resources: {} # v1');
    expect(
      (await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: 'nope' })))).name,
    ).toBe('NoSuchVersion');
    expect(
      (await errorOf(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket-x', Key: 'k' })))).name,
    ).toBe('NoSuchBucket');
    expect((await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'absent' })))).name).toBe(
      'NotFound',
    );
  });

  test('ListObjectsV2 pages with continuation tokens and groups by delimiter', async () => {
    const s3 = new S3Client(h.config(h.sandbox.adminCredentials));
    const bucket = `results-${transport}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const keys = ['a/1.json', 'a/2.json', 'b/1.json', 'top.json', 'z/deep/1.json'];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 2, ContinuationToken: token }),
      );
      seen.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
      token = page.NextContinuationToken;
      pages += 1;
    } while (token);
    expect(seen).toEqual(keys);
    expect(pages).toBe(3);
    const grouped = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
    expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/', 'z/']);
    expect(grouped.Contents?.map((c) => c.Key)).toEqual(['top.json']);
    const prefixed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'a/' }));
    expect(prefixed.KeyCount).toBe(2);
  });

  test('SNS keeps what was published so people and tests can read it', async () => {
    const sns = new SNSClient(h.config(h.sandbox.adminCredentials, 'eu-west-1'));
    const topic = await sns.send(new CreateTopicCommand({ Name: `rollout-events-${transport}` }));
    expect(topic.TopicArn).toBe(`arn:aws:sns:eu-west-1:${MANAGEMENT}:rollout-events-${transport}`);
    const sent = await sns.send(
      new PublishCommand({
        TopicArn: topic.TopicArn,
        Subject: 'Rollout r-1 finished',
        Message: '{"succeeded":3}',
      }),
    );
    const messages = readSnsMessages(h.sandbox.world, topic.TopicArn);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      messageId: sent.MessageId,
      subject: 'Rollout r-1 finished',
      message: '{"succeeded":3}',
    });
    const listed = await sns.send(new ListTopicsCommand({}));
    expect(listed.Topics?.map((t) => t.TopicArn)).toContain(topic.TopicArn);
    const missing = await errorOf(
      sns.send(new PublishCommand({ TopicArn: `${topic.TopicArn}-gone`, Message: 'x' })),
    );
    expect(missing.name).toBe('NotFoundException');
  });

  test('unknown keys, bad signatures and expired sessions get the errors the SDK knows', async () => {
    const unknown = { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'whatever' };
    expect(
      (await errorOf(new STSClient(h.config(unknown)).send(new GetCallerIdentityCommand({})))).name,
    ).toBe('InvalidClientTokenId');
    expect((await errorOf(new S3Client(h.config(unknown)).send(new ListBucketsCommand({})))).name).toBe(
      'InvalidAccessKeyId',
    );
    expect(
      (await errorOf(new OrganizationsClient(h.config(unknown)).send(new ListRootsCommand({})))).name,
    ).toBe('UnrecognizedClientException');
    const wrongSecret = { accessKeyId: 'test', secretAccessKey: 'not-test' };
    const bad = await errorOf(
      new STSClient(h.config(wrongSecret, 'us-east-1', { maxAttempts: 1 })).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(bad.name).toBe('SignatureDoesNotMatch');
    expect(bad.$metadata?.httpStatusCode).toBe(403);

    const session = await assume(h, APP_PROD, { DurationSeconds: 900 });
    const member = new STSClient(h.config(session.credentials));
    expect((await member.send(new GetCallerIdentityCommand({}))).Account).toBe(APP_PROD);
    h.sandbox.world.advance(901_000);
    const expired = await errorOf(member.send(new GetCallerIdentityCommand({})));
    expect(expired.name).toBe('ExpiredToken');
    const tampered = { ...session.credentials, sessionToken: `${session.credentials.sessionToken}x` };
    expect(
      (await errorOf(new STSClient(h.config(tampered)).send(new GetCallerIdentityCommand({})))).name,
    ).toBe('InvalidClientTokenId');
  });

  test('an operation the sandbox does not emulate says so by name', async () => {
    const sts = new STSClient(h.config(h.sandbox.adminCredentials));
    const e = await errorOf(sts.send(new GetSessionTokenCommand({})));
    expect(e.message).toBe('not implemented in the sandbox: STS.GetSessionToken');
    expect(e.$metadata?.httpStatusCode).toBe(400);
    const s3 = new S3Client(h.config(h.sandbox.adminCredentials));
    await s3.send(new CreateBucketCommand({ Bucket: `policy-${transport}` }));
    const s3e = await errorOf(s3.send(new GetBucketTaggingCommand({ Bucket: `policy-${transport}` })));
    expect(s3e.message).toBe('not implemented in the sandbox: S3.GetBucketTagging');
    expect(s3e.$metadata?.httpStatusCode).toBe(400);
  });
});

describe.each<Transport>(['in-process', 'http'])('throttling fault (%s)', (transport) => {
  test('a throttled first attempt is retried by the SDK on its own and the call succeeds', async () => {
    const scenario = validateScenario({
      ...loadScenarioFile(SMALL),
      faults: { throttle: { rate: 0.5, services: ['sts', 'organizations'] } },
    });
    const h = await harness(transport, scenario);
    // The SDK backs off between attempts; virtual time makes those waits free.
    await h.sandbox.runWithVirtualTime(async () => {
      const sts = new STSClient(h.config(h.sandbox.adminCredentials, 'us-east-1', { maxAttempts: 10 }));
      const attempts: number[] = [];
      for (let i = 0; i < 12; i++) {
        const out = await sts.send(new GetCallerIdentityCommand({}));
        expect(out.Account).toBe(MANAGEMENT);
        attempts.push(out.$metadata.attempts ?? 1);
      }
      const throttled = h.sandbox.world.metrics.throttled['sts.GetCallerIdentity'] ?? 0;
      expect(throttled).toBeGreaterThan(0);
      // Every throttled answer cost one extra attempt, and the SDK made them without being asked.
      expect(attempts.reduce((a, b) => a + b, 0)).toBe(12 + throttled);

      const once = new STSClient(h.config(h.sandbox.adminCredentials, 'us-east-1', { maxAttempts: 1 }));
      const org = new OrganizationsClient(
        h.config(h.sandbox.adminCredentials, 'us-east-1', { maxAttempts: 1 }),
      );
      const names = new Set<string>();
      for (let i = 0; i < 20; i++) {
        await once.send(new GetCallerIdentityCommand({})).catch((e: Error) => names.add(e.name));
        await org.send(new ListRootsCommand({})).catch((e: Error) => names.add(e.name));
      }
      expect([...names].sort()).toEqual(['Throttling', 'ThrottlingException']);
    });
  });
});

test('the demo organisation is what `npm start` rehearses against: 30 accounts, nested OUs, an opt-in region', async () => {
  const sandbox = await Sandbox.open({ stateDir: null });
  expect(sandbox.scenario).toEqual(validateScenario(demoScenario()));
  const org = new OrganizationsClient({
    region: 'us-east-1',
    credentials: sandbox.adminCredentials,
    requestHandler: sandbox.requestHandler(),
  });
  const ids: string[] = [];
  for await (const page of paginateListAccounts({ client: org }, {}))
    ids.push(...(page.Accounts ?? []).map((a) => a.Id ?? ''));
  expect(ids).toHaveLength(30);
  const enabledIn = ids.filter((id) => sandbox.world.isRegionEnabled(id, 'af-south-1'));
  expect(enabledIn.length).toBeGreaterThan(0);
  expect(enabledIn.length).toBeLessThan(5);
});

test('extra access keys from the scenario act as their account; chained sessions keep SourceIdentity and the 1-hour limit', async () => {
  const scenario = validateScenario({
    ...loadScenarioFile(SMALL),
    accessKeys: [
      { accessKeyId: 'AKIAAUDITOR000000001', secretAccessKey: 'auditor-secret', accountId: AUDIT },
    ],
  });
  const h = await harness('in-process', scenario);
  const auditor = new STSClient(
    h.config({ accessKeyId: 'AKIAAUDITOR000000001', secretAccessKey: 'auditor-secret' }),
  );
  expect((await auditor.send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${AUDIT}:root`);

  const first = await assume(
    h,
    APP_PROD,
    { SourceIdentity: 'stackfleet', ExternalId: EXTERNAL_ID },
    PARTNER_ROLE,
  );
  const chained = new STSClient(h.config(first.credentials));
  const second = await chained.send(
    new AssumeRoleCommand({ RoleArn: roleArn(AUDIT), RoleSessionName: 'hop', ExternalId: EXTERNAL_ID }),
  );
  expect(second.SourceIdentity).toBe('stackfleet');
  expect(second.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${AUDIT}:assumed-role/${PARTNER_ROLE}/hop`);
  const tooLong = await errorOf(
    chained.send(
      new AssumeRoleCommand({
        RoleArn: roleArn(AUDIT),
        RoleSessionName: 'hop',
        ExternalId: EXTERNAL_ID,
        DurationSeconds: 7200,
      }),
    ),
  );
  expect(tooLong.name).toBe('ValidationError');
  expect(tooLong.message).toContain('1 hour session limit for roles assumed by role chaining');
  const changed = await errorOf(
    chained.send(
      new AssumeRoleCommand({
        RoleArn: roleArn(AUDIT),
        RoleSessionName: 'hop',
        ExternalId: EXTERNAL_ID,
        SourceIdentity: 'someone-else',
      }),
    ),
  );
  expect(changed.name).toBe('AccessDenied');
});

test('a bug in an emulator answers InternalFailure naming it, and the sandbox keeps serving', async () => {
  const h = await harness('in-process');
  h.sandbox.register({
    signingName: 'sns',
    protocol: 'query',
    operations: {
      ListTopics: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'topics')");
      },
    },
  });
  const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  try {
    const sns = new SNSClient(h.config(h.sandbox.adminCredentials, 'us-east-1', { maxAttempts: 1 }));
    const e = await errorOf(sns.send(new ListTopicsCommand({})));
    expect(e.name).toBe('InternalFailure');
    expect(e.message).toContain(
      "Internal error in the sandbox: Cannot read properties of undefined (reading 'topics')",
    );
    expect(e.$metadata?.httpStatusCode).toBe(500);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('TypeError'), 'SandboxBugWarning');
  } finally {
    warn.mockRestore();
  }
  const sts = new STSClient(h.config(h.sandbox.adminCredentials));
  expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(MANAGEMENT);
});

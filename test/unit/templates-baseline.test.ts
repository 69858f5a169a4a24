// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these are CloudFormation Fn::Sub strings, not JS templates
/**
 * What the baseline and the bootstrap role promise, read from the templates as CloudFormation
 * sees them (through CfnInclude). Conditions are evaluated per region, so "global resources
 * only in the home region" is checked as the set of resources each region would create. Who may
 * assume the bootstrap's roles is decided by the sandbox's evaluator on the trust policies the
 * stack would create (test/helpers/template-policies.ts), with and without an ExternalId.
 */
import { resolve } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { AdminDefaults } from '../../infra/lib/admin-stack';
import { ArtifactPrefixes } from '../../infra/lib/artifact-store';
import { TARGET_ACCESS_ROLE_PATH } from '../../infra/lib/rollout-functions';
import { baseline, executionRole, type Json, referencesIn, resourcesIn } from '../helpers/included-templates';
import {
  decideAssumeRole,
  loadTemplate,
  resolver,
  roleSession,
  trustPolicy,
} from '../helpers/template-policies';

/** Account-wide resources: one per account, so only the home region's stack may create them. */
const accountWide = ['Trail', 'TrailBucket', 'TrailLogGroup', 'TrailToLogsRole', 'ContainmentPolicy'];

describe('baseline.yaml', () => {
  it('deploys with no parameters at all: every parameter has a default', () => {
    const parameters = baseline.json.Parameters as Record<string, { Default?: unknown }>;
    const missing = Object.entries(parameters)
      .filter(([, p]) => p.Default === undefined)
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('creates the trail and the containment policy in the home region only, the regional resources everywhere', () => {
    const home = resourcesIn('eu-west-1', { HomeRegion: 'eu-west-1' });
    const other = resourcesIn('ap-southeast-2', { HomeRegion: 'eu-west-1' });
    expect(home).toEqual(expect.arrayContaining(accountWide));
    expect(other.filter((id) => accountWide.includes(id))).toEqual([]);
    for (const regional of [
      'ConfigRecorder',
      'ConfigRecorderRole',
      'ConfigDeliveryChannel',
      'AlertsTopic',
      'CloudTrailTamperingRule',
    ]) {
      expect(home).toContain(regional);
      expect(other).toContain(regional);
    }
  });

  it('names every role a region creates after the region, so two regions never create the same global name', () => {
    const types = baseline.json.Resources as Record<string, { Type: string; Properties: Json }>;
    for (const [id, resource] of Object.entries(types)) {
      if (resource.Type !== 'AWS::IAM::Role' || accountWide.includes(id)) continue;
      expect({ id, name: resource.Properties.RoleName }).toEqual({
        id,
        name: { 'Fn::Sub': expect.stringMatching(/\$\{AWS::Region\}$/) },
      });
    }
  });

  // A first full rollout deploys every region of an account at once; a region whose stack uses
  // a role or resource that only the home region's stack creates fails until that one is done.
  it.each([
    ['ap-southeast-2', { HomeRegion: 'eu-west-1' }],
    ['us-east-1', { HomeRegion: 'eu-west-1', AdminAccountId: '111111111111', AdminRegion: 'eu-west-1' }],
    ['eu-west-1', { HomeRegion: 'eu-west-1', AdminAccountId: '111111111111', AdminRegion: 'us-east-1' }],
  ] as Array<[string, Record<string, string>]>)(
    'in %s (%j) refers only to resources and roles its own stack creates: no region waits for another',
    (region, overrides) => {
      const present = new Set(resourcesIn(region, overrides));
      const all = baseline.json.Resources as Record<string, { Type: string; Properties?: Json }>;
      const createdRoles = new Set(
        [...present]
          .filter((id) => all[id]?.Type === 'AWS::IAM::Role')
          .map((id) => JSON.stringify(all[id]?.Properties?.RoleName)),
      );
      const { logicalIds, roleNames } = referencesIn(
        [...present].map((id) => all[id]),
        region,
        overrides,
      );
      expect([...logicalIds].filter((id) => all[id] && !present.has(id))).toEqual([]);
      expect([...roleNames].filter((name) => !createdRoles.has(JSON.stringify({ 'Fn::Sub': name })))).toEqual(
        [],
      );
    },
  );

  it('puts the IAM-change rule where IAM events arrive (us-east-1), not in every region', () => {
    expect(resourcesIn('us-east-1', { HomeRegion: 'eu-west-1' })).toContain('IamChangesRule');
    expect(resourcesIn('eu-west-1', { HomeRegion: 'eu-west-1' })).not.toContain('IamChangesRule');
  });

  it('skips Config where another recorder exists, and forwarding when no admin account is given', () => {
    const noConfig = resourcesIn('us-east-1', { EnableConfig: 'false' });
    expect(noConfig).not.toContain('ConfigRecorder');
    expect(noConfig).not.toContain('ConfigRecorderRole');
    expect(resourcesIn('us-east-1')).not.toContain('EventForwarderRole');
    expect(resourcesIn('us-east-1', { AdminAccountId: '111111111111' })).toContain('EventForwarderRole');
  });

  it('has a multi-region trail with global events, log file validation, KMS and CloudWatch Logs', () => {
    baseline.template.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      IsLogging: true,
      KMSKeyId: { 'Fn::GetAtt': ['BaselineKey', 'Arn'] },
      CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': ['TrailLogGroup', 'Arn'] },
      S3BucketName: { Ref: 'TrailBucket' },
    });
  });

  it('records global resource types in the home region only', () => {
    baseline.template.hasResourceProperties('AWS::Config::ConfigurationRecorder', {
      RecordingGroup: {
        AllSupported: true,
        IncludeGlobalResourceTypes: { 'Fn::If': ['IsHomeRegion', true, false] },
      },
    });
  });

  it('logs access to the trail and Config buckets, blocks public access and refuses plain HTTP on every bucket', () => {
    for (const id of ['TrailBucket', 'ConfigBucket']) {
      expect(baseline.json.Resources[id]).toMatchObject({
        Properties: { LoggingConfiguration: { DestinationBucketName: { Ref: 'AccessLogBucket' } } },
      });
    }
    const buckets = baseline.template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets).sort()).toEqual(['AccessLogBucket', 'ConfigBucket', 'TrailBucket']);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    const policies = Object.values(baseline.template.findResources('AWS::S3::BucketPolicy'));
    const guarded = policies.map((p) => p.Properties.Bucket.Ref).sort();
    expect(guarded).toEqual(['AccessLogBucket', 'ConfigBucket', 'TrailBucket']);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('alerts on IAM changes and on CloudTrail tampering, forwarding tampering to the admin bus', () => {
    baseline.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.iam'],
        detail: {
          eventName: Match.arrayWith([
            'CreateUser',
            'CreateRole',
            'CreateAccessKey',
            'AttachRolePolicy',
            'PutRolePolicy',
          ]),
        },
      },
      Targets: [{ Arn: { Ref: 'AlertsTopic' }, Id: 'SecurityAlerts' }],
    });
    const tamper = baseline.json.Resources.CloudTrailTamperingRule as Json;
    expect(tamper).toMatchObject({
      Properties: {
        EventPattern: {
          // Config's calls too (issue 16): source aws.config, eventSource config.amazonaws.com.
          source: ['aws.cloudtrail', 'aws.config'],
          detail: {
            eventSource: ['cloudtrail.amazonaws.com', 'config.amazonaws.com'],
            eventName: expect.arrayContaining([
              'StopLogging',
              'DeleteTrail',
              'UpdateTrail',
              'StopConfigurationRecorder',
              'DeleteConfigurationRecorder',
              'DeleteDeliveryChannel',
            ]),
          },
        },
      },
    });
    const targets = (tamper.Properties as { Targets: unknown[] }).Targets;
    expect(JSON.stringify(targets)).toContain(':event-bus/${AdminEventBusName}');
    expect(targets[1]).toMatchObject({
      'Fn::If': ['ForwardToAdmin', expect.anything(), { Ref: 'AWS::NoValue' }],
    });
  });

  it('encrypts the alerts topic with the customer key and ships a deny-everything containment policy', () => {
    baseline.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': ['BaselineKey', 'Arn'] },
    });
    baseline.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    baseline.template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Sid: 'DenyEverything' }] },
    });
  });
});

describe('execution-role.yaml', () => {
  const trust = () =>
    (
      executionRole.json.Resources.ExecutionRole as {
        Properties: { AssumeRolePolicyDocument: { Statement: Json[] } };
      }
    ).Properties.AssumeRolePolicyDocument.Statement;

  it('takes the parameters the docs name, with the role name defaulting to StackFleetExecution', () => {
    const parameters = executionRole.json.Parameters as Record<
      string,
      { Default?: string; NoEcho?: boolean }
    >;
    expect(Object.keys(parameters)).toEqual(
      expect.arrayContaining([
        'AdminAccountId',
        'OrganizationId',
        'ExternalId',
        'StackNamePrefix',
        'RoleName',
      ]),
    );
    expect(parameters.RoleName?.Default).toBe('StackFleetExecution');
    expect(parameters.ExternalId?.NoEcho).toBe(true);
  });

  describe('trust, decided by the sandbox evaluator on the trust the stack creates', () => {
    const ADMIN = '111111111111';
    const TARGET = '222222222222';
    const ORG = 'o-abcdefghij';
    const bootstrap = loadTemplate(resolve(__dirname, '../../templates/execution-role.yaml'));
    const trustWith = (externalId: string) =>
      trustPolicy(
        bootstrap,
        'ExecutionRole',
        resolver(bootstrap, {
          accountId: TARGET,
          region: 'eu-west-1',
          parameters: { AdminAccountId: ADMIN, OrganizationId: ORG, ExternalId: externalId },
        }),
      );
    const executionRoleArn = `arn:aws:iam::${TARGET}:role/StackFleetExecution`;
    const deployFunction = roleSession(
      `arn:aws:iam::${ADMIN}:role${TARGET_ACCESS_ROLE_PATH}StackFleetAdmin-DeployFunctionRole-1A2B3C`,
    );
    const inOrg = { 'aws:PrincipalOrgID': ORG };
    const assume = (externalId: string, principal = deployFunction, context: Json = inOrg) =>
      decideAssumeRole(trustWith(externalId), executionRoleArn, principal, context as Record<string, string>);
    const others: Array<[string, ReturnType<typeof roleSession>, Json]> = [
      ['an admin-account role outside the path', roleSession(`arn:aws:iam::${ADMIN}:role/Developer`), inOrg],
      ['a function role of another organisation', deployFunction, { 'aws:PrincipalOrgID': 'o-zzzzzzzzzz' }],
      ['a function role with no organisation', deployFunction, {}],
      [
        'a role under the path in another account',
        roleSession(`arn:aws:iam::333333333333:role${TARGET_ACCESS_ROLE_PATH}Deploy`),
        inOrg,
      ],
      [
        "the admin account's root",
        { kind: 'root', arn: `arn:aws:iam::${ADMIN}:root`, accountId: ADMIN },
        inOrg,
      ],
    ];

    it('with an ExternalId: only admin function roles under the path, in the organisation, presenting it', () => {
      expect(assume('x-external', deployFunction, { ...inOrg, 'sts:ExternalId': 'x-external' })).toBe(
        'Allow',
      );
      expect(assume('x-external')).toBe('ImplicitDeny');
      expect(assume('x-external', deployFunction, { ...inOrg, 'sts:ExternalId': 'guessed' })).toBe(
        'ImplicitDeny',
      );
      for (const [who, principal, context] of others) {
        expect({
          who,
          decision: assume('x-external', principal, { ...context, 'sts:ExternalId': 'x-external' }),
        }).toEqual({
          who,
          decision: 'ImplicitDeny',
        });
      }
    });

    it('without an ExternalId (the default): the same principals, with no ExternalId asked for', () => {
      expect((bootstrap.Parameters.ExternalId as { Default?: unknown }).Default).toBe('');
      expect(assume('')).toBe('Allow');
      for (const [who, principal, context] of others) {
        expect({ who, decision: assume('', principal, context) }).toEqual({ who, decision: 'ImplicitDeny' });
      }
    });

    it('lets CloudFormation assume the service role with the context it sends (none: using-iam-servicerole names only the service principal), and nobody else', () => {
      const serviceRoleTrust = trustPolicy(
        bootstrap,
        'CloudFormationRole',
        resolver(bootstrap, {
          accountId: TARGET,
          region: 'eu-west-1',
          parameters: { AdminAccountId: ADMIN, OrganizationId: ORG },
        }),
      );
      const serviceRoleArn = `arn:aws:iam::${TARGET}:role/StackFleetCloudFormation`;
      const service = (name: string) => ({ kind: 'service' as const, arn: name, service: name });
      expect(
        decideAssumeRole(serviceRoleTrust, serviceRoleArn, service('cloudformation.amazonaws.com')),
      ).toBe('Allow');
      expect(decideAssumeRole(serviceRoleTrust, serviceRoleArn, service('lambda.amazonaws.com'))).not.toBe(
        'Allow',
      );
      expect(decideAssumeRole(serviceRoleTrust, serviceRoleArn, deployFunction, inOrg)).not.toBe('Allow');
    });
  });

  it('lets the admin function roles set their SourceIdentity under the same principal conditions', () => {
    const sourceIdentity = trust().find((s) => s.Action === 'sts:SetSourceIdentity');
    expect(sourceIdentity).toMatchObject({
      Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AdminAccountId}:root' } },
      Condition: {
        StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } },
        ArnLike: {
          'aws:PrincipalArn': {
            'Fn::Sub': 'arn:${AWS::Partition}:iam::${AdminAccountId}:role${AdminRolePath}*',
          },
        },
      },
    });
    expect(trust().map((s) => s.Action)).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity']);
  });

  it('limits the role to prefixed stacks, changed only through the one CloudFormation service role', () => {
    const statements = (
      executionRole.json.Resources.ExecutionRole as {
        Properties: { Policies: Array<{ PolicyDocument: { Statement: Array<Json & { Sid: string }> } }> };
      }
    ).Properties.Policies.flatMap((p) => p.PolicyDocument.Statement);
    const change = statements.find((s) => s.Sid === 'ChangeStacksOnlyThroughTheServiceRole');
    expect(change).toMatchObject({
      Resource: {
        'Fn::Sub': 'arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/${StackNamePrefix}*/*',
      },
      Condition: {
        StringEquals: { 'cloudformation:RoleArn': { 'Fn::GetAtt': ['CloudFormationRole', 'Arn'] } },
      },
    });
    const pass = statements.filter((s) => JSON.stringify(s.Action).includes('iam:'));
    expect(pass).toEqual([
      expect.objectContaining({
        Action: 'iam:PassRole',
        Resource: { 'Fn::GetAtt': ['CloudFormationRole', 'Arn'] },
      }),
    ]);
    // Nothing but CloudFormation, the one PassRole, and reading the admin's templates.
    const services = new Set(
      statements.flatMap((s) => [s.Action].flat() as string[]).map((action) => action.split(':')[0]),
    );
    expect([...services].sort()).toEqual(['cloudformation', 'ec2', 'iam', 'kms', 's3']);
  });

  it('gives the CloudFormation service role IAM rights on baseline-prefixed names only (decisions: execution-role-permissions.test.ts)', () => {
    const statements = (
      executionRole.json.Resources.CloudFormationRole as {
        Properties: { Policies: Array<{ PolicyDocument: { Statement: Array<Json & { Effect: string }> } }> };
      }
    ).Properties.Policies.flatMap((p) => p.PolicyDocument.Statement);
    const iamAllows = statements.filter(
      (s) => s.Effect === 'Allow' && JSON.stringify(s.Action).includes('"iam:'),
    );
    expect(iamAllows.length).toBeGreaterThan(0);
    for (const statement of iamAllows) {
      expect(JSON.stringify(statement.Resource)).toMatch(/:(role|policy)\/\$\{BaselineIamNamePrefix\}-/);
    }
  });
});

describe('the bootstrap template agrees with the admin stack and the baseline', () => {
  const defaults = (t: typeof executionRole) =>
    Object.fromEntries(
      Object.entries(t.json.Parameters as Record<string, { Default?: string }>).map(([k, v]) => [
        k,
        v.Default,
      ]),
    );

  it('trusts the IAM path the admin functions live under and uses the role name they assume', () => {
    const role = defaults(executionRole);
    expect(role.AdminRolePath).toBe(TARGET_ACCESS_ROLE_PATH);
    expect(role.RoleName).toBe(AdminDefaults.executionRoleName);
  });

  it('lets the baseline stack name through the prefix, and its IAM names through the service role', () => {
    const role = defaults(executionRole);
    expect(AdminDefaults.stackName.startsWith(role.StackNamePrefix as string)).toBe(true);
    expect(role.BaselineIamNamePrefix).toBe(defaults(baseline).IamNamePrefix);
  });

  it('puts the baseline roles under the boundary the bootstrap creates, by default', () => {
    expect(defaults(baseline).PermissionsBoundaryName).toBe(defaults(executionRole).BaselineBoundaryName);
  });

  it('reads templates from the prefix the admin bucket shares with the organisation', () => {
    expect(JSON.stringify(executionRole.json.Resources.ExecutionRole)).toContain(
      `s3:::*/${ArtifactPrefixes.templates}*`,
    );
    expect(AdminDefaults.templateKey.startsWith(ArtifactPrefixes.templates)).toBe(true);
  });
});

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these are CloudFormation Fn::Sub strings, not JS templates
/**
 * The baseline's trail, key, bucket policy and event forwarding against what AWS documents for
 * them, read from the template as CloudFormation sees it.
 */
import { baseline, evaluate, type Json, parameterValues } from '../helpers/included-templates';

describe('baseline.yaml follows what AWS documents for the trail, its key, bucket and forwarding', () => {
  type Statement = Json & { Sid?: string; Action: string | string[]; Condition?: Json };
  const resource = (id: string) => baseline.json.Resources[id] as { Properties: Json };
  const keyStatements = () =>
    (resource('BaselineKey').Properties.KeyPolicy as { Statement: Statement[] }).Statement;
  const cloudTrail = (statements: Statement[]) =>
    statements.filter(
      (s) => (s.Principal as { Service?: string } | undefined)?.Service === 'cloudtrail.amazonaws.com',
    );
  const trailArn = {
    'Fn::Sub':
      'arn:${AWS::Partition}:cloudtrail:${HomeRegion}:${AWS::AccountId}:trail/${IamNamePrefix}-baseline',
  };

  it('trusts CloudTrail on the CloudWatch Logs role without aws:SourceArn or aws:SourceAccount (CloudTrail guide, "Role policy document for CloudTrail to use CloudWatch Logs for monitoring": the role policy does not support them)', () => {
    const trust = (
      resource('TrailToLogsRole').Properties.AssumeRolePolicyDocument as { Statement: Statement[] }
    ).Statement;
    expect(trust).toEqual([
      { Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
  });

  it('lets CloudTrail describe the key in a statement of its own, not under an encryption-context condition DescribeKey never carries (CloudTrail guide, "Configure AWS KMS key policies for CloudTrail")', () => {
    const statements = cloudTrail(keyStatements());
    const describe = statements.filter((s) => [s.Action].flat().includes('kms:DescribeKey'));
    expect(describe).toHaveLength(1);
    expect(describe[0]).toMatchObject({
      Action: 'kms:DescribeKey',
      Condition: { StringEquals: { 'aws:SourceArn': trailArn } },
    });
    expect(JSON.stringify(describe[0]?.Condition)).not.toContain('kms:EncryptionContext');
    const encrypt = statements.filter((s) => [s.Action].flat().includes('kms:GenerateDataKey*'));
    expect(encrypt).toEqual([
      expect.objectContaining({
        Action: 'kms:GenerateDataKey*',
        Condition: {
          StringEquals: { 'aws:SourceArn': trailArn },
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': {
              'Fn::Sub': 'arn:${AWS::Partition}:cloudtrail:*:${AWS::AccountId}:trail/*',
            },
          },
        },
      }),
    ]);
  });

  it('lets only the baseline trail check and write its bucket, with the bucket-owner-full-control ACL (CloudTrail guide, "Amazon S3 bucket policy for CloudTrail")', () => {
    const statements = cloudTrail(
      (resource('TrailBucketPolicy').Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    expect(statements.map((s) => [s.Action, s.Condition])).toEqual([
      ['s3:GetBucketAcl', { StringEquals: { 'aws:SourceArn': trailArn } }],
      [
        's3:PutObject',
        { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': trailArn } },
      ],
    ]);
  });

  it('names the trail so that the ARN the key and bucket policies allow is the trail the stack creates', () => {
    expect(resource('Trail').Properties.TrailName).toEqual({ 'Fn::Sub': '${IamNamePrefix}-baseline' });
    expect(resource('Trail')).toMatchObject({ Condition: 'IsHomeRegion' });
  });

  it('forwards tampering to the admin bus in AdminRegion, where the admin stack keeps its bus policy and rule, whatever HomeRegion is', () => {
    const target = (
      resource('CloudTrailTamperingRule').Properties.Targets as Array<{ 'Fn::If'?: [string, Json, unknown] }>
    )[1]?.['Fn::If']?.[1];
    const bus = {
      'Fn::Sub':
        'arn:${AWS::Partition}:events:${AdminRegion}:${AdminAccountId}:event-bus/${AdminEventBusName}',
    };
    expect(target).toEqual({
      Id: 'AdminEventBus',
      Arn: bus,
      RoleArn: { 'Fn::GetAtt': ['EventForwarderRole', 'Arn'] },
    });
    expect(JSON.stringify(resource('EventForwarderRole').Properties.Policies)).toContain(JSON.stringify(bus));
    expect(JSON.stringify(baseline.json.Resources)).not.toContain('events:${HomeRegion}');
  });

  it('refuses AdminAccountId without AdminRegion (a CloudFormation rule), so events are never sent to a region without the bus policy', () => {
    const rules = baseline.json.Rules as Record<
      string,
      { RuleCondition: unknown; Assertions: Array<{ Assert: unknown }> }
    >;
    const rule = rules.ForwardingNeedsTheAdminRegion;
    const holds = (params: Record<string, string>) => {
      const ctx = { region: 'eu-west-1', params: parameterValues(params), conditions: {} };
      return !evaluate(rule?.RuleCondition, ctx) || rule!.Assertions.every((a) => evaluate(a.Assert, ctx));
    };
    expect(holds({ AdminAccountId: '111111111111' })).toBe(false);
    expect(holds({ AdminAccountId: '111111111111', AdminRegion: 'us-east-1' })).toBe(true);
    expect(holds({})).toBe(true);
  });
});

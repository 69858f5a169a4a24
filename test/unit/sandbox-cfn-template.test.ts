import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EvalContext, evaluateConditions, resolveValue } from '../../src/sandbox/cfn/intrinsics';
import { resolveParameters } from '../../src/sandbox/cfn/parameters';
import { recreationFor } from '../../src/sandbox/cfn/resource-types';
import { parseTemplate, type TemplateValue } from '../../src/sandbox/cfn/template';
import { cfnCaller, createTestWorld, testScenario } from '../../src/sandbox/cfn/testing';

function ctx(overrides: Partial<EvalContext> = {}): EvalContext {
  return {
    accountId: '123456789012',
    region: 'eu-west-1',
    stackName: 'baseline',
    stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/baseline/x',
    parameters: { Env: 'prod', Subnets: ['a', 'b', 'c'] },
    conditions: { IsProd: true },
    resourceRef: (id) => (id === 'Bucket' ? 'my-bucket' : undefined),
    resourceAttribute: (id, attr) => (id === 'Bucket' ? `arn:aws:s3:::my-bucket/${attr}` : undefined),
    importValue: (name) => (name === 'shared-vpc' ? 'vpc-123' : undefined),
    mappings: { Regions: { 'eu-west-1': { Ami: 'ami-1' } } },
    ...overrides,
  };
}

function yamlValue(expr: string): TemplateValue {
  const template = parseTemplate(
    `Parameters:\n  Env: {Type: String}\n  Subnets: {Type: CommaDelimitedList}\nResources:\n  Bucket: {Type: AWS::S3::Bucket}\n  Later: {Type: AWS::SNS::Topic}\n  R:\n    Type: AWS::CloudFormation::WaitConditionHandle\n    Properties:\n      V: ${expr}\n`,
  );
  return template.Resources.R?.Properties?.V as TemplateValue;
}

describe('intrinsic functions (short YAML tags)', () => {
  it.each([
    ['!Ref Env', 'prod'],
    ["!Ref 'AWS::Region'", 'eu-west-1'],
    ["!Sub '${AWS::StackName}-${Env}-${Bucket}'", 'baseline-prod-my-bucket'],
    ["!Sub 'arn:${AWS::Partition}:s3:::${Bucket.Arn}'", 'arn:aws:s3:::arn:aws:s3:::my-bucket/Arn'],
    ["!Sub ['${A}-x', {A: !Ref Env}]", 'prod-x'],
    ["!Sub 'literal ${!NotAVar}'", 'literal ${NotAVar}'],
    ['!GetAtt Bucket.Arn', 'arn:aws:s3:::my-bucket/Arn'],
    ["!Join ['-', [a, !Ref Env]]", 'a-prod'],
    ["!Join [',', !Ref Subnets]", 'a,b,c'],
    ['!Select [1, !Ref Subnets]', 'b'],
    ["!Select [0, !Split [',', 'x,y']]", 'x'],
    ["!FindInMap [Regions, !Ref 'AWS::Region', Ami]", 'ami-1'],
    ['!If [IsProd, big, small]', 'big'],
    ['!Base64 hi', 'aGk='],
    ["!Select [2, !GetAZs '']", 'eu-west-1c'],
    ['!ImportValue shared-vpc', 'vpc-123'],
    ['!Equals [!Ref Env, prod]', true],
    ['!Not [!Equals [!Ref Env, prod]]', false],
    ['!And [!Condition IsProd, !Equals [a, a]]', true],
    ['!Or [!Equals [a, b], !Equals [1, 1]]', true],
  ])('%s -> %j', (expr, expected) => {
    expect(resolveValue(yamlValue(expr), ctx())).toEqual(expected);
  });

  it('drops properties set to AWS::NoValue', () => {
    expect(resolveValue(yamlValue("{A: !If [IsProd, !Ref 'AWS::NoValue', x], B: 1}"), ctx())).toEqual({
      B: 1,
    });
  });

  it('marks values of resources not created yet as unresolved (for Dynamic change-set evaluation)', () => {
    expect(String(resolveValue(yamlValue('!GetAtt Later.Arn'), ctx()))).toContain('unresolved:Later.Arn');
  });

  it('refuses missing mappings and imports with AWS-style messages', () => {
    expect(() => resolveValue(yamlValue('!FindInMap [Regions, us-east-1, Ami]'), ctx())).toThrow(
      'Template error: Unable to get mapping for Regions::us-east-1::Ami',
    );
    expect(() => resolveValue(yamlValue('!ImportValue missing'), ctx())).toThrow(
      'No export named missing found',
    );
  });

  it('evaluates conditions that refer to other conditions', () => {
    const template = parseTemplate(`Parameters:
  Home: {Type: String, Default: eu-west-1}
Conditions:
  IsHome: !Equals [!Ref 'AWS::Region', !Ref Home]
  NotHome: !Not [!Condition IsHome]
Resources:
  R: {Type: AWS::SNS::Topic, Condition: NotHome}
`);
    expect(evaluateConditions(template, ctx({ parameters: { Home: 'eu-west-1' } }))).toEqual({
      IsHome: true,
      NotHome: false,
    });
    expect(evaluateConditions(template, ctx({ parameters: { Home: 'us-east-1' } }))).toEqual({
      IsHome: false,
      NotHome: true,
    });
  });
});

describe('template structure', () => {
  it.each([
    ['{"Resources": {"A": {"Properties": {}}}}', 'Every Resources object must contain a Type member'],
    [
      'Foo: 1\nResources: {A: {Type: AWS::CloudFormation::WaitConditionHandle}}',
      'Invalid template property or properties [Foo]',
    ],
    [
      "AWSTemplateFormatVersion: '2011-01-01'\nResources: {A: {Type: AWS::CloudFormation::WaitConditionHandle}}",
      'Unsupported template version',
    ],
    [
      'Resources: {A: {Type: AWS::CloudFormation::WaitConditionHandle, DependsOn: B}}',
      'Unresolved resource dependencies [B]',
    ],
    [
      'Resources: {A: {Type: AWS::CloudFormation::WaitConditionHandle, Condition: Nope}}',
      'Unresolved dependencies [Nope]',
    ],
    ['{"Resources": ', 'JSON not well-formed'],
  ])('%s is refused with "%s"', (body, message) => {
    expect(() => parseTemplate(body)).toThrow(message);
  });

  it('parses JSON and YAML templates to the same long form', () => {
    const json = parseTemplate(
      '{"Resources": {"A": {"Type": "AWS::CloudFormation::WaitConditionHandle", "Properties": {"N": {"Fn::Sub": "${AWS::Region}"}}}}}',
    );
    const yaml = parseTemplate(
      "Resources:\n  A:\n    Type: AWS::CloudFormation::WaitConditionHandle\n    Properties:\n      N: !Sub '${AWS::Region}'\n",
    );
    expect(json.Resources).toEqual(yaml.Resources);
    expect([json.format, yaml.format]).toEqual(['JSON', 'YAML']);
  });

  it('knows which property changes replace common baseline resources', () => {
    expect(
      [
        ['AWS::S3::Bucket', 'BucketName'],
        ['AWS::CloudTrail::Trail', 'TrailName'],
        ['AWS::KMS::Key', 'KeySpec'],
        ['AWS::SNS::Topic', 'TopicName'],
        ['AWS::IAM::Role', 'RoleName'],
        ['AWS::Config::ConfigurationRecorder', 'Name'],
        ['AWS::Events::Rule', 'Name'],
        ['AWS::Logs::LogGroup', 'LogGroupName'],
        ['AWS::Logs::LogGroup', 'RetentionInDays'],
        ['AWS::CloudTrail::Trail', 'IsLogging'],
        ['Custom::Unknown', 'Anything'],
      ].map(([type, prop]) => recreationFor(type as string, prop as string)),
    ).toEqual([
      'Always',
      'Always',
      'Always',
      'Always',
      'Always',
      'Always',
      'Always',
      'Always',
      'Never',
      'Never',
      'Never',
    ]);
  });

  it('resolves parameters with defaults, UsePreviousValue and list types', () => {
    const template = parseTemplate(`Parameters:
  A: {Type: String, Default: x}
  L: {Type: CommaDelimitedList}
  N: {Type: Number, Default: 5}
Resources: {R: {Type: AWS::CloudFormation::WaitConditionHandle}}
`);
    const resolved = resolveParameters(
      template,
      [
        { ParameterKey: 'L', ParameterValue: 'p, q' },
        { ParameterKey: 'N', UsePreviousValue: true },
      ],
      { N: '7' },
    );
    expect(resolved.values).toEqual({ A: 'x', L: 'p, q', N: '7' });
    expect(resolved.typed.L).toEqual(['p', 'q']);
  });
});

describe('the stackfleet baseline template', () => {
  const path = join(__dirname, '../../templates/baseline.yaml');
  const body = readFileSync(path, 'utf8');

  it('deploys with global resources only in the home region and updates in place', async () => {
    const world = createTestWorld(
      testScenario({ durations: { default: [5, 30], 'AWS::CloudTrail::Trail': 60 } }),
    );
    const call = cfnCaller(world);
    const summary = await call<{ Parameters: Array<{ ParameterKey: string }>; Capabilities: string[] }>(
      'GetTemplateSummary',
      {
        TemplateBody: body,
      },
    );
    const create = (region: string) =>
      call(
        'CreateStack',
        {
          StackName: 'stackfleet-baseline',
          TemplateBody: body,
          Capabilities: ['CAPABILITY_NAMED_IAM'],
          Parameters: [{ ParameterKey: 'HomeRegion', ParameterValue: 'eu-west-1' }],
        },
        { region },
      );
    await create('eu-west-1');
    await create('us-east-1');
    world.advance(3_600_000);
    const resources = async (region: string) =>
      (
        await call<{
          StackResourceSummaries: Array<{
            LogicalResourceId: string;
            ResourceType: string;
            ResourceStatus: string;
          }>;
        }>('ListStackResources', { StackName: 'stackfleet-baseline' }, { region })
      ).StackResourceSummaries;
    const home = await resources('eu-west-1');
    const other = await resources('us-east-1');
    expect(summary.Capabilities).toContain('CAPABILITY_NAMED_IAM');
    expect(home.every((r) => r.ResourceStatus === 'CREATE_COMPLETE')).toBe(true);
    const types = (rs: typeof home) => new Set(rs.map((r) => r.ResourceType));
    expect(types(home).has('AWS::CloudTrail::Trail')).toBe(true);
    expect(types(other).has('AWS::CloudTrail::Trail')).toBe(false);
    expect(home.length).toBeGreaterThan(other.length);
    const stacks = await call<{ Stacks: Array<{ StackStatus: string }> }>('DescribeStacks', {
      StackName: 'stackfleet-baseline',
    });
    expect(stacks.Stacks[0]?.StackStatus).toBe('CREATE_COMPLETE');
    // Without the capability, AWS refuses the template.
    await expect(
      call('CreateStack', { StackName: 'again', TemplateBody: body }, { accountId: '333333333333' }),
    ).rejects.toMatchObject({ code: 'InsufficientCapabilitiesException' });
    expect(summary.Parameters.map((p) => p.ParameterKey)).toContain('HomeRegion');
  });
});

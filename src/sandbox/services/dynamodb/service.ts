/**
 * The DynamoDB API of the sandbox (awsJson 1.0, `DynamoDB_20120810.*`; DynamoDB API Reference):
 * DescribeTable, DescribeContinuousBackups, GetItem, PutItem, UpdateItem, Query and Scan on tables that CloudFormation made
 * (src/sandbox/cfn/providers/dynamodb.ts), with expressions as expression-parse.ts reads them.
 * The refusals are DynamoDB's: ResourceNotFoundException for a table that does not exist,
 * ConditionalCheckFailedException ("The conditional request failed") when a ConditionExpression is
 * false, ValidationException naming the bad expression, key or value (keys that do not match the
 * schema, a key attribute in an update, names or values no expression uses, items over 400 KB, a
 * Scan or Query page over 1 MB). Legacy parameters (Expected, AttributeUpdates, KeyConditions ...)
 * and the ones stackfleet does not use are refused as not implemented rather than ignored.
 */
import { AwsError, type OperationContext, type ServiceEmulator } from '../../types';
import { applyUpdate, evaluateCondition, updatedNames } from './expression-eval';
import {
  type Condition,
  type ExpressionScope,
  expressionScope,
  parseCondition,
  parseUpdate,
  refuseUnused,
} from './expression-parse';
import { findTable, keyText, type TableRecord, tableArnFor } from './state';
import {
  type AttributeMap,
  type AttributeValue,
  checkValue,
  compareValues,
  copyValue,
  typeOf,
  validationError,
} from './values';

export const DYNAMODB_TARGET_PREFIX = 'DynamoDB_20120810';

const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
/** Item size limit (DynamoDB Developer Guide, ServiceQuotas: "The maximum item size in DynamoDB is 400 KB"). */
const MAX_ITEM_BYTES = 400 * 1024;
/** Query and Scan read at most 1 MB per call (DynamoDB API Reference, Scan and Query). */
const MAX_PAGE_BYTES = 1024 * 1024;

const NOT_IMPLEMENTED = [
  'Expected',
  'AttributeUpdates',
  'ConditionalOperator',
  'AttributesToGet',
  'KeyConditions',
  'QueryFilter',
  'ScanFilter',
  'ProjectionExpression',
  'Select',
  'IndexName',
  'Segment',
  'TotalSegments',
  'ReturnValuesOnConditionCheckFailure',
];

function refuseNotImplemented(operation: string, params: Record<string, unknown>): void {
  for (const field of NOT_IMPLEMENTED)
    if (params[field] !== undefined)
      throw validationError(`not implemented in the sandbox: DynamoDB.${operation} with ${field}`);
}

function tableOf(ctx: OperationContext, params: Record<string, unknown>, describe = false): TableRecord {
  const ref = params.TableName;
  if (typeof ref !== 'string' || ref === '')
    throw validationError(
      "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null",
    );
  if (!ref.startsWith('arn:') && !TABLE_NAME.test(ref))
    throw validationError(
      `1 validation error detected: Value '${ref}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255`,
    );
  const table = findTable(ctx.world, tableArnFor(ref, ctx.caller.accountId, ctx.region));
  if (!table)
    throw new AwsError(
      'ResourceNotFoundException',
      describe ? `Requested resource not found: Table: ${ref} not found` : 'Requested resource not found',
    );
  return table;
}

function attributeMap(value: unknown, field: string): AttributeMap {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw validationError(
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  const out: AttributeMap = {};
  for (const [name, v] of Object.entries(value as Record<string, unknown>))
    out[name] = checkValue(v, `${field}.${name}`);
  return out;
}

/** The key of a request, exactly the schema's attributes with their types. */
function keyOf(table: TableRecord, value: unknown): AttributeMap {
  const key = attributeMap(value, 'key');
  const names = Object.keys(key);
  const matches =
    names.length === table.keySchema.length &&
    table.keySchema.every((k) => {
      const v = key[k.AttributeName];
      return v !== undefined && typeOf(v) === table.keyTypes[k.AttributeName];
    });
  if (!matches) throw validationError('The provided key element does not match the schema');
  for (const [name, v] of Object.entries(key))
    if (('S' in v && v.S === '') || ('B' in v && v.B === ''))
      throw validationError(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${'S' in v ? 'string' : 'binary'} value. Key: ${name}`,
      );
  return key;
}

function checkItemKey(table: TableRecord, item: AttributeMap): void {
  for (const k of table.keySchema) {
    const v = item[k.AttributeName];
    if (v === undefined)
      throw validationError(
        `One or more parameter values were invalid: Missing the key ${k.AttributeName} in the item`,
      );
    const expected = table.keyTypes[k.AttributeName];
    if (typeOf(v) !== expected)
      throw validationError(
        `One or more parameter values were invalid: Type mismatch for key ${k.AttributeName} expected: ${expected} actual: ${typeOf(v)}`,
      );
  }
  keyOf(table, Object.fromEntries(table.keySchema.map((k) => [k.AttributeName, item[k.AttributeName]])));
}

function valueBytes(v: AttributeValue): number {
  if ('S' in v) return Buffer.byteLength(v.S);
  if ('N' in v) return Math.ceil(v.N.replace(/[-.]/g, '').length / 2) + 1;
  if ('B' in v) return Buffer.from(v.B, 'base64').length;
  if ('BOOL' in v || 'NULL' in v) return 1;
  if ('SS' in v) return v.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if ('NS' in v) return v.NS.reduce((n, s) => n + valueBytes({ N: s }), 0);
  if ('BS' in v) return v.BS.reduce((n, s) => n + Buffer.from(s, 'base64').length, 0);
  if ('L' in v) return 3 + v.L.reduce((n, e) => n + 1 + valueBytes(e), 0);
  return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + 1 + Buffer.byteLength(k) + valueBytes(e), 0);
}

/** An item's size as DynamoDB counts it: attribute names' and values' bytes. */
export function itemBytes(item: AttributeMap): number {
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + valueBytes(v), 0);
}

function checkSize(item: AttributeMap): void {
  if (itemBytes(item) > MAX_ITEM_BYTES)
    throw validationError('Item size has exceeded the maximum allowed size');
}

/** Expressions of a request: ExpressionAttributeNames/Values only with an expression. */
function scopeOf(params: Record<string, unknown>, expressions: string[]): ExpressionScope {
  const used = expressions.some((e) => params[e] !== undefined);
  if (!used && params.ExpressionAttributeNames !== undefined)
    throw validationError('ExpressionAttributeNames can only be specified when using expressions');
  if (!used && params.ExpressionAttributeValues !== undefined)
    throw validationError('ExpressionAttributeValues can only be specified when using expressions');
  return expressionScope(params.ExpressionAttributeNames, params.ExpressionAttributeValues);
}

function conditionOf(
  params: Record<string, unknown>,
  scope: ExpressionScope,
  field = 'ConditionExpression',
): Condition | undefined {
  return params[field] === undefined ? undefined : parseCondition(params[field], scope, field);
}

function checkCondition(condition: Condition | undefined, existing: AttributeMap | undefined): void {
  if (condition && !evaluateCondition(existing ?? {}, condition))
    throw new AwsError('ConditionalCheckFailedException', 'The conditional request failed');
}

function returnValues(params: Record<string, unknown>, allowed: string[]): string {
  const value = params.ReturnValues ?? 'NONE';
  if (typeof value !== 'string' || !allowed.includes(value))
    throw validationError(
      allowed.length === 2
        ? `ReturnValues can only be ALL_OLD or NONE. Received: ${String(value)}`
        : `1 validation error detected: Value '${String(value)}' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    );
  return value;
}

function pick(item: AttributeMap | undefined, names: string[]): AttributeMap | undefined {
  if (!item) return undefined;
  const out = Object.fromEntries(names.filter((n) => item[n] !== undefined).map((n) => [n, item[n]]));
  return Object.keys(out).length === 0 ? undefined : copyValue(out as AttributeMap);
}

function keyAttributes(table: TableRecord, item: AttributeMap): AttributeMap {
  return Object.fromEntries(
    table.keySchema.map((k) => [k.AttributeName, item[k.AttributeName] as AttributeValue]),
  );
}

function describeTable(table: TableRecord) {
  const items = Object.values(table.items);
  return {
    TableName: table.name,
    TableArn: table.arn,
    TableId: table.tableId,
    TableStatus: 'ACTIVE',
    KeySchema: table.keySchema,
    AttributeDefinitions: table.keySchema.map((k) => ({
      AttributeName: k.AttributeName,
      AttributeType: table.keyTypes[k.AttributeName],
    })),
    CreationDateTime: new Date(table.createdAt),
    ItemCount: items.length,
    TableSizeBytes: items.reduce((n, i) => n + itemBytes(i), 0),
    BillingModeSummary: { BillingMode: table.billingMode },
    DeletionProtectionEnabled: table.deletionProtection,
    ...(table.kmsKeyArn
      ? { SSEDescription: { Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: table.kmsKeyArn } }
      : {}),
  };
}

/** Items in key order for Query and Scan, a page of at most `Limit` items and 1 MB. */
function page(
  table: TableRecord,
  items: AttributeMap[],
  params: Record<string, unknown>,
  filter: Condition | undefined,
) {
  let list = items;
  if (params.ExclusiveStartKey !== undefined) {
    const start = keyText(table, keyOf(table, params.ExclusiveStartKey));
    const at = list.findIndex((i) => keyText(table, i) === start);
    list = at < 0 ? [] : list.slice(at + 1);
  }
  const limit = params.Limit;
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1))
    throw validationError(
      `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`,
    );
  const read: AttributeMap[] = [];
  let bytes = 0;
  for (const item of list) {
    if (limit !== undefined && read.length >= limit) break;
    if (read.length > 0 && bytes + itemBytes(item) > MAX_PAGE_BYTES) break;
    bytes += itemBytes(item);
    read.push(item);
  }
  const more = read.length < list.length;
  const matched = filter ? read.filter((i) => evaluateCondition(i, filter, 'FilterExpression')) : read;
  const last = read[read.length - 1];
  return {
    Items: matched.map((i) => copyValue(i)),
    Count: matched.length,
    ScannedCount: read.length,
    ...(more && last ? { LastEvaluatedKey: keyAttributes(table, last) } : {}),
  };
}

function keyConditionItems(table: TableRecord, condition: Condition): AttributeMap[] {
  const hash = table.keySchema.find((k) => k.KeyType === 'HASH') as { AttributeName: string };
  const range = table.keySchema.find((k) => k.KeyType === 'RANGE');
  const parts = condition.kind === 'and' ? [condition.left, condition.right] : [condition];
  const onHash = parts.find(
    (p) =>
      p.kind === 'compare' &&
      p.op === '=' &&
      p.left.kind === 'path' &&
      p.left.path.join('.') === hash.AttributeName &&
      p.right.kind === 'value',
  );
  if (!onHash) throw validationError(`Query condition missed key schema element: ${hash.AttributeName}`);
  const rest = parts.filter((p) => p !== onHash);
  for (const p of rest) {
    const path =
      p.kind === 'compare' && p.left.kind === 'path'
        ? p.left.path
        : p.kind === 'between' && p.subject.kind === 'path'
          ? p.subject.path
          : p.kind === 'function' && p.name === 'begins_with'
            ? p.path
            : undefined;
    if (!range || !path || path.join('.') !== range.AttributeName || (p.kind === 'compare' && p.op === '<>'))
      throw validationError('Query key condition not supported');
  }
  const items = Object.values(table.items).filter((i) =>
    evaluateCondition(i, condition, 'KeyConditionExpression'),
  );
  // Query returns items in sort key order (DynamoDB Developer Guide, Query: "sorted by the sort key value").
  if (range)
    items.sort(
      (a, b) =>
        compareValues(a[range.AttributeName] as AttributeValue, b[range.AttributeName] as AttributeValue) ??
        0,
    );
  return items;
}

export function createDynamoDbService(): ServiceEmulator {
  return {
    signingName: 'dynamodb',
    protocol: 'json',
    targetPrefix: DYNAMODB_TARGET_PREFIX,
    operations: {
      DescribeTable(params, ctx) {
        return { Table: describeTable(tableOf(ctx, params, true)) };
      },
      DescribeContinuousBackups(params, ctx) {
        const table = tableOf(ctx, params, true);
        return {
          ContinuousBackupsDescription: {
            ContinuousBackupsStatus: 'ENABLED',
            PointInTimeRecoveryDescription: {
              PointInTimeRecoveryStatus: table.pointInTimeRecovery ? 'ENABLED' : 'DISABLED',
            },
          },
        };
      },
      GetItem(params, ctx) {
        refuseNotImplemented('GetItem', params);
        const table = tableOf(ctx, params);
        scopeOf(params, []);
        const item = table.items[keyText(table, keyOf(table, params.Key))];
        return item ? { Item: copyValue(item) } : {};
      },
      PutItem(params, ctx) {
        refuseNotImplemented('PutItem', params);
        const table = tableOf(ctx, params);
        const item = attributeMap(params.Item, 'item');
        checkItemKey(table, item);
        const scope = scopeOf(params, ['ConditionExpression']);
        const condition = conditionOf(params, scope);
        refuseUnused(scope);
        const mode = returnValues(params, ['NONE', 'ALL_OLD']);
        checkSize(item);
        const key = keyText(table, item);
        const old = table.items[key];
        checkCondition(condition, old);
        table.items[key] = copyValue(item);
        return mode === 'ALL_OLD' && old ? { Attributes: old } : {};
      },
      UpdateItem(params, ctx) {
        refuseNotImplemented('UpdateItem', params);
        const table = tableOf(ctx, params);
        const key = keyOf(table, params.Key);
        const scope = scopeOf(params, ['ConditionExpression', 'UpdateExpression']);
        const actions =
          params.UpdateExpression === undefined ? [] : parseUpdate(params.UpdateExpression, scope);
        const condition = conditionOf(params, scope);
        refuseUnused(scope);
        const mode = returnValues(params, ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW']);
        for (const action of actions) {
          const top = action.path[0] as string;
          if (table.keyTypes[top] !== undefined)
            throw validationError(
              `One or more parameter values were invalid: Cannot update attribute ${top}. This attribute is part of the key`,
            );
        }
        const text = keyText(table, key);
        const old = table.items[text];
        checkCondition(condition, old);
        const updated = applyUpdate(old ?? copyValue(key), actions);
        checkSize(updated);
        table.items[text] = updated;
        const names = updatedNames(actions);
        switch (mode) {
          case 'ALL_OLD':
            return old ? { Attributes: copyValue(old) } : {};
          case 'ALL_NEW':
            return { Attributes: copyValue(updated) };
          case 'UPDATED_OLD': {
            const attributes = pick(old, names);
            return attributes ? { Attributes: attributes } : {};
          }
          case 'UPDATED_NEW': {
            const attributes = pick(updated, names);
            return attributes ? { Attributes: attributes } : {};
          }
          default:
            return {};
        }
      },
      Query(params, ctx) {
        refuseNotImplemented('Query', params);
        const table = tableOf(ctx, params);
        if (params.KeyConditionExpression === undefined)
          throw validationError(
            'Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.',
          );
        const scope = scopeOf(params, ['KeyConditionExpression', 'FilterExpression']);
        const keyCondition = parseCondition(params.KeyConditionExpression, scope, 'KeyConditionExpression');
        const filter = conditionOf(params, scope, 'FilterExpression');
        refuseUnused(scope);
        let items = keyConditionItems(table, keyCondition);
        if (params.ScanIndexForward === false) items = [...items].reverse();
        return page(table, items, params, filter);
      },
      Scan(params, ctx) {
        refuseNotImplemented('Scan', params);
        const table = tableOf(ctx, params);
        const scope = scopeOf(params, ['FilterExpression']);
        const filter = conditionOf(params, scope, 'FilterExpression');
        refuseUnused(scope);
        return page(table, Object.values(table.items), params, filter);
      },
    },
  };
}

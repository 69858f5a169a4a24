/**
 * DynamoDB operations -> IAM (Service Authorization Reference for Amazon DynamoDB: each item and
 * table action on the table's ARN). A table encrypted with a customer managed key is used through
 * that key on the caller's behalf (DynamoDB Developer Guide, encryption.usagenotes /
 * "How Amazon DynamoDB uses AWS KMS": the key policy and the caller must allow kms:Decrypt for
 * reads, and kms:Encrypt/kms:GenerateDataKey for writes, with `kms:ViaService`
 * dynamodb.<region>.amazonaws.com and the encryption context `aws:dynamodb:tableName` and
 * `aws:dynamodb:subscriberId`). DynamoDB caches the table key for a while; the sandbox checks on
 * every call, which is never more lenient than AWS.
 */
import { findTable, tableArnFor } from '../../services/dynamodb/state';
import type { AuthorizationSpec } from '../authorize';
import { kmsViaServiceSpec } from './kms';
import type { ActionEnv, ServiceActions } from './types';

function onTable(action: string, kms: 'read' | 'write' | 'none') {
  return (params: Record<string, unknown>, env: ActionEnv): AuthorizationSpec[] => {
    const arn = tableArnFor(String(params.TableName ?? ''), env.caller.accountId, env.region);
    const accountId = arn.split(':')[4] ?? env.caller.accountId;
    const specs: AuthorizationSpec[] = [{ action, resource: arn, resourceAccountId: accountId }];
    const table = findTable(env.world, arn);
    if (kms !== 'none' && table?.kmsKeyArn) {
      const context = { 'aws:dynamodb:tableName': table.name, 'aws:dynamodb:subscriberId': table.accountId };
      specs.push(kmsViaServiceSpec(env, 'kms:Decrypt', table.kmsKeyArn, 'dynamodb', context));
      if (kms === 'write')
        specs.push(kmsViaServiceSpec(env, 'kms:GenerateDataKey', table.kmsKeyArn, 'dynamodb', context));
    }
    return specs;
  };
}

export const dynamoDbActions: ServiceActions = {
  DescribeTable: onTable('dynamodb:DescribeTable', 'none'),
  DescribeContinuousBackups: onTable('dynamodb:DescribeContinuousBackups', 'none'),
  GetItem: onTable('dynamodb:GetItem', 'read'),
  Query: onTable('dynamodb:Query', 'read'),
  Scan: onTable('dynamodb:Scan', 'read'),
  PutItem: onTable('dynamodb:PutItem', 'write'),
  UpdateItem: onTable('dynamodb:UpdateItem', 'write'),
};

/**
 * DynamoDB tables of the sandbox, per account and region: what AWS::DynamoDB::Table creates
 * (src/sandbox/cfn/providers/dynamodb.ts) and the items the DynamoDB API reads and writes
 * (service.ts). Items are stored by their key's canonical text, so a key given in any attribute
 * order finds the same item.
 */
import type { SandboxWorld } from '../../types';
import { own } from '../../world';
import type { AttributeMap, AttributeValue } from './values';

export const DYNAMODB_SECTION = 'dynamodb';

export interface KeyElement {
  AttributeName: string;
  KeyType: 'HASH' | 'RANGE';
}

export interface TableRecord {
  name: string;
  arn: string;
  tableId: string;
  accountId: string;
  region: string;
  keySchema: KeyElement[];
  /** Key attribute name -> scalar type (S, N or B). */
  keyTypes: Record<string, 'S' | 'N' | 'B'>;
  billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  pointInTimeRecovery: boolean;
  /** The customer managed key's ARN when SSE uses one (else AWS owns the key). */
  kmsKeyArn?: string;
  deletionProtection: boolean;
  createdAt: number;
  items: Record<string, AttributeMap>;
  managedBy?: { stackId: string; logicalId: string };
}

export interface DynamoDbSection {
  version: 1;
  /** By table ARN. */
  tables: Record<string, TableRecord>;
}

export function dynamoDbSection(world: Pick<SandboxWorld, 'section'>): DynamoDbSection {
  return world.section<DynamoDbSection>(DYNAMODB_SECTION, () => ({ version: 1, tables: {} }));
}

export function tableArnOf(region: string, accountId: string, name: string): string {
  return `arn:aws:dynamodb:${region}:${accountId}:table/${name}`;
}

/** The ARN a `TableName` parameter (a name or an ARN) means for a caller in a region. */
export function tableArnFor(ref: string, accountId: string, region: string): string {
  return ref.startsWith('arn:') ? ref : tableArnOf(region, accountId, ref);
}

export function findTable(world: Pick<SandboxWorld, 'section'>, arn: string): TableRecord | undefined {
  return own(dynamoDbSection(world).tables, arn);
}

/** The canonical text of an item's key (the schema's order). */
export function keyText(table: TableRecord, key: Record<string, AttributeValue>): string {
  return JSON.stringify(table.keySchema.map((k) => key[k.AttributeName]));
}

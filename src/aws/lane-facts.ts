import { DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { LaneStackResult } from '../core/lane-walk';
import { executionRoleArn } from '../core/names';
import { rolloutKeys } from '../core/plan';
import { assumeExecutionRole } from './assume-role';
import { isStackMissingError, mapCloudFormationError } from './aws-errors';
import { awsClients } from './clients';
import { errorCode, withRetries } from './retry';

/**
 * What the lane walker reads and writes outside its own state: the results of stacks other lanes
 * of the target wait for (small objects under the rollout's prefix in the artifact bucket, the
 * only state lanes share), and a finished dependency's outputs in the target (DescribeStacks as
 * the execution role, the same session Deploy stack uses).
 */

function functionRegion(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

/** Key of one stack's result in one target. */
export function stackResultKey(rolloutId: string, accountId: string, region: string, stack: string): string {
  return `${rolloutKeys(rolloutId).stackResultsPrefix}/${accountId}/${region}/${stack}.json`;
}

/** Writes a stack's result for the lanes that wait for it. */
export async function announceResult(
  bucket: string,
  rolloutId: string,
  result: LaneStackResult,
): Promise<void> {
  const key = stackResultKey(rolloutId, result.accountId, result.region, result.stack);
  const body = JSON.stringify(result);
  const s3 = awsClients.s3({ region: functionRegion() });
  await withRetries(
    `PutObject ${key}`,
    () =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentLength: Buffer.byteLength(body),
          ContentType: 'application/json',
        }),
      ),
    {},
  );
}

/** A stack's result another lane wrote, or undefined while that stack has not finished. */
export async function readAnnouncedResult(
  bucket: string,
  rolloutId: string,
  accountId: string,
  region: string,
  stack: string,
): Promise<LaneStackResult | undefined> {
  const key = stackResultKey(rolloutId, accountId, region, stack);
  const s3 = awsClients.s3({ region: functionRegion() });
  try {
    const answer = await withRetries(
      `GetObject ${key}`,
      () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })),
      {},
    );
    const text = await answer.Body?.transformToString('utf-8');
    return text ? (JSON.parse(text) as LaneStackResult) : undefined;
  } catch (error) {
    if (['NoSuchKey', 'NotFound'].includes(errorCode(error))) return undefined;
    throw error;
  }
}

/** Who reads a dependency's outputs in the target. */
export interface OutputReader {
  accountId: string;
  region: string;
  rolloutId: string;
  executionRoleName: string;
  externalId?: string;
}

/**
 * The outputs of a stack in the target (key -> value), or undefined when it does not exist.
 * Read with DescribeStacks rather than resolved by Fn::ImportValue in the dependant's template:
 * export names must be unique per account and Region, and once another stack imports an output
 * it can be neither modified nor its stack deleted (AWS CloudFormation Template Reference,
 * Fn::ImportValue, "restrictions apply to cross-stack references"), which would make updating
 * the dependency alone impossible. Parameters keep each template plain, let a changed output
 * flow into its dependants by an ordinary update, and let a preview say where a value comes from.
 */
export async function stackOutputs(
  reader: OutputReader,
  stackName: string,
): Promise<Record<string, string> | undefined> {
  const credentials = await assumeExecutionRole({
    accountId: reader.accountId,
    roleName: reader.executionRoleName,
    rolloutId: reader.rolloutId,
    region: reader.region,
    ...(reader.externalId === undefined ? {} : { externalId: reader.externalId }),
  });
  const cfn = awsClients.cloudFormation({ region: reader.region, credentials });
  try {
    const answer = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = answer.Stacks?.[0];
    if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return undefined;
    return Object.fromEntries(
      (stack.Outputs ?? [])
        .filter((o: Output) => o.OutputKey !== undefined)
        .map((o: Output) => [o.OutputKey as string, o.OutputValue ?? '']),
    );
  } catch (error) {
    if (isStackMissingError(error)) return undefined;
    throw mapCloudFormationError(error, {
      accountId: reader.accountId,
      region: reader.region,
      stackName,
      roleArn: executionRoleArn(reader.accountId, reader.executionRoleName, reader.region),
      operation: 'DescribeStacks',
    });
  }
}

import {
  type Change,
  type CloudFormationClient,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { MAX_CHANGE_SET_PAGES } from '../core/changes';
import { executionRoleArn } from '../core/names';
import type { TargetInput } from '../core/target-input';
import { assumeExecutionRole } from './assume-role';
import { awsErrorCode, isStackMissingError, mapCloudFormationError } from './aws-errors';
import { awsClients } from './clients';

/**
 * CloudFormation in one target for the preview and drift functions: the client on the assumed
 * execution role, calls whose failures become stackfleet's named errors, and the change set
 * reads both modes share. Credentials stay inside the function that called this.
 */

/** A CloudFormation client in the target, as its execution role. */
export async function targetCloudFormation(input: TargetInput): Promise<CloudFormationClient> {
  const credentials = await assumeExecutionRole({
    accountId: input.accountId,
    roleName: input.executionRoleName,
    rolloutId: input.rolloutId,
    region: input.region,
    ...(input.externalId === undefined ? {} : { externalId: input.externalId }),
  });
  return awsClients.cloudFormation({ region: input.region, credentials });
}

/** Runs one call; a failure becomes a named error that says where and which operation. */
export async function cfnCall<T>(input: TargetInput, operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw mapCloudFormationError(error, {
      accountId: input.accountId,
      region: input.region,
      stackName: input.stackName,
      roleArn: executionRoleArn(input.accountId, input.executionRoleName, input.region),
      operation,
    });
  }
}

/** The target's stack, or undefined when there is none. */
export async function describeTargetStack(
  cfn: CloudFormationClient,
  input: TargetInput,
): Promise<Stack | undefined> {
  try {
    const answer = await cfn.send(new DescribeStacksCommand({ StackName: input.stackName }));
    return answer.Stacks?.[0];
  } catch (error) {
    if (isStackMissingError(error)) return undefined;
    return cfnCall(input, 'DescribeStacks', () => Promise.reject(error));
  }
}

/** The first page of a change set (its status) and, once it is complete, every change across pages. */
export async function readChangeSet(
  cfn: CloudFormationClient,
  input: TargetInput,
  changeSetId: string,
): Promise<{ first: DescribeChangeSetCommandOutput; changes: Change[]; complete: boolean }> {
  const first = await cfnCall(input, 'DescribeChangeSet', () =>
    cfn.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetId })),
  );
  const changes = [...(first.Changes ?? [])];
  if (first.Status !== 'CREATE_COMPLETE') return { first, changes, complete: false };
  let token = first.NextToken;
  let pages = 1;
  while (token && pages < MAX_CHANGE_SET_PAGES) {
    const next = token;
    const page = await cfnCall(input, 'DescribeChangeSet', () =>
      cfn.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetId, NextToken: next })),
    );
    changes.push(...(page.Changes ?? []));
    token = page.NextToken;
    pages++;
  }
  return { first, changes, complete: token === undefined };
}

/** Deletes a change set; one already gone (a retried cleanup) is fine. */
export async function deleteChangeSetQuietly(
  cfn: CloudFormationClient,
  input: TargetInput,
  changeSetId: string,
): Promise<void> {
  try {
    await cfn.send(new DeleteChangeSetCommand({ ChangeSetName: changeSetId }));
  } catch (error) {
    if (awsErrorCode(error) === 'ChangeSetNotFound' || awsErrorCode(error) === 'ChangeSetNotFoundException')
      return;
    if (isStackMissingError(error)) return;
    await cfnCall(input, 'DeleteChangeSet', () => Promise.reject(error));
  }
}

import {
  type Change,
  type CloudFormationClient,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  DescribeStacksCommand,
  GetTemplateCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity } from '@smithy/types';
import { MAX_CHANGE_SET_PAGES } from '../core/changes';
import { executionRoleArn } from '../core/names';
import { parseS3Url, type TargetInput } from '../core/target-input';
import { assumeExecutionRole } from './assume-role';
import { awsErrorCode, isStackMissingError, mapCloudFormationError } from './aws-errors';
import { awsClients } from './clients';

/**
 * CloudFormation in one target for the preview and drift functions: the client on the assumed
 * execution role, calls whose failures become stackfleet's named errors, and the change set
 * reads both modes share. Credentials stay inside the function that called this.
 */

/** The target's execution role session: a CloudFormation client and the credentials behind it. */
export async function targetSession(
  input: TargetInput,
): Promise<{ cfn: CloudFormationClient; credentials: AwsCredentialIdentity }> {
  const credentials = await assumeExecutionRole({
    accountId: input.accountId,
    roleName: input.executionRoleName,
    rolloutId: input.rolloutId,
    region: input.region,
    ...(input.externalId === undefined ? {} : { externalId: input.externalId }),
  });
  return { cfn: awsClients.cloudFormation({ region: input.region, credentials }), credentials };
}

/** A CloudFormation client in the target, as its execution role. */
export async function targetCloudFormation(input: TargetInput): Promise<CloudFormationClient> {
  return (await targetSession(input)).cfn;
}

/**
 * The pinned template's body, or undefined when it cannot be read. First with the function's own
 * identity (the admin account owns the artifact bucket), then as the execution role, which the
 * bucket lets read templates because CloudFormation reads TemplateURL with it.
 */
export async function readPinnedTemplate(
  input: TargetInput,
  credentials: AwsCredentialIdentity,
): Promise<string | undefined> {
  const location = parseS3Url(input.templateUrl);
  if (!location) return undefined;
  const region = location.region ?? process.env.AWS_REGION ?? 'us-east-1';
  for (const identity of [undefined, credentials]) {
    try {
      const s3 = awsClients.s3({ region, ...(identity ? { credentials: identity } : {}) });
      const answer = await s3.send(
        new GetObjectCommand({ Bucket: location.bucket, Key: location.key, VersionId: location.versionId }),
      );
      const text = await answer.Body?.transformToString();
      if (text !== undefined) return text;
    } catch {
      // try the next identity; undefined means "cannot tell"
    }
  }
  return undefined;
}

/** The template body the stack was last deployed with (GetTemplate, Original stage), or undefined. */
export async function deployedTemplate(
  cfn: CloudFormationClient,
  stackId: string,
): Promise<string | undefined> {
  try {
    const answer = await cfn.send(new GetTemplateCommand({ StackName: stackId, TemplateStage: 'Original' }));
    return answer.TemplateBody;
  } catch {
    return undefined;
  }
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

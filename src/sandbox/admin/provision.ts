/**
 * Provisions a sandbox's admin account the way an operator provisions AWS: `cdk bootstrap` (the
 * bootstrap version parameter and the assets bucket) and then `cdk deploy` of the synthesized admin
 * app, through the sandbox's own CloudFormation API with the real SDK client. Every role, policy,
 * bucket, key, topic, function and state machine the rehearsal uses is the one CDK defines, with the
 * permissions CDK grants. Idempotent: a stack already deployed from the same template is reused.
 */
import { createHash } from 'node:crypto';
import {
  type CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Stack,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  lambdaFunctions,
  responseStateMachineFiles,
  stateMachineFiles,
  targetStateMachineFiles,
} from '../../core/functions';
import type { RolloutMode } from '../../core/rollout-input';
import type { ProvisionedAdmin } from '../../engine/provision';
import { lambdaState } from '../services/lambda-state';
import type { SandboxWorld } from '../types';
import { adminTemplate } from './synth';

/** The CDK bootstrap qualifier and the version `cdk bootstrap` of CDK v2 writes (the template checks >= 6). */
export const CDK_QUALIFIER = 'hnb659fds';
export const CDK_BOOTSTRAP_VERSION = '28';

export interface AdminProvisionOptions {
  accountId: string;
  region: string;
  organizationId: string;
  organizationRootId?: string;
  executionRoleName?: string;
  stackName?: string;
  containment?: string;
}

const SETTLED = /(_COMPLETE|_FAILED)$/;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes the SSM parameter `cdk bootstrap` creates, so the template's BootstrapVersion parameter resolves. */
export function seedCdkBootstrap(world: SandboxWorld, accountId: string, region: string): void {
  const ssm = world.section<{ parameters: Record<string, Record<string, string>> }>('ssm', () => ({
    parameters: {},
  }));
  const key = `${accountId}/${region}`;
  ssm.parameters[key] ??= {};
  (ssm.parameters[key] as Record<string, string>)[`/cdk-bootstrap/${CDK_QUALIFIER}/version`] =
    CDK_BOOTSTRAP_VERSION;
}

async function firstFailure(cfn: CloudFormationClient, stackName: string): Promise<string> {
  const events = await cfn.send(new DescribeStackEventsCommand({ StackName: stackName }));
  const failed = (events.StackEvents ?? [])
    .filter((e) => e.ResourceStatus?.endsWith('_FAILED') && e.ResourceStatusReason)
    .reverse()
    .find((e) => !/cancelled/i.test(e.ResourceStatusReason ?? ''));
  return failed
    ? `${failed.LogicalResourceId} (${failed.ResourceType}) ${failed.ResourceStatus}: ${failed.ResourceStatusReason}`
    : 'no resource reported a reason';
}

/**
 * Deploys (or updates) the admin stack and returns where its parts are. Runs under the sandbox's
 * clock: under virtual time the minutes the stack takes cost nothing.
 */
export async function provisionAdminStack(
  world: SandboxWorld,
  clients: { cloudFormation: CloudFormationClient; s3: S3Client },
  options: AdminProvisionOptions,
): Promise<ProvisionedAdmin> {
  const { accountId, region } = options;
  const template = adminTemplate({
    organizationId: options.organizationId,
    ...(options.organizationRootId !== undefined ? { organizationRootId: options.organizationRootId } : {}),
    ...(options.executionRoleName !== undefined ? { executionRoleName: options.executionRoleName } : {}),
    ...(options.stackName !== undefined ? { stackName: options.stackName } : {}),
    ...(options.containment !== undefined ? { containment: options.containment } : {}),
  });
  const digest = createHash('sha256').update(template.body).digest('hex').slice(0, 16);
  const stackName = template.stackName;
  const cfn = clients.cloudFormation;

  const existing = await describe(cfn, stackName);
  const current = existing?.Tags?.find((t) => t.Key === 'stackfleet:template-digest')?.Value;
  if (!existing || current !== digest || !/^(CREATE|UPDATE)_COMPLETE$/.test(existing.StackStatus ?? '')) {
    seedCdkBootstrap(world, accountId, region);
    const assets = `cdk-${CDK_QUALIFIER}-assets-${accountId}-${region}`;
    try {
      await clients.s3.send(
        new CreateBucketCommand({
          Bucket: assets,
          ...(region === 'us-east-1'
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw error;
    }
    // As `cdk deploy` does: publish the file assets (the state machines' ASL), then the template.
    for (const asset of template.assets) {
      await clients.s3.send(new PutObjectCommand({ Bucket: assets, Key: asset.objectKey, Body: asset.body }));
    }
    const key = `${digest}.json`;
    await clients.s3.send(new PutObjectCommand({ Bucket: assets, Key: key, Body: template.body }));
    const request = {
      StackName: stackName,
      TemplateURL: `https://${assets}.s3.${region}.amazonaws.com/${key}`,
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'] as never[],
      Tags: [{ Key: 'stackfleet:template-digest', Value: digest }],
    };
    if (!existing || existing.StackStatus === 'ROLLBACK_COMPLETE') {
      await cfn.send(new CreateStackCommand(request));
    } else {
      await cfn.send(new UpdateStackCommand(request));
    }
    let stack = await describe(cfn, stackName);
    while (stack && !SETTLED.test(stack.StackStatus ?? '')) {
      await sleep(15_000);
      stack = await describe(cfn, stackName);
    }
    if (!stack || !/^(CREATE|UPDATE)_COMPLETE$/.test(stack.StackStatus ?? '')) {
      throw new Error(
        `The sandbox's admin stack ${stackName} did not deploy (${stack?.StackStatus ?? 'missing'}): ${await firstFailure(cfn, stackName)}`,
      );
    }
  }
  const stack = (await describe(cfn, stackName)) as Stack;
  return adminFromOutputs(world, stack, accountId, region);
}

async function describe(cfn: CloudFormationClient, stackName: string): Promise<Stack | undefined> {
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return out.Stacks?.[0];
  } catch (error) {
    if (/does not exist/.test((error as Error).message)) return undefined;
    throw error;
  }
}

function adminFromOutputs(
  world: SandboxWorld,
  stack: Stack,
  accountId: string,
  region: string,
): ProvisionedAdmin {
  const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const need = (key: string): string => {
    const value = outputs[key];
    if (!value) throw new Error(`The admin stack ${stack.StackName} has no output ${key}.`);
    return value;
  };
  const substitutions: Record<string, string> = {
    ArtifactBucketName: need('ArtifactBucketName'),
    NotificationTopicArn: need('NotificationTopicArn'),
  };
  for (const sm of [...stateMachineFiles, ...responseStateMachineFiles])
    substitutions[sm.placeholder] = need(sm.placeholder);
  const deployed = Object.values(lambdaState(world).functions).filter(
    (f) => f.accountId === accountId && f.region === region && f.managedBy?.stackId === stack.StackId,
  );
  for (const fn of lambdaFunctions) {
    const record = deployed.find((f) => f.handlerId === fn.id);
    if (record) substitutions[fn.placeholder] = record.arn;
  }
  const targetStateMachineArns = Object.fromEntries(
    targetStateMachineFiles.map((sm) => [sm.mode, need(sm.placeholder)]),
  ) as Record<RolloutMode, string>;
  return {
    rolloutStateMachineArn: need('RolloutStateMachineArn'),
    targetStateMachineArns,
    deployTargetStateMachineArn: targetStateMachineArns.deploy,
    artifactBucket: need('ArtifactBucketName'),
    topicArn: need('NotificationTopicArn'),
    substitutions,
    respondToTamperingStateMachineArn: need('RespondToTamperingStateMachineArn'),
    incidentTableName: need('IncidentTableName'),
  };
}

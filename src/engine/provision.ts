/**
 * Provisions the admin account of a sandbox the way the CDK app provisions AWS: the versioned
 * artifact bucket, the notification topic, and every state machine from `statemachines/*.asl.json`
 * with the substitutions of src/core/functions.ts — the same files and the same placeholders, so
 * what runs locally is what deploys. Idempotent: running it again updates the definitions.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CreateBucketCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateStateMachineCommand,
  type SFNClient,
  StateMachineAlreadyExists,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { CreateTopicCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  lambdaFunctions,
  stateMachineFiles,
  substituteDefinition,
  targetStateMachineFiles,
} from '../core/functions';
import type { RolloutMode } from '../core/rollout-input';
import { stateMachineArn } from './arns';
import { lambdaFunctionArn } from './lambda-binding';

export interface AdminClients {
  s3: S3Client;
  sns: SNSClient;
  sfn: SFNClient;
}

export interface ProvisionOptions {
  /** Admin account id (the management account in the sandbox). */
  accountId: string;
  region: string;
  /** Name prefix of everything created. @default 'stackfleet' */
  prefix?: string;
  /** Repository root the state machine files are read from. @default this repository */
  rootDir?: string;
  /** Extra or overriding substitution values. */
  substitutions?: Record<string, string>;
}

export interface ProvisionedAdmin {
  rolloutStateMachineArn: string;
  /** The per-target state machine of each mode; a rollout starts the one of its mode. */
  targetStateMachineArns: Record<RolloutMode, string>;
  /** `targetStateMachineArns.deploy`: what deploy-mode rollouts start for every target. */
  deployTargetStateMachineArn: string;
  artifactBucket: string;
  topicArn: string;
  /** Every `${Placeholder}` value used, for callers that provision further definitions. */
  substitutions: Record<string, string>;
  /** The tamper response (issue 16), where the admin stack deploys it. */
  respondToTamperingStateMachineArn?: string;
  incidentTableName?: string;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The substitution values for an admin account: function ARNs, state machine ARNs, bucket, topic. */
export function adminSubstitutions(
  options: ProvisionOptions,
  artifactBucket: string,
  topicArn: string,
): Record<string, string> {
  const prefix = options.prefix ?? 'stackfleet';
  const values: Record<string, string> = {
    ArtifactBucketName: artifactBucket,
    NotificationTopicArn: topicArn,
  };
  for (const fn of lambdaFunctions)
    values[fn.placeholder] = lambdaFunctionArn(options.region, options.accountId, fn.id);
  for (const sm of stateMachineFiles)
    values[sm.placeholder] = stateMachineArn(options.region, options.accountId, `${prefix}-${sm.id}`);
  return { ...values, ...options.substitutions };
}

/** Creates a state machine, or updates its definition when one of that name exists. */
export async function createOrUpdateStateMachine(
  sfn: SFNClient,
  options: { name: string; definition: string; roleArn: string; arn: string },
): Promise<string> {
  try {
    const created = await sfn.send(
      new CreateStateMachineCommand({
        name: options.name,
        definition: options.definition,
        roleArn: options.roleArn,
        type: 'STANDARD',
      }),
    );
    return created.stateMachineArn as string;
  } catch (error) {
    if (!(error instanceof StateMachineAlreadyExists)) throw error;
    await sfn.send(
      new UpdateStateMachineCommand({
        stateMachineArn: options.arn,
        definition: options.definition,
        roleArn: options.roleArn,
      }),
    );
    return options.arn;
  }
}

/** Provisions the admin account through the real SDK clients; see the module comment. */
export async function provisionSandboxAdmin(
  clients: AdminClients,
  options: ProvisionOptions,
): Promise<ProvisionedAdmin> {
  const prefix = options.prefix ?? 'stackfleet';
  const root = options.rootDir ?? REPO_ROOT;
  const artifactBucket = `${prefix}-artifacts-${options.accountId}-${options.region}`;
  try {
    await clients.s3.send(
      new CreateBucketCommand({
        Bucket: artifactBucket,
        CreateBucketConfiguration:
          options.region === 'us-east-1' ? undefined : { LocationConstraint: options.region as never },
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw error;
  }
  await clients.s3.send(
    new PutBucketVersioningCommand({
      Bucket: artifactBucket,
      VersioningConfiguration: { Status: 'Enabled' },
    }),
  );
  const topic = await clients.sns.send(new CreateTopicCommand({ Name: `${prefix}-notifications` }));
  const topicArn = topic.TopicArn as string;
  const substitutions = adminSubstitutions(options, artifactBucket, topicArn);
  const roleArn = `arn:aws:iam::${options.accountId}:role/${prefix}-state-machine`;
  const arns: Record<string, string> = {};
  for (const sm of stateMachineFiles) {
    const file = path.join(root, sm.file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(
        `State machine file ${sm.file} could not be read from ${root}: ${(error as Error).message}`,
      );
    }
    const definition = substituteDefinition(text, substitutions);
    const name = `${prefix}-${sm.id}`;
    arns[sm.id] = await createOrUpdateStateMachine(clients.sfn, {
      name,
      definition,
      roleArn,
      arn: stateMachineArn(options.region, options.accountId, name),
    });
  }
  const targetStateMachineArns = Object.fromEntries(
    targetStateMachineFiles.map((sm) => [sm.mode, arns[sm.id] as string]),
  ) as Record<RolloutMode, string>;
  return {
    rolloutStateMachineArn: arns.rollout as string,
    targetStateMachineArns,
    deployTargetStateMachineArn: targetStateMachineArns.deploy,
    artifactBucket,
    topicArn,
    substitutions,
  };
}

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { awsClients, configureAws } from '../aws/clients';
import { targetStateMachineFiles } from '../core/functions';
import type { RolloutMode } from '../core/rollout-input';
import { CliError, ExitCodes, UsageError } from './exit-codes';
import type { ParsedCommand } from './options';

/**
 * Where a command runs: the built-in sandbox (in this process, simulated time, state kept on
 * disk between commands) or AWS (a real admin account, or any AWS-compatible endpoint through
 * AWS_ENDPOINT_URL). Both are reached through the same SDK clients and the same code path.
 */
export interface AdminResources {
  rolloutStateMachineArn: string;
  /** The per-target state machine of each mode: a rollout's children run the one of its mode. */
  targetStateMachineArns: Record<RolloutMode, string>;
  artifactBucket: string;
  topicArn: string;
}

export interface BackendMetrics {
  stateTransitions?: number;
  cloudFormationCalls?: number;
  simulatedSeconds?: number;
}

export interface Backend {
  kind: 'sandbox' | 'aws';
  /** One line for the user: where this runs. */
  description: string;
  region: string;
  /** True when time is simulated (sandbox): following a rollout costs no real time. */
  simulated: boolean;
  sfn: SFNClient;
  s3: S3Client;
  cloudFormation: CloudFormationClient;
  /** The admin side (provisioned on first use on the sandbox; read from the admin stack on AWS). */
  admin(): Promise<AdminResources>;
  /** Runs work in the backend's time (virtual on the sandbox). */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Metrics since `markMetrics()` (sandbox only). */
  markMetrics(): void;
  metrics(executionArns?: string[]): BackendMetrics;
  /** Virtual or real now. */
  now(): number;
  close(): Promise<void>;
}

/** The admin stack the CDK app deploys (its outputs name the state machines and bucket). */
export const ADMIN_STACK_NAME = process.env.STACKFLEET_ADMIN_STACK ?? 'StackFleetAdmin';

/** Whether the SDK would find AWS credentials without us: env, profile, or shared files. */
export function awsCredentialsConfigured(env: NodeJS.ProcessEnv): boolean {
  if (
    env.AWS_ACCESS_KEY_ID ||
    env.AWS_PROFILE ||
    env.AWS_WEB_IDENTITY_TOKEN_FILE ||
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI
  )
    return true;
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) return true;
  const home = env.HOME ?? homedir();
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials');
  const configFile = env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config');
  return existsSync(credentialsFile) || existsSync(configFile);
}

export function chooseBackendKind(
  values: ParsedCommand['values'],
  env: NodeJS.ProcessEnv,
): 'sandbox' | 'aws' {
  if (values.sandbox && values.profile) {
    throw new UsageError(
      `--sandbox and --profile cannot be used together. Received: --profile ${values.profile}`,
    );
  }
  if (values.sandbox) return 'sandbox';
  if (values.profile || env.AWS_ENDPOINT_URL) return 'aws';
  return awsCredentialsConfigured(env) ? 'aws' : 'sandbox';
}

export function sandboxStateDir(values: ParsedCommand['values'], env: NodeJS.ProcessEnv): string {
  return resolve(String(values['state-dir'] ?? env.STACKFLEET_SANDBOX_DIR ?? '.stackfleet/sandbox'));
}

/** What a command does with the sandbox's state folder (ignored against AWS). */
export interface OpenOptions {
  /** `read`: never saves and takes no lock (status, ui). Default `write`. */
  access?: 'read' | 'write';
  /** This command, as other processes waiting for the state folder are told (`stackfleet rollout`). */
  command?: string;
  /** Where a writer says it waits for the state folder. */
  stderr?: { write(s: string): unknown };
}

export async function openBackend(
  values: ParsedCommand['values'],
  env: NodeJS.ProcessEnv,
  options: OpenOptions = {},
): Promise<Backend> {
  if (values['local-engine']) {
    if (values.sandbox) {
      throw new UsageError(
        '--local-engine runs against AWS (or AWS_ENDPOINT_URL); the sandbox already runs the local engine. Drop --sandbox.',
      );
    }
    if (values['artifact-bucket'] === undefined) {
      throw new UsageError(
        '--local-engine needs --artifact-bucket BUCKET (for templates, manifests and results). Received: (nothing)',
      );
    }
    if (values.profile) process.env.AWS_PROFILE = String(values.profile);
    const { openLocalEngineBackend } = await import('./local-engine-backend');
    return openLocalEngineBackend({
      region: String(values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1'),
      artifactBucket: String(values['artifact-bucket']),
      ...(values['topic-arn'] !== undefined ? { topicArn: String(values['topic-arn']) } : {}),
      ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
    });
  }
  const kind = chooseBackendKind(values, env);
  if (kind === 'sandbox') {
    const { openSandboxBackend } = await import('./sandbox-backend');
    return openSandboxBackend({
      stateDir: sandboxStateDir(values, env),
      scenario: values.scenario === undefined ? undefined : String(values.scenario),
      env,
      ...options,
    });
  }
  if (values.scenario !== undefined) {
    throw new UsageError(
      `--scenario only applies to the sandbox. Received: --scenario ${values.scenario} with AWS`,
    );
  }
  return openAwsBackend(values, env);
}

/**
 * The admin resources named by the admin stack's outputs. A stack deployed before a per-target
 * machine existed lacks its output: the error names each missing output and how to fix it.
 */
export function adminResourcesFromOutputs(outputs: Record<string, string | undefined>): AdminResources {
  const need = [
    'RolloutStateMachineArn',
    ...targetStateMachineFiles.map((sm) => sm.placeholder),
    'ArtifactBucketName',
    'NotificationTopicArn',
  ];
  const missing = need.filter((k) => !outputs[k]);
  if (missing.length > 0) {
    throw new CliError(
      `the admin stack ${ADMIN_STACK_NAME} lacks output${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; ` +
        'it was deployed by an older stackfleet or changed by hand. Deploy it again with `npm run deploy-admin`',
      ExitCodes.unreachable,
    );
  }
  return {
    rolloutStateMachineArn: outputs.RolloutStateMachineArn!,
    targetStateMachineArns: Object.fromEntries(
      targetStateMachineFiles.map((sm) => [sm.mode, outputs[sm.placeholder]!]),
    ) as Record<RolloutMode, string>,
    artifactBucket: outputs.ArtifactBucketName!,
    topicArn: outputs.NotificationTopicArn!,
  };
}

async function openAwsBackend(values: ParsedCommand['values'], env: NodeJS.ProcessEnv): Promise<Backend> {
  if (values.profile) process.env.AWS_PROFILE = String(values.profile);
  const region = String(values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1');
  configureAws({});
  const cloudFormation = awsClients.cloudFormation({ region });
  const sfn = awsClients.sfn({ region });
  const s3 = awsClients.s3({ region });
  let cached: AdminResources | undefined;
  return {
    kind: 'aws',
    description: `AWS (${region}${env.AWS_ENDPOINT_URL ? `, endpoint ${env.AWS_ENDPOINT_URL}` : ''})`,
    region,
    simulated: false,
    sfn,
    s3,
    cloudFormation,
    async admin() {
      if (cached) return cached;
      try {
        const out = await cloudFormation.send(new DescribeStacksCommand({ StackName: ADMIN_STACK_NAME }));
        const outputs = Object.fromEntries(
          (out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
        );
        cached = adminResourcesFromOutputs(outputs);
        return cached;
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError(
          `could not read the admin stack ${ADMIN_STACK_NAME} in ${region}: ${(error as Error).message}. ` +
            'Deploy it first (see README: "Point it at a real AWS organisation"), or use --sandbox.',
          ExitCodes.unreachable,
          { cause: error },
        );
      }
    },
    run: (work) => work(),
    markMetrics() {},
    metrics: () => ({}),
    now: () => Date.now(),
    async close() {},
  };
}

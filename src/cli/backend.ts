import { resolve } from 'node:path';
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsClients, configureAws } from '../aws/clients';
import { graphStateMachineFile, targetStateMachineFiles } from '../core/functions';
import type { RolloutMode } from '../core/rollout-input';
import { loadScenarioFile } from '../sandbox/scenario';
import type { Scenario } from '../sandbox/scenario-types';
import { CliError, ExitCodes, UsageError } from './exit-codes';
import type { ParsedCommand } from './options';
import { trackServerClock } from './server-clock';

/**
 * Where a command runs: the built-in sandbox (in this process, simulated time, state kept on
 * disk between commands) or AWS (a real admin account, or any AWS-compatible endpoint through
 * AWS_ENDPOINT_URL). Both are reached through the same SDK clients and the same code path.
 */
export interface AdminResources {
  rolloutStateMachineArn: string;
  /** The per-target state machine of each mode: a rollout's children run the one of its mode. */
  targetStateMachineArns: Record<RolloutMode, string>;
  /** The stacks form's lane walker (walk-lane); absent on an admin stack deployed before it. */
  walkLaneStateMachineArn?: string;
  artifactBucket: string;
  topicArn: string;
  /** The tamper response's incident table (absent on an admin stack deployed before it). */
  incidentTableName?: string;
  /** The tamper response state machine (absent on an admin stack deployed before it). */
  respondToTamperingStateMachineArn?: string;
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
  /**
   * True when the executions run in this process (the built-in sandbox, the local engine): a
   * rollout started here ends with the process, so `--no-follow` runs it to its end unwatched.
   */
  executionsInProcess?: boolean;
  sfn: SFNClient;
  s3: S3Client;
  cloudFormation: CloudFormationClient;
  /** The admin side (provisioned on first use on the sandbox; read from the admin stack on AWS). */
  admin(): Promise<AdminResources>;
  /** Runs work in the backend's time (virtual on the sandbox). */
  run<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Called by `rollout`/`preview`/`drift` inside `run`, once the rollout execution started: the
   * sandbox plays its scenario's scheduled `activity` beside the rollout. Absent on AWS.
   */
  rolloutStarted?(): void;
  /** Metrics since `markMetrics()` (sandbox only). */
  markMetrics(): void;
  metrics(executionArns?: string[]): BackendMetrics;
  /** Virtual or real now. */
  now(): number;
  /** The account and principal the commands act as (the admin account). */
  callerIdentity(): Promise<{ accountId: string; arn: string }>;
  /** Which input chose the backend (see chooseBackend), for the first line. */
  chosenBy?: string;
  /** The sandbox itself, for sandbox-only commands (`sandbox tamper`); absent on AWS. */
  sandbox?: import('../sandbox/sandbox').Sandbox;
  /** Where the region came from on AWS (see resolveAwsRegion), for the first line. */
  regionSource?: string;
  close(): Promise<void>;
}

/** The first line of every command: where it runs, as whom, in which region, and why there. */
export async function backendLine(backend: Backend): Promise<string> {
  const who = await backend.run(() => backend.callerIdentity());
  const chosen = backend.chosenBy && backend.chosenBy !== 'default' ? `, chosen by ${backend.chosenBy}` : '';
  const region = `${backend.region}${backend.regionSource ? ` (from ${backend.regionSource})` : ''}`;
  return `Backend: ${backend.description}${chosen}; admin account ${who.accountId}, region ${region}`;
}

/** The admin stack the CDK app deploys (its outputs name the state machines and bucket). */
export const ADMIN_STACK_NAME = process.env.STACKFLEET_ADMIN_STACK ?? 'StackFleetAdmin';

/** The sandbox's admin region (its organisation's management account runs the state machines there). */
export const SANDBOX_REGION = 'us-east-1';

/** The environment variable that picks the backend when no flag does (for CI: `aws`). */
export const BACKEND_ENV = 'STACKFLEET_BACKEND';

/** Where a command runs and which input chose it (printed on the first line). */
export interface BackendChoice {
  kind: 'sandbox' | 'aws';
  /** `--sandbox`, `--aws`, `--profile`, `--local-engine`, `STACKFLEET_BACKEND=aws`, or `default`. */
  chosenBy: string;
}

/**
 * The one rule for the backend: the sandbox unless AWS is asked for by a flag (`--aws`,
 * `--profile NAME`, `--local-engine`) or by STACKFLEET_BACKEND=aws; `--sandbox` (or
 * STACKFLEET_BACKEND=sandbox) says so explicitly. Nothing else switches it: credentials in the
 * environment or in ~/.aws, AWS_PROFILE and AWS_ENDPOINT_URL do not, so a rehearsal never reaches
 * a real account by accident and `status` after `npm start` finds the sandbox's rollouts.
 */
export function chooseBackend(values: ParsedCommand['values'], env: NodeJS.ProcessEnv): BackendChoice {
  const awsFlags = [
    values.aws ? '--aws' : undefined,
    values.profile !== undefined ? `--profile ${values.profile}` : undefined,
    values['local-engine'] ? '--local-engine' : undefined,
  ].filter((f): f is string => f !== undefined);
  if (values.sandbox && awsFlags.length > 0) {
    throw new UsageError(
      `--sandbox cannot be used with ${awsFlags.join(' or ')} (those run against AWS). Received: --sandbox ${awsFlags.join(' ')}`,
    );
  }
  if (values.sandbox) return { kind: 'sandbox', chosenBy: '--sandbox' };
  if (awsFlags.length > 0) return { kind: 'aws', chosenBy: (awsFlags[0] as string).split(' ')[0] as string };
  const fromEnv = env[BACKEND_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv !== 'aws' && fromEnv !== 'sandbox') {
      throw new UsageError(`${BACKEND_ENV} must be aws or sandbox. Received: ${JSON.stringify(fromEnv)}`);
    }
    return { kind: fromEnv, chosenBy: `${BACKEND_ENV}=${fromEnv}` };
  }
  return { kind: 'sandbox', chosenBy: 'default' };
}

/** The region of the admin account on AWS, and where it came from. */
export interface ResolvedRegion {
  region: string;
  /** `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, or `profile <name>`. */
  source: string;
}

/**
 * The admin region on AWS, following the SDK's chain: `--region`, then AWS_REGION, then
 * AWS_DEFAULT_REGION (what the AWS CLI reads), then the `region` of the profile in the shared
 * config file, as the SDK resolves it. There is no silent fallback to us-east-1: a command that
 * would otherwise run in a region nobody chose is refused.
 */
export async function resolveAwsRegion(
  values: ParsedCommand['values'],
  env: NodeJS.ProcessEnv,
): Promise<ResolvedRegion> {
  if (values.region !== undefined) return { region: String(values.region), source: '--region' };
  if (env.AWS_REGION) return { region: env.AWS_REGION, source: 'AWS_REGION' };
  if (env.AWS_DEFAULT_REGION) return { region: env.AWS_DEFAULT_REGION, source: 'AWS_DEFAULT_REGION' };
  const profile = String(values.profile ?? env.AWS_PROFILE ?? 'default');
  try {
    // The SDK's own region provider: the profile's `region` in AWS_CONFIG_FILE (~/.aws/config).
    const region = await new STSClient({ profile }).config.region();
    if (region) return { region, source: `profile ${profile}` };
  } catch {
    // "Region is missing": refused below with what to do.
  }
  throw new UsageError(
    `no AWS region for the admin account: pass --region, set AWS_REGION, or set region for profile ${profile} in ${env.AWS_CONFIG_FILE ?? '~/.aws/config'}. Received: (nothing)`,
  );
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
  const choice = chooseBackend(values, env);
  if (choice.kind === 'sandbox') {
    if (values.region !== undefined && values.region !== SANDBOX_REGION) {
      throw new UsageError(
        `--region: the sandbox's admin account is in ${SANDBOX_REGION} (pass --aws to run against AWS). Received: ${values.region}`,
      );
    }
    let scenario: Scenario | undefined;
    if (values.scenario !== undefined) {
      try {
        scenario = loadScenarioFile(String(values.scenario));
      } catch (error) {
        throw new UsageError(`--scenario: ${(error as Error).message}`, { cause: error });
      }
    }
    const { openSandboxBackend } = await import('./sandbox-backend');
    const backend = await openSandboxBackend({
      stateDir: sandboxStateDir(values, env),
      ...(scenario ? { scenario, scenarioSource: resolve(String(values.scenario)) } : {}),
      env,
      ...options,
    });
    backend.chosenBy = choice.chosenBy;
    return backend;
  }
  if (values.scenario !== undefined) {
    throw new UsageError(
      `--scenario only applies to the sandbox. Received: --scenario ${values.scenario} with AWS (${choice.chosenBy})`,
    );
  }
  if (values.profile) process.env.AWS_PROFILE = String(values.profile);
  const region = await resolveAwsRegion(values, env);
  let backend: Backend;
  if (values['local-engine']) {
    if (values['artifact-bucket'] === undefined) {
      throw new UsageError(
        '--local-engine needs --artifact-bucket BUCKET (for templates, manifests and results). Received: (nothing)',
      );
    }
    const { openLocalEngineBackend } = await import('./local-engine-backend');
    const { DEFAULT_LOCAL_ENGINE_DIR } = await import('./local-engine-host');
    backend = await openLocalEngineBackend({
      region: region.region,
      stateDir: resolve(
        String(values['state-dir'] ?? env.STACKFLEET_LOCAL_ENGINE_DIR ?? DEFAULT_LOCAL_ENGINE_DIR),
      ),
      access: options.access ?? 'write',
      env,
      ...(options.stderr ? { stderr: options.stderr } : {}),
      artifactBucket: String(values['artifact-bucket']),
      ...(values['topic-arn'] !== undefined ? { topicArn: String(values['topic-arn']) } : {}),
      ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
    });
  } else {
    backend = openAwsBackend(region.region, env);
  }
  backend.chosenBy = choice.chosenBy;
  backend.regionSource = region.source;
  return backend;
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
    ...(outputs[graphStateMachineFile.placeholder]
      ? { walkLaneStateMachineArn: outputs[graphStateMachineFile.placeholder]! }
      : {}),
    artifactBucket: outputs.ArtifactBucketName!,
    topicArn: outputs.NotificationTopicArn!,
    ...(outputs.IncidentTableName ? { incidentTableName: outputs.IncidentTableName } : {}),
    ...(outputs.RespondToTamperingStateMachineArn
      ? { respondToTamperingStateMachineArn: outputs.RespondToTamperingStateMachineArn }
      : {}),
  };
}

function openAwsBackend(region: string, env: NodeJS.ProcessEnv): Backend {
  configureAws({});
  const cloudFormation = awsClients.cloudFormation({ region });
  const sfn = awsClients.sfn({ region });
  const s3 = awsClients.s3({ region });
  const serverNow = trackServerClock(sfn);
  let cached: AdminResources | undefined;
  return {
    kind: 'aws',
    description: `AWS${env.AWS_PROFILE ? ` (profile ${env.AWS_PROFILE})` : ''}${env.AWS_ENDPOINT_URL ? ` (endpoint ${env.AWS_ENDPOINT_URL})` : ''}`,
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
    callerIdentity: () => callerIdentity(region),
    run: (work) => work(),
    markMetrics() {},
    metrics: () => ({}),
    now: serverNow,
    async close() {},
  };
}

/** Who the SDK's credentials are (GetCallerIdentity): the admin account the first line names. */
export async function callerIdentity(region: string): Promise<{ accountId: string; arn: string }> {
  try {
    const who = await awsClients.sts({ region }).send(new GetCallerIdentityCommand({}));
    return { accountId: who.Account ?? '?', arn: who.Arn ?? '?' };
  } catch (error) {
    throw new CliError(
      `could not identify the AWS caller (sts:GetCallerIdentity in ${region}): ${(error as Error).name}: ${(error as Error).message}`,
      ExitCodes.unreachable,
      { cause: error },
    );
  }
}

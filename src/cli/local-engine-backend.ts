import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { awsClients, configureAws } from '../aws/clients';
import {
  lambdaFunctions,
  stateMachineFiles,
  substituteDefinition,
  targetStateMachineFiles,
} from '../core/functions';
import type { RolloutMode } from '../core/rollout-input';
import { stateMachineArn } from '../engine/arns';
import { createOrUpdateStateMachine } from '../engine/provision';
import type { Scenario } from '../sandbox/scenario-types';
import {
  ADMIN_STACK_NAME,
  type AdminResources,
  adminResourcesFromOutputs,
  type Backend,
  callerIdentity,
} from './backend';
import { CliError, ExitCodes } from './exit-codes';
import { localEngineDir, openLocalEngineHost } from './local-engine-host';

/**
 * `--local-engine`: the state machines run on this machine (the local engine, reached through the
 * same Step Functions API as ever), everything else is the AWS the SDK's configuration points at:
 * a real organisation (`--profile`), or any AWS-compatible endpoint (`AWS_ENDPOINT_URL`, such as
 * `stackfleet sandbox serve`). The admin stack must be deployed there: its outputs (DescribeStacks,
 * as the AWS backend reads them) name the functions, which the local engine invokes through Lambda
 * so that each runs as its own role (the only principals the targets' execution role trusts), and
 * the deployed state machines, whose roles the local copies carry. The copies run the ASL files
 * of this checkout with the same substitutions as the CDK app, except that templates, manifests
 * and results go to `--artifact-bucket` (which must let the admin functions and the targets'
 * execution roles in, as the admin stack's bucket does). Executions live in this process, in real
 * time; the results stay in the bucket. Step Functions' own calls (the manifest, the results, the
 * summary notification) are made with the SDK's credentials.
 */
const REPO_ROOT = resolve(__dirname, '..', '..');

/** Name prefix of the local copies of the state machines (`stackfleet-local-rollout`). */
export const LOCAL_STATE_MACHINE_PREFIX = 'stackfleet-local-';

/** The world hosting the local Step Functions API: the admin account, and nothing else. */
function hostScenario(accountId: string, region: string): Scenario {
  return {
    seed: 1,
    organization: {
      id: 'o-localengine0',
      rootId: 'r-loca',
      managementAccountId: accountId,
      ous: [],
      accounts: [{ id: accountId, name: 'admin' }],
    },
    regions: [region],
    optInRegions: [],
    executionRoleName: 'StackFleetExecution',
    durations: { default: 1 },
    faults: {},
  };
}

/** The admin stack's outputs, or the CliError saying it cannot be read (exit 3). */
async function adminOutputs(region: string): Promise<Record<string, string>> {
  try {
    const out = await awsClients
      .cloudFormation({ region })
      .send(new DescribeStacksCommand({ StackName: ADMIN_STACK_NAME }));
    return Object.fromEntries(
      (out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
  } catch (error) {
    throw new CliError(
      `could not read the admin stack ${ADMIN_STACK_NAME} in ${region}: ${(error as Error).message}. ` +
        '--local-engine invokes its functions: deploy it first (see README: "Point it at a real AWS organisation").',
      ExitCodes.unreachable,
      { cause: error },
    );
  }
}

/** The deployed functions' ARNs by substitution name; a stack without them is too old (exit 3). */
function functionArns(outputs: Record<string, string>): Record<string, string> {
  const missing = lambdaFunctions.filter((fn) => !outputs[fn.placeholder]).map((fn) => fn.placeholder);
  if (missing.length > 0) {
    throw new CliError(
      `the admin stack ${ADMIN_STACK_NAME} lacks output${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, ` +
        'which --local-engine needs to invoke the functions; it was deployed by an older stackfleet. Deploy it again with `npm run deploy-admin`',
      ExitCodes.unreachable,
    );
  }
  return Object.fromEntries(lambdaFunctions.map((fn) => [fn.placeholder, outputs[fn.placeholder] as string]));
}

/** The role of a deployed state machine (DescribeStateMachine on the admin account). */
async function deployedRole(sfn: SFNClient, arn: string): Promise<string> {
  try {
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    if (!described.roleArn) throw new Error(`DescribeStateMachine of ${arn} returned no roleArn`);
    return described.roleArn;
  } catch (error) {
    throw new CliError(
      `could not describe the admin stack's state machine ${arn}: ${(error as Error).message}`,
      ExitCodes.unreachable,
      { cause: error },
    );
  }
}

export async function openLocalEngineBackend(options: {
  region: string;
  artifactBucket: string;
  topicArn?: string;
  endpoint?: string;
  /** Where the local engine keeps its executions (see src/cli/local-engine-host.ts). */
  stateDir: string;
  /** `read` for status, list and ui: they never write the executions. Default `write`. */
  access?: 'read' | 'write';
  env?: NodeJS.ProcessEnv;
  stderr?: { write(s: string): unknown };
}): Promise<Backend> {
  const region = options.region;
  configureAws({});
  const who = await callerIdentity(region);
  // The deployed state machines are read on AWS; from here on Step Functions is the local engine.
  const deployedSfn = awsClients.sfn({ region });
  const scenario = hostScenario(who.accountId, region);
  const host = await openLocalEngineHost({
    dir: localEngineDir(options.stateDir, who.accountId, region),
    scenario,
    access: options.access ?? 'write',
    env: options.env ?? process.env,
    stderr: options.stderr ?? process.stderr,
  });
  // The host world's management account is the caller's: its static test keys act as it.
  configureAws({
    services: {
      sfn: { requestHandler: host.handler, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
    },
  });
  const sfn = awsClients.sfn({ region });
  const s3 = awsClients.s3({ region });
  const cloudFormation = awsClients.cloudFormation({ region });
  let admin: AdminResources | undefined;
  return {
    kind: 'aws',
    description: `the local engine against AWS (${region}${options.endpoint ? `, endpoint ${options.endpoint}` : ''})`,
    region,
    simulated: false,
    executionsInProcess: true,
    sfn,
    s3,
    cloudFormation,
    async admin() {
      if (admin) return admin;
      const outputs = await adminOutputs(region);
      const deployed = adminResourcesFromOutputs(outputs);
      const topicArn = options.topicArn ?? deployed.topicArn;
      const localArn = (id: string) =>
        stateMachineArn(region, who.accountId, `${LOCAL_STATE_MACHINE_PREFIX}${id}`);
      const substitutions: Record<string, string> = {
        ...functionArns(outputs),
        ArtifactBucketName: options.artifactBucket,
        NotificationTopicArn: topicArn,
      };
      for (const sm of stateMachineFiles) substitutions[sm.placeholder] = localArn(sm.id);
      const deployedArn = (sm: (typeof stateMachineFiles)[number]): string => {
        if (sm.id === 'rollout') return deployed.rolloutStateMachineArn;
        if ('mode' in sm) return deployed.targetStateMachineArns[sm.mode];
        // The stacks form's walk-lane machine: an output of its own (infra/lib/admin-stack.ts).
        const arn = outputs[sm.placeholder];
        if (!arn)
          throw new CliError(
            `the admin stack ${ADMIN_STACK_NAME} lacks output ${sm.placeholder}; it was deployed by an older stackfleet. Deploy it again with \`npm run deploy-admin\``,
            ExitCodes.unreachable,
          );
        return arn;
      };
      const arns: Record<string, string> = {};
      for (const sm of stateMachineFiles) {
        const definition = substituteDefinition(
          readFileSync(join(REPO_ROOT, sm.file), 'utf8'),
          substitutions,
        );
        arns[sm.id] = await createOrUpdateStateMachine(sfn, {
          name: `${LOCAL_STATE_MACHINE_PREFIX}${sm.id}`,
          definition,
          roleArn: await deployedRole(deployedSfn, deployedArn(sm)),
          arn: localArn(sm.id),
        });
      }
      admin = {
        rolloutStateMachineArn: arns.rollout!,
        targetStateMachineArns: Object.fromEntries(
          targetStateMachineFiles.map((sm) => [sm.mode, arns[sm.id]!]),
        ) as Record<RolloutMode, string>,
        artifactBucket: options.artifactBucket,
        topicArn,
      };
      return admin;
    },
    async run(work) {
      const result = await work();
      // A writer runs its executions to their end; a reader only reads them.
      if ((options.access ?? 'write') === 'write') await host.engine().whenIdle();
      return result;
    },
    markMetrics() {},
    metrics() {
      let transitions = 0;
      for (const e of Object.values(host.engine().store.executions)) transitions += e.stateTransitions;
      return { stateTransitions: transitions };
    },
    now: () => Date.now(),
    callerIdentity: async () => who,
    close: () => host.close(),
  };
}

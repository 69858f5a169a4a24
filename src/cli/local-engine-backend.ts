import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { awsClients, configureAws } from '../aws/clients';
import { stateMachineFiles, substituteDefinition, targetStateMachineFiles } from '../core/functions';
import type { RolloutMode } from '../core/rollout-input';
import { adminSubstitutions, createOrUpdateStateMachine } from '../engine/provision';
import { Sandbox } from '../sandbox/sandbox';
import { createStepFunctionsService, engineFor } from '../sandbox/services/stepfunctions';
import { type AdminResources, type Backend, callerIdentity } from './backend';
import { CliError, ExitCodes } from './exit-codes';

/**
 * `--local-engine`: the state machines run on this machine (the local engine, reached through the
 * same Step Functions API as ever), while every function's calls — STS, Organizations, EC2, S3,
 * CloudFormation, SNS — go to whatever AWS the SDK's configuration points at: a real organisation
 * (`--profile`), or any AWS-compatible endpoint (`AWS_ENDPOINT_URL`). No admin stack is needed;
 * templates, manifests and results go to `--artifact-bucket`. Executions live in this process, in
 * real time; the results stay in the bucket.
 */
const REPO_ROOT = resolve(__dirname, '..', '..');
const LOCAL_ACCOUNT = '000000000000';

export async function openLocalEngineBackend(options: {
  region: string;
  artifactBucket: string;
  topicArn?: string;
  endpoint?: string;
}): Promise<Backend> {
  const host = await Sandbox.open({ stateDir: null, defaultServices: false });
  host.register(createStepFunctionsService());
  configureAws({
    services: { sfn: { requestHandler: host.requestHandler(), credentials: { ...host.adminCredentials } } },
  });
  const engine = engineFor(host.world);
  const region = options.region;
  const sfn = awsClients.sfn({ region });
  const s3 = awsClients.s3({ region });
  const sns = awsClients.sns({ region });
  const cloudFormation = awsClients.cloudFormation({ region });
  let admin: AdminResources | undefined;
  return {
    kind: 'aws',
    description: `the local engine against AWS (${region}${options.endpoint ? `, endpoint ${options.endpoint}` : ''})`,
    region,
    simulated: false,
    sfn,
    s3,
    cloudFormation,
    async admin() {
      if (admin) return admin;
      let topicArn = options.topicArn;
      if (!topicArn) {
        try {
          topicArn = (await sns.send(new CreateTopicCommand({ Name: 'stackfleet-local-notifications' })))
            .TopicArn;
        } catch (error) {
          throw new CliError(
            `could not create the notification topic (pass --topic-arn to use an existing one): ${(error as Error).message}`,
            ExitCodes.unreachable,
            { cause: error },
          );
        }
      }
      const substitutions = adminSubstitutions(
        { accountId: host.scenario.organization.managementAccountId, region },
        options.artifactBucket,
        topicArn!,
      );
      const arns: Record<string, string> = {};
      for (const sm of stateMachineFiles) {
        const definition = substituteDefinition(
          readFileSync(join(REPO_ROOT, sm.file), 'utf8'),
          substitutions,
        );
        const name = `stackfleet-${sm.id}`;
        arns[sm.id] = await createOrUpdateStateMachine(sfn, {
          name,
          definition,
          roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/stackfleet-local`,
          arn: substitutions[sm.placeholder]!,
        });
      }
      admin = {
        rolloutStateMachineArn: arns.rollout!,
        targetStateMachineArns: Object.fromEntries(
          targetStateMachineFiles.map((sm) => [sm.mode, arns[sm.id]!]),
        ) as Record<RolloutMode, string>,
        artifactBucket: options.artifactBucket,
        topicArn: topicArn!,
      };
      return admin;
    },
    async run(work) {
      const result = await work();
      await engine.whenIdle();
      return result;
    },
    markMetrics() {},
    metrics() {
      let transitions = 0;
      for (const e of Object.values(engine.store.executions)) transitions += e.stateTransitions;
      return { stateTransitions: transitions };
    },
    now: () => Date.now(),
    callerIdentity: () => callerIdentity(region),
    async close() {},
  };
}

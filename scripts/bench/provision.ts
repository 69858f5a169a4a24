/**
 * The policy benchmark's machines (scripts/bench.ts): the real rollout and deploy-target state
 * machines for stackfleet, and for the reference policies a variant of each (a fixed wait) run
 * by the same engine under a role with the real machines' permissions.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { awsClients } from '../../src/aws/clients';
import { substituteDefinition } from '../../src/core/functions';
import { stateMachineArn } from '../../src/engine/arns';
import { createOrUpdateStateMachine } from '../../src/engine/provision';
import { findRoleByArn, iamSection, putRole } from '../../src/sandbox/iam/state';
import type { SandboxHarness } from '../../test/helpers/sandbox-harness';
import { countingFactor } from './stats';
import { type BenchPolicy, POLICY_SPECS, renamePlaceholder, withFixedStackWait } from './variants';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Measures how many times the sandbox counts one CloudFormation call (it was 2 when written). */
export async function calibrateCfnCounting(h: SandboxHarness): Promise<number> {
  const key = `${h.accountId}/${h.region}`;
  const before = h.sandbox.world.metrics.cloudFormationCallsByTarget[key] ?? 0;
  await h.virtual(() => awsClients.cloudFormation({ region: h.region }).send(new DescribeStacksCommand({})));
  const after = h.sandbox.world.metrics.cloudFormationCallsByTarget[key] ?? 0;
  return countingFactor(after - before);
}

/** Provisions the policy's variant deploy-target and rollout state machines; the real ones for stackfleet. */
export async function provisionPolicy(
  h: SandboxHarness,
  policy: BenchPolicy,
): Promise<{ rollout: string; deployTarget: string }> {
  const admin = h.admin;
  if (!admin) throw new Error('bench needs a provisioned admin account');
  const spec = POLICY_SPECS[policy];
  // stackfleet-events runs the real machines too: only the rollout input differs (stackEvents).
  if (spec.fixedWaitSeconds === undefined)
    return { rollout: admin.rolloutStateMachineArn, deployTarget: admin.deployTargetStateMachineArn };
  const roleArn = await benchVariantRole(h);
  const deployName = `stackfleet-deploy-target-${policy}`;
  const rolloutName = `stackfleet-rollout-${policy}`;
  const deployText = readFileSync(path.join(REPO_ROOT, 'statemachines', 'deploy-target.asl.json'), 'utf8');
  const deployDef = withFixedStackWait(JSON.parse(deployText), spec.fixedWaitSeconds);
  const rolloutText = renamePlaceholder(
    readFileSync(path.join(REPO_ROOT, 'statemachines', 'rollout.asl.json'), 'utf8'),
    'DeployTargetStateMachineArn',
    'BenchDeployTargetStateMachineArn',
  );
  return h.virtual(async () => {
    const deployTarget = await createOrUpdateStateMachine(h.sfn, {
      name: deployName,
      definition: substituteDefinition(JSON.stringify(deployDef), admin.substitutions),
      roleArn,
      arn: stateMachineArn(h.region, h.accountId, deployName),
    });
    const rollout = await createOrUpdateStateMachine(h.sfn, {
      name: rolloutName,
      definition: substituteDefinition(rolloutText, {
        ...admin.substitutions,
        BenchDeployTargetStateMachineArn: deployTarget,
      }),
      roleArn,
      arn: stateMachineArn(h.region, h.accountId, rolloutName),
    });
    return { rollout, deployTarget };
  });
}

/**
 * The role the policy variants run as: what the real rollout and deploy-target machines' CDK roles
 * allow, plus their own executions (as an operator would add a role for an experiment), so IAM
 * applies to the variants as to the real machines.
 */
async function benchVariantRole(h: SandboxHarness): Promise<string> {
  const admin = h.admin as NonNullable<SandboxHarness['admin']>;
  const section = iamSection(h.sandbox.world);
  const policies: Record<string, string> = {};
  for (const arn of [admin.rolloutStateMachineArn, admin.deployTargetStateMachineArn]) {
    const machine = h.engine.store.stateMachines[arn];
    const role = machine ? findRoleByArn(section, machine.roleArn) : undefined;
    for (const [name, text] of Object.entries(role?.inlinePolicies ?? {})) policies[name] = text;
  }
  policies.BenchVariants = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['states:StartExecution', 'states:DescribeExecution', 'states:StopExecution'],
        Resource: [
          `arn:aws:states:${h.region}:${h.accountId}:stateMachine:stackfleet-*`,
          `arn:aws:states:${h.region}:${h.accountId}:execution:stackfleet-*`,
        ],
      },
    ],
  });
  const role = putRole(section, {
    accountId: h.accountId,
    name: 'stackfleet-bench-variants',
    path: '/stackfleet/',
    trustPolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    }),
    inlinePolicies: policies,
    now: h.sandbox.now(),
  });
  return role.arn;
}

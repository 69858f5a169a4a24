import { awsClients } from '../aws/clients';
import { seededRandom } from '../core/seeded-random';
import type { ProvisionedAdmin } from '../engine/provision';
import { isVirtualTimeActive } from '../sandbox/clock';
import { Sandbox } from '../sandbox/sandbox';
import { ScenarioError } from '../sandbox/scenario';
import type { Scenario } from '../sandbox/scenario-types';
import { engineFor } from '../sandbox/services/stepfunctions';
import { type Backend, type BackendMetrics, SANDBOX_REGION } from './backend';
import { CliError, ExitCodes } from './exit-codes';

/**
 * The sandbox as a backend: the emulator and the local engine run in this process, time is
 * virtual (a rollout of an hour simulates in moments), and the world is saved to `stateDir` when
 * the command ends so the next command (`status`, `preview`, `drift`, `ui`) sees the same stacks.
 * The admin side is provisioned on first use from the same ASL files and substitutions as CDK.
 */

export async function openSandboxBackend(options: {
  stateDir: string;
  scenario?: string | Scenario;
  reset?: boolean;
}): Promise<Backend> {
  let sandbox: Sandbox;
  try {
    sandbox = await Sandbox.open({
      stateDir: options.stateDir,
      ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
      ...(options.reset ? { reset: true } : {}),
    });
  } catch (error) {
    const message = (error as Error).message;
    // Scenario problems are the user's input (ScenarioError names the field); anything else,
    // whatever its wording, means the sandbox could not start.
    if (error instanceof ScenarioError) {
      throw new CliError(`--scenario: ${message}`, ExitCodes.badInput, { cause: error });
    }
    throw new CliError(
      `could not open the sandbox in ${options.stateDir}: ${message}`,
      ExitCodes.unreachable,
      {
        cause: error,
      },
    );
  }
  sandbox.connectAws();
  const engine = engineFor(sandbox.world);
  const region = SANDBOX_REGION;
  const accountId = sandbox.scenario.adminAccountId ?? sandbox.scenario.organization.managementAccountId;
  const sfn = awsClients.sfn({ region });
  const s3 = awsClients.s3({ region });
  const cloudFormation = awsClients.cloudFormation({ region });
  let admin: Promise<ProvisionedAdmin> | undefined;
  let runs = 0;
  let mark = { cfn: 0, executions: new Set<string>() };
  const cfnTotal = () =>
    Object.entries(sandbox.world.metrics.calls)
      .filter(([k]) => k.startsWith('cloudformation.'))
      .reduce((sum, [, v]) => sum + v, 0);

  const backend: Backend = {
    kind: 'sandbox',
    description: `the sandbox (${sandbox.scenario.organization.accounts.length} accounts, state in ${options.stateDir})`,
    region,
    simulated: true,
    sfn,
    s3,
    cloudFormation,
    admin() {
      // The first use bootstraps the members and deploys the admin stack from the CDK app, which
      // takes minutes of the sandbox's clock: under virtual time they pass at once.
      admin ??= isVirtualTimeActive() ? sandbox.prepare(region) : backend.run(() => sandbox.prepare(region));
      return admin;
    },
    async run(work) {
      const original = Math.random;
      runs += 1;
      Math.random = seededRandom(`${sandbox.scenario.seed}:${runs}`);
      try {
        return await sandbox.runWithVirtualTime(async () => {
          const result = await work();
          await engine.whenIdle();
          return result;
        });
      } finally {
        Math.random = original;
      }
    },
    markMetrics() {
      mark = { cfn: cfnTotal(), executions: new Set(Object.keys(engine.store.executions)) };
    },
    metrics(): BackendMetrics {
      let transitions = 0;
      for (const [arn, e] of Object.entries(engine.store.executions)) {
        if (!mark.executions.has(arn)) transitions += e.stateTransitions;
      }
      return { stateTransitions: transitions, cloudFormationCalls: cfnTotal() - mark.cfn };
    },
    now: () => sandbox.now(),
    async callerIdentity() {
      return { accountId, arn: `arn:aws:iam::${accountId}:root` };
    },
    async close() {
      await sandbox.save();
    },
  };
  return backend;
}

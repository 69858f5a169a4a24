import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { awsClients } from '../aws/clients';
import { seededRandom } from '../core/seeded-random';
import type { ProvisionedAdmin } from '../engine/provision';
import { isVirtualTimeActive } from '../sandbox/clock';
import { Sandbox } from '../sandbox/sandbox';
import { ScenarioError } from '../sandbox/scenario';
import { activityOrigin, type ScheduledActivity, scheduleScenarioActivity } from '../sandbox/scenario-play';
import type { Scenario } from '../sandbox/scenario-types';
import { whenEventsAndExecutionsSettled } from '../sandbox/services/events/delivery';
import { engineFor } from '../sandbox/services/stepfunctions';
import type { LockHolder } from '../sandbox/store';
import { SandboxScenarioConflictError, SandboxStateError } from '../sandbox/store/errors';
import { type Backend, type BackendMetrics, SANDBOX_REGION } from './backend';
import { CliError, ExitCodes, UsageError } from './exit-codes';
import { InterruptedError, interrupts } from './interrupt';

/**
 * The sandbox as a backend: the emulator and the local engine run in this process, time is
 * virtual (a rollout of an hour simulates in moments), and the world is saved to `stateDir` when
 * the command ends so the next command (`status`, `preview`, `drift`, `ui`) sees the same stacks.
 * The admin side is provisioned on first use from the same ASL files and substitutions as CDK.
 *
 * A writer holds the state folder's lock from open to close, so a second process waits for it
 * (or gives up, with exit 2) instead of both saving over each other; a reader (`status`, `ui`)
 * takes no lock and never saves. SIGINT/SIGTERM during a writer's run stop the virtual clock,
 * let the work in flight settle, and save that world whole (its running executions are closed
 * as ABORTED when the world is next opened); the command then exits 130/143.
 */

/** Seconds a writer waits for another one by default (STACKFLEET_SANDBOX_LOCK_WAIT overrides). */
export const DEFAULT_LOCK_WAIT_SECONDS = 600;

export type SandboxAccess = 'read' | 'write';

/** How long to wait for the state folder's lock, from STACKFLEET_SANDBOX_LOCK_WAIT (seconds). */
export function lockWaitMs(env: NodeJS.ProcessEnv): number {
  const text = env.STACKFLEET_SANDBOX_LOCK_WAIT;
  if (text === undefined || text === '') return DEFAULT_LOCK_WAIT_SECONDS * 1000;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(seconds)) {
    throw new UsageError(
      `STACKFLEET_SANDBOX_LOCK_WAIT must be a number of seconds (0 = do not wait). Received: ${JSON.stringify(text)}`,
    );
  }
  return seconds * 1000;
}

/** The line a waiting writer prints once per holder. */
export function waitingLine(dir: string, holder: LockHolder): string {
  return `stackfleet: waiting for the sandbox in ${dir}, held by pid ${holder.pid} (${holder.command}) since ${holder.since}\n`;
}

/** Opens the sandbox world, turning state-folder and scenario problems into exit 2. */
export async function openSandboxWorld(options: {
  stateDir: string;
  scenario?: string | Scenario;
  /** Where an object `scenario` came from (its file), for messages and the saved world. */
  scenarioSource?: string;
  reset?: boolean;
  access: SandboxAccess;
  command: string;
  env: NodeJS.ProcessEnv;
  stderr: { write(s: string): unknown };
  signingClock?: () => number;
}): Promise<Sandbox> {
  const waitMs = lockWaitMs(options.env);
  try {
    return await Sandbox.open({
      stateDir: options.stateDir,
      access: options.access,
      ...(options.access === 'write'
        ? {
            lock: {
              command: options.command,
              waitMs,
              onWait: (holder: LockHolder, dir: string) => options.stderr.write(waitingLine(dir, holder)),
            },
          }
        : {}),
      ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
      ...(options.scenarioSource !== undefined ? { scenarioSource: options.scenarioSource } : {}),
      ...(options.reset ? { reset: true } : {}),
      ...(options.signingClock ? { signingClock: options.signingClock } : {}),
    });
  } catch (error) {
    if (error instanceof SandboxScenarioConflictError || error instanceof SandboxStateError) {
      throw new CliError(error.message, ExitCodes.badInput, { cause: error });
    }
    const message = (error as Error).message;
    // Scenario problems are the user's input (ScenarioError names the field; lock and folder
    // problems were handled above); anything else, whatever its wording, means the sandbox
    // could not start.
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
}

/**
 * What is in force, for the first line of a command: `scenario /x/small.yaml, kept with the saved
 * world`, `new world from scenario /x/small.yaml`, `new world from the built-in demo organisation`.
 */
export function scenarioNote(sandbox: Sandbox): string {
  const { scenarioSource, loaded } = sandbox.origin;
  const label = isAbsolute(scenarioSource) ? `scenario ${scenarioSource}` : scenarioSource;
  return loaded ? `${label}, kept with the saved world` : `new world from ${label}`;
}

export async function openSandboxBackend(options: {
  stateDir: string;
  scenario?: string | Scenario;
  scenarioSource?: string;
  reset?: boolean;
  access?: SandboxAccess;
  command?: string;
  env?: NodeJS.ProcessEnv;
  stderr?: { write(s: string): unknown };
}): Promise<Backend> {
  const access = options.access ?? 'write';
  const sandbox = await openSandboxWorld({
    stateDir: options.stateDir,
    ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
    ...(options.scenarioSource !== undefined ? { scenarioSource: options.scenarioSource } : {}),
    ...(options.reset ? { reset: true } : {}),
    access,
    command: options.command ?? 'stackfleet',
    env: options.env ?? process.env,
    stderr: options.stderr ?? process.stderr,
  });
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
  // A writer stops cleanly on the first signal; a reader has nothing to keep.
  const release = access === 'write' ? interrupts.hold() : () => undefined;
  let savedOnInterrupt = false;
  let closed = false;
  const saveInterrupted = async () => {
    await sandbox.save();
    savedOnInterrupt = true;
  };
  const scenarioText = scenarioNote(sandbox);
  // The scenario's scheduled activity, while a rollout of this run plays it (see rolloutStarted).
  let activity: ScheduledActivity | undefined;

  const backend: Backend = {
    kind: 'sandbox',
    sandbox,
    description: `the sandbox (${sandbox.scenario.organization.accounts.length} accounts, ${scenarioText}, state in ${options.stateDir}${access === 'read' ? ', read-only' : ''})`,
    region,
    simulated: true,
    executionsInProcess: true,
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
      if (access === 'write' && interrupts.signal.aborted) throw interrupts.signal.reason;
      const original = Math.random;
      runs += 1;
      Math.random = seededRandom(`${sandbox.scenario.seed}:${runs}`);
      const hold = heldAfterSteps(
        options.env ?? process.env,
        options.stderr ?? process.stderr,
        () => engine.runningCount > 0,
      );
      try {
        return await sandbox.runWithVirtualTime(
          async () => {
            const result = await work();
            await engine.whenIdle();
            if (activity) {
              // The rollout is over: entries not yet due are dropped from this run (they stay
              // unplayed and wait for a later rollout); the calls already made, their CloudTrail
              // events and the responses they start run to their end before the world is saved.
              activity.cancel();
              activity = undefined;
              await whenEventsAndExecutionsSettled(sandbox.world, engine);
            }
            return result;
          },
          access === 'write'
            ? { signal: interrupts.signal, whileFrozen: saveInterrupted, ...(hold ? hold : {}) }
            : {},
        );
      } catch (error) {
        if (error instanceof InterruptedError && savedOnInterrupt) {
          throw new InterruptedError(
            error.signal,
            `the sandbox world was saved as it stood (virtual ${new Date(sandbox.now()).toISOString()}); ` +
              'executions that were running show as ABORTED, and running the command again continues from there',
          );
        }
        throw error;
      } finally {
        Math.random = original;
        // An interrupted run's clock is gone with its timers: what was not made waits for a later run.
        activity = undefined;
      }
    },
    /**
     * Plays the scenario's `activity` beside the rollout, on the same virtual clock. Minute 0 is
     * the start of the world's first rollout (kept with the world); entries already in the
     * activity log are not made again. runWithVirtualTime ends when the work settles and drops
     * timers still pending, so rather than stretch the rollout to the last entry's minute, an
     * entry whose minute falls after the rollout's end is cancelled here and made by a later
     * rollout (at once, being due by then).
     */
    rolloutStarted() {
      if (!sandbox.scenario.activity?.length || activity) return;
      const from = activityOrigin(sandbox.world, sandbox.now());
      activity = scheduleScenarioActivity(sandbox.world, { from, skipPlayed: true });
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
      if (closed) return;
      closed = true;
      try {
        // Readers never write; a writer interrupted mid-run saved already, with the clock stopped.
        if (access === 'write' && !savedOnInterrupt) await sandbox.save();
      } finally {
        await sandbox.close();
        release();
      }
    },
  };
  return backend;
}

/**
 * Fault injection for the tests of interrupts and of concurrent writers
 * (`STACKFLEET_SANDBOX_FAULT=hold-after-steps:N`): after N jumps of the virtual clock taken while
 * a Step Functions execution runs in this sandbox, the clock stops moving (the rollout is then
 * mid-way, the state folder held) and the process says so on stderr, so a test can act at a known
 * point instead of racing it. Only those jumps count because a new world is prepared in the same
 * run first (members bootstrapped and the admin stack deployed through CloudFormation, which takes
 * many jumps and starts no execution): N is then counted from the rollout's StartExecution,
 * whatever the preparation took. Jumps happen only when all work is idle, so the point reached is
 * the same on a fast or a slow machine. The clock moves on once the file named by
 * STACKFLEET_SANDBOX_FAULT_RELEASE exists.
 */
function heldAfterSteps(
  env: NodeJS.ProcessEnv,
  stderr: { write(s: string): unknown },
  executionsRunning: () => boolean,
): { onStep: () => void; hold: () => boolean } | undefined {
  const m = /^hold-after-steps:(\d+)$/.exec(env.STACKFLEET_SANDBOX_FAULT ?? '');
  if (!m) return undefined;
  const limit = Number(m[1]);
  const releaseFile = env.STACKFLEET_SANDBOX_FAULT_RELEASE;
  let steps = 0;
  let said = false;
  let released = false;
  return {
    onStep: () => {
      if (executionsRunning()) steps += 1;
    },
    hold: () => {
      if (steps < limit || released) return false;
      if (releaseFile && existsSync(releaseFile)) {
        released = true;
        return false;
      }
      if (!said) {
        said = true;
        stderr.write(`sandbox fault injection: virtual clock held after ${limit} steps of the rollout\n`);
      }
      return true;
    },
  };
}

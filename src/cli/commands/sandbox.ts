import { rm } from 'node:fs/promises';
import type { ProvisionedAdmin } from '../../engine/provision';
import { realNow, startScaledClock } from '../../sandbox/clock';
import { Sandbox } from '../../sandbox/sandbox';
import { ScenarioError } from '../../sandbox/scenario';
import { engineFor } from '../../sandbox/services/stepfunctions';
import { SANDBOX_REGION, sandboxStateDir } from '../backend';
import { CliError, ExitCodes, UsageError } from '../exit-codes';
import type { Io } from '../main';
import { integerFlag, type ParsedCommand } from '../options';

/**
 * `sandbox serve`: the emulator (and the local engine behind its Step Functions API) on
 * 127.0.0.1 for other processes, prepared like the in-process sandbox (members bootstrapped, the
 * admin stack deployed), its clock K times faster than real time, state saved every few seconds
 * and on exit. `sandbox reset`: forget the saved world.
 */
export async function sandboxCommand(parsed: ParsedCommand, io: Io): Promise<number> {
  const action = parsed.positionals[0];
  const stateDir = sandboxStateDir(parsed.values, io.env);
  if (action === 'reset') {
    await rm(stateDir, { recursive: true, force: true });
    io.stdout.write(`Sandbox state in ${stateDir} removed; the next command starts a fresh world.\n`);
    return ExitCodes.ok;
  }
  if (action !== 'serve') {
    throw new UsageError(
      `sandbox needs an action: serve or reset. Received: ${action === undefined ? '(nothing)' : action}`,
    );
  }
  const port = integerFlag(parsed.values, 'port', 0, 65535) ?? 4566;
  const speedText = parsed.values.speed === undefined ? '1' : String(parsed.values.speed);
  const speed = Number(speedText);
  if (!/^\d+(\.\d+)?$/.test(speedText) || !(speed > 0) || speed > 100000) {
    throw new UsageError(
      `--speed must be a number above 0 and at most 100000. Received: ${JSON.stringify(speedText)}`,
    );
  }
  let sandbox: Sandbox;
  try {
    sandbox = await Sandbox.open({
      stateDir,
      signingClock: realNow,
      ...(parsed.values.scenario !== undefined ? { scenario: String(parsed.values.scenario) } : {}),
    });
  } catch (error) {
    // A bad scenario is the user's input; anything else means the sandbox could not start.
    const bad = error instanceof ScenarioError;
    throw new CliError(
      `${bad ? '--scenario' : 'could not open the sandbox'}: ${(error as Error).message}`,
      bad ? ExitCodes.badInput : ExitCodes.unreachable,
      { cause: error },
    );
  }
  sandbox.connectAws();
  engineFor(sandbox.world);
  let admin: ProvisionedAdmin;
  try {
    // Ready as AWS is after docs/real-aws.md, as the in-process sandbox is on first use: the
    // members bootstrapped, the admin stack deployed from the CDK app (minutes of the sandbox's
    // clock, which pass at once under virtual time before the scaled clock starts).
    admin = await sandbox.runWithVirtualTime(() => sandbox.prepare(SANDBOX_REGION));
  } catch (error) {
    throw new CliError(
      `could not prepare the sandbox (member bootstrap and admin stack): ${(error as Error).message}`,
      ExitCodes.unreachable,
      { cause: error },
    );
  }
  const clock = startScaledClock({ speed, startAt: Math.max(sandbox.now(), realNow()) });
  let server: { url: string; close(): Promise<void> };
  try {
    server = await sandbox.listen(port);
  } catch (error) {
    clock.stop();
    throw new CliError(
      `could not listen on 127.0.0.1:${port}: ${(error as Error).message}`,
      ExitCodes.unreachable,
      {
        cause: error,
      },
    );
  }
  io.stdout.write(
    `Sandbox ready at ${server.url} (speed x${speed}, state in ${stateDir})\n` +
      `  export AWS_ENDPOINT_URL=${server.url} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=${SANDBOX_REGION}\n` +
      `  admin stack deployed in ${SANDBOX_REGION}: artifact bucket ${admin.artifactBucket}\n`,
  );
  const saver = setInterval(() => {
    sandbox
      .save()
      .catch((error) => io.stderr.write(`sandbox: could not save state: ${(error as Error).message}\n`));
  }, 5000 * speed);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  clearInterval(saver);
  await server.close();
  await sandbox.save();
  clock.stop();
  io.stderr.write('Sandbox stopped; state saved.\n');
  return ExitCodes.ok;
}

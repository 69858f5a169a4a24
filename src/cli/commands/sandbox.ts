import type { ProvisionedAdmin } from '../../engine/provision';
import { serveDurably } from '../../sandbox/serving';
import { SandboxStore } from '../../sandbox/store';
import { SandboxStateError } from '../../sandbox/store/errors';
import { SANDBOX_REGION, sandboxStateDir } from '../backend';
import { CliError, ExitCodes, UsageError } from '../exit-codes';
import { interrupts, untilInterrupted } from '../interrupt';
import type { Io } from '../main';
import { integerFlag, type ParsedCommand } from '../options';
import { lockWaitMs, openSandboxWorld, scenarioNote, waitingLine } from '../sandbox-backend';

/**
 * `sandbox serve`: the emulator (and the local engine behind its Step Functions API) on
 * 127.0.0.1 for other processes, prepared like the in-process sandbox (members bootstrapped, the
 * admin stack deployed), its clock K times faster than real time; a call that changes
 * the world is answered only once it is on disk. It holds the state folder until stopped
 * (SIGINT/SIGTERM: it saves a last generation and exits 130/143). `sandbox reset`: forget the
 * saved world, removing only the sandbox's own files.
 */
export async function sandboxCommand(parsed: ParsedCommand, io: Io): Promise<number> {
  const action = parsed.positionals[0];
  const stateDir = sandboxStateDir(parsed.values, io.env);
  if (action === 'reset') return reset(stateDir, io);
  if (action !== 'serve') {
    throw new UsageError(
      `sandbox needs an action: serve, reset or tamper. Received: ${action === undefined ? '(nothing)' : action}`,
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
  // Until the folder is ours a signal just ends the process (nothing to save yet).
  const sandbox = await openSandboxWorld({
    stateDir,
    ...(parsed.values.scenario !== undefined ? { scenario: String(parsed.values.scenario) } : {}),
    access: 'write',
    command: 'stackfleet sandbox serve',
    env: io.env,
    stderr: io.stderr,
    // Signatures are checked against the served (virtual) clock and real time, and the Date
    // header says the virtual time, so a follower's elapsed time and the SDK's clock-skew
    // correction agree with the clock the served engine and STS use.
  });
  const release = interrupts.hold();
  try {
    sandbox.connectAws();
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
    let served: Awaited<ReturnType<typeof serveDurably>>;
    try {
      served = await serveDurably(sandbox, {
        port,
        speed,
        onError: (message) => io.stderr.write(`${message}\n`),
      });
    } catch (error) {
      throw new CliError(
        `could not listen on 127.0.0.1:${port}: ${(error as Error).message}`,
        ExitCodes.unreachable,
        {
          cause: error,
        },
      );
    }
    const replayed = sandbox.origin.replayed;
    io.stdout.write(
      `Sandbox ready at ${served.url} (speed x${speed}, ${sandbox.scenario.organization.accounts.length} accounts, ` +
        `${scenarioNote(sandbox)}, state in ${stateDir})\n` +
        `  export AWS_ENDPOINT_URL=${served.url} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=${SANDBOX_REGION}\n` +
        `  admin stack deployed in ${SANDBOX_REGION}: artifact bucket ${admin.artifactBucket}\n`,
    );
    if (replayed > 0)
      io.stderr.write(
        `Replayed ${replayed} acknowledged calls from the journal of a serve that did not stop cleanly.\n`,
      );
    const signal = await untilInterrupted();
    await served.stop();
    io.stderr.write(`Sandbox stopped (${signal}); state saved.\n`);
    return ExitCodes.ok;
  } finally {
    release();
  }
}

async function reset(stateDir: string, io: Io): Promise<number> {
  const store = new SandboxStore(stateDir, { command: 'stackfleet sandbox reset' });
  let result: Awaited<ReturnType<SandboxStore['reset']>>;
  try {
    result = await store.reset({
      waitMs: lockWaitMs(io.env),
      onWait: (holder) => io.stderr.write(waitingLine(stateDir, holder)),
    });
  } catch (error) {
    if (error instanceof SandboxStateError)
      throw new CliError(error.message, ExitCodes.badInput, { cause: error });
    throw error;
  }
  io.stdout.write(
    result.removed.length > 0
      ? `Sandbox state in ${stateDir} removed; the next command starts a fresh world.\n`
      : `No sandbox state in ${stateDir}; nothing to remove.\n`,
  );
  return ExitCodes.ok;
}

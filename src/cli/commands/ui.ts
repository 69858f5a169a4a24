import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { awsClients } from '../../aws/clients';
import { backendLine, openBackend } from '../backend';
import { CliError, ExitCodes, UsageError } from '../exit-codes';
import { interrupts, untilInterrupted } from '../interrupt';
import type { Io } from '../main';
import { integerFlag, type ParsedCommand } from '../options';

/**
 * `ui [ROLLOUT]`: serves the execution graph view on 127.0.0.1, proxying the Step Functions API so
 * the browser needs no credentials; `--export FILE` writes a self-contained page instead.
 */
export async function uiCommand(parsed: ParsedCommand, io: Io): Promise<number> {
  const port = integerFlag(parsed.values, 'port', 0, 65535) ?? 0;
  const exportFile = parsed.values.export === undefined ? undefined : resolve(String(parsed.values.export));
  if (exportFile !== undefined) checkExportPath(String(parsed.values.export), exportFile);
  const backend = await openBackend(parsed.values, io.env, {
    access: 'read',
    command: 'stackfleet ui',
    stderr: io.stderr,
  });
  io.stderr.write(`${await backendLine(backend)}\n`);
  const ui = await import('../../ui/server');
  const admin = await backend.run(() => backend.admin());
  const wanted = parsed.positionals[0];
  let rolloutExecutionArn: string | undefined;
  if (wanted) {
    rolloutExecutionArn = await backend.run(async () => {
      let nextToken: string | undefined;
      do {
        const page = await backend.sfn.send(
          new ListExecutionsCommand({
            stateMachineArn: admin.rolloutStateMachineArn,
            nextToken,
            maxResults: 100,
          }),
        );
        const found = page.executions?.find((e) => e.name === wanted);
        if (found) return found.executionArn;
        nextToken = page.nextToken;
      } while (nextToken);
      throw new CliError(
        `no rollout named ${JSON.stringify(wanted)} on ${backend.description}`,
        ExitCodes.badInput,
      );
    });
  }
  if (parsed.values.export !== undefined) {
    if (!rolloutExecutionArn) {
      rolloutExecutionArn = await backend.run(async () => {
        const page = await backend.sfn.send(
          new ListExecutionsCommand({ stateMachineArn: admin.rolloutStateMachineArn, maxResults: 1 }),
        );
        const latest = page.executions?.[0]?.executionArn;
        if (!latest) throw new CliError(`no rollouts yet on ${backend.description}`, ExitCodes.badInput);
        return latest;
      });
    }
    const file = exportFile as string;
    await backend.run(() =>
      ui.exportUiHtml({
        sfn: backend.sfn,
        s3: backend.s3,
        organizations: awsClients.organizations({ region: 'us-east-1' }),
        rolloutExecutionArn: rolloutExecutionArn!,
        file,
      }),
    );
    await backend.close();
    io.stdout.write(`${file}\n`);
    return ExitCodes.ok;
  }
  const server = await ui.startUiServer({
    sfn: backend.sfn,
    s3: backend.s3,
    // Account names and OUs for the matrix (Organizations is a global service answered in us-east-1).
    organizations: awsClients.organizations({ region: 'us-east-1' }),
    // The API serves executions of these machines only (the admin stack's outputs).
    rolloutStateMachineArn: admin.rolloutStateMachineArn,
    // The stacks form's lane walker is stackfleet's too: its executions are served as well.
    targetStateMachineArns: [
      ...Object.values(admin.targetStateMachineArns),
      ...(admin.walkLaneStateMachineArn ? [admin.walkLaneStateMachineArn] : []),
    ],
    // The tamper response's executions (/api/responses), when the admin stack has it.
    ...(admin.respondToTamperingStateMachineArn
      ? { responseStateMachineArn: admin.respondToTamperingStateMachineArn }
      : {}),
    ...(rolloutExecutionArn ? { rolloutExecutionArn } : {}),
    port,
  });
  io.stdout.write(`${server.url}\n`);
  io.stderr.write('Serving the rollout view; press Ctrl-C to stop.\n');
  // Stops on SIGINT/SIGTERM: closes the port, saves nothing (a reader), exits 130/143.
  const release = interrupts.hold();
  try {
    await untilInterrupted();
    await server.close();
    await backend.close();
  } finally {
    release();
  }
  return ExitCodes.ok;
}

/** Refuses an export path whose folder is missing (or that is a folder) before anything is read. */
function checkExportPath(given: string, file: string): void {
  const folder = dirname(file);
  let isFolder = false;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    // missing: refused below
  }
  if (!isFolder) {
    throw new UsageError(`--export: the folder ${folder} does not exist. Received: ${given}`);
  }
  try {
    if (statSync(file).isDirectory()) {
      throw new UsageError(`--export must name a file, not a folder. Received: ${given}`);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
  }
}

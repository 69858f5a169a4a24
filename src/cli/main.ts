#!/usr/bin/env node
import '../core/polyfills';
import { printable } from '../core/printable';
import { CliError, ExitCodes } from './exit-codes';
import { interrupts, SIGNAL_EXIT_CODES } from './interrupt';
import { helpText, parseCommand } from './options';
import { commandSpecs, mainHelp } from './specs';

/**
 * The one runner: owns argv, output streams, exit codes and the top-level catch. Commands return
 * an exit code; anything they throw becomes one line on stderr (a stack trace only with DEBUG).
 */
export interface Io {
  stdout: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  stderr: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(`${mainHelp()}\n`);
    return command ? ExitCodes.ok : ExitCodes.badInput;
  }
  if (command === '--version' || command === '-v') {
    io.stdout.write(`${require('../../package.json').version}\n`);
    return ExitCodes.ok;
  }
  const spec = commandSpecs[command];
  if (!spec) {
    io.stderr.write(
      `Unknown command ${JSON.stringify(command)}. Commands: ${Object.keys(commandSpecs).join(', ')}.\n`,
    );
    return ExitCodes.badInput;
  }
  const parsed = parseCommand(spec, rest);
  if (parsed.values.help) {
    io.stdout.write(`${helpText(spec)}\n`);
    return ExitCodes.ok;
  }
  switch (command) {
    case 'rollout':
    case 'preview':
    case 'drift':
      return (await import('./commands/rollout')).rolloutCommand(command, parsed, io);
    case 'status':
      return (await import('./commands/status')).statusCommand(parsed, io);
    case 'list':
      return (await import('./commands/list')).listCommand(parsed, io);
    case 'stop':
      return (await import('./commands/stop')).stopCommand(parsed, io);
    case 'publish':
      return (await import('./commands/publish')).publishCommand(parsed, io);
    case 'incidents':
      return (await import('./commands/incidents')).incidentsCommand(parsed, io);
    case 'sandbox':
      if (parsed.positionals[0] === 'tamper')
        return (await import('./commands/sandbox-tamper')).sandboxTamperCommand(parsed, io);
      return (await import('./commands/sandbox')).sandboxCommand(parsed, io);
    case 'ui':
      return (await import('./commands/ui')).uiCommand(parsed, io);
    default:
      throw new CliError(`command ${command} is declared but not wired`, ExitCodes.badInput);
  }
}

/** Node's codes for a connection that could not be made or was lost. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
]);
/** SDK errors raised before or instead of an answer: no credentials, a timeout, no network. */
const SDK_REACH_ERRORS = new Set([
  'CredentialsProviderError',
  'TimeoutError',
  'NetworkingError',
  'RequestTimeout',
]);

/**
 * Whether an error that no command turned into a CliError says the engine or AWS could not be
 * reached or refused us (exit 3), rather than a defect of stackfleet (exit 70): an answer from an
 * AWS service (it carries `$metadata`), an SDK credential or network failure, or a socket error.
 */
export function isReachError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: string; code?: string; $metadata?: unknown; cause?: unknown };
  if (e.$metadata !== undefined) return true;
  if (e.name && SDK_REACH_ERRORS.has(e.name)) return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  return e.cause !== undefined && e.cause !== error && isReachError(e.cause);
}

/** Turns any error into a message and an exit code. */
export function reportError(error: unknown, io: Io): number {
  if (error instanceof CliError) {
    io.stderr.write(`stackfleet: ${printable(error.message, { multiline: true })}\n`);
    if (io.env.DEBUG && error.cause)
      io.stderr.write(`${(error.cause as Error).stack ?? String(error.cause)}\n`);
    return error.exitCode;
  }
  const e = error as Error;
  const text = printable(`${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`);
  if (isReachError(error)) {
    io.stderr.write(`stackfleet: could not reach the engine or AWS: ${text}\n`);
    if (io.env.DEBUG) io.stderr.write(`${e?.stack ?? ''}\n`);
    return ExitCodes.unreachable;
  }
  io.stderr.write(`stackfleet: internal error (a defect in stackfleet, please report it): ${text}\n`);
  if (io.env.DEBUG) io.stderr.write(`${e?.stack ?? ''}\n`);
  else io.stderr.write('(set DEBUG=1 for the stack trace)\n');
  return ExitCodes.internalError;
}

/**
 * Runs the CLI in this process (bin/stackfleet.js and `tsx src/cli/main.ts` both come here), so
 * SIGINT/SIGTERM reach the command itself: no child is left holding a port or the state folder.
 */
export async function runCli(argv: string[] = process.argv.slice(2)): Promise<void> {
  // The SDK's eight-line Node 20 notice would bury the live view; the README says Node 22+ is
  // recommended. Set the variable to "false" to see it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
  interrupts.install(io.stderr);
  const code = await main(argv, io).catch((error) => reportError(error, io));
  const stoppedBy = interrupts.received;
  if (stoppedBy) {
    // Work the signal cut short may still hold timers or sockets: do not wait for it.
    process.exit(SIGNAL_EXIT_CODES[stoppedBy]);
  }
  process.exitCode = code;
}

if (require.main === module) void runCli();

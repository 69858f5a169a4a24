/**
 * The CLI as a user starts it (`bin/stackfleet.js`, one process per command) for end-to-end
 * tests that signal, kill or race it while it runs (test/helpers/cli-process.ts runs a command
 * to its end). Waiting is always for a condition (a line of output, an exit), with a deadline
 * generous enough for a loaded machine; never a fixed sleep.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolatedHome, ROOT } from './cli-process';

export { ROOT };
export const BIN = join(ROOT, 'bin/stackfleet.js');
export const TINY_SCENARIO = join(ROOT, 'test/fixtures/cli/tiny-scenario.yaml');
/** Generous (a CLI start is 1-2 s on a quiet machine), and within the tests' own timeout. */
export const DEADLINE_MS = 120_000;
/** For `jest.setTimeout` in files that use these helpers: several deadlines fit. */
export const TEST_TIMEOUT_MS = 400_000;

export interface LiveCli {
  child: ChildProcess;
  pid: number;
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit code (null when killed by a signal it did not handle) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the process exited and its output ended (never, if a child it left holds them). */
  closed: Promise<void>;
  /** Resolves with the first match of `pattern` in stdout+stderr. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
}

const started = new Set<ChildProcess>();

/** Kills whatever a failed test left running (call from afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...started].map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('close', () => done());
          child.kill('SIGKILL');
        }),
    ),
  );
  started.clear();
}

export function startCli(args: string[], env: Record<string, string> = {}): LiveCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NO_COLOR: '1',
      ...isolatedHome(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of listeners) l();
  };
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    changed();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    changed();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
  });
  // 'close' comes after the last output, unlike 'exit'.
  const closed = new Promise<void>((done) => child.once('close', () => done()));
  let gone = false;
  void closed.then(() => {
    gone = true;
    changed();
  });
  return {
    child,
    pid: child.pid as number,
    output: () => ({ stdout, stderr }),
    exited,
    closed,
    waitFor(pattern) {
      return new Promise((found, fail) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          fail(new Error(`no ${pattern} within ${DEADLINE_MS} ms; stdout: ${stdout}\nstderr: ${stderr}`));
        }, DEADLINE_MS);
        const check = () => {
          const m = pattern.exec(`${stdout}\n${stderr}`);
          if (m) {
            clearTimeout(timer);
            listeners.delete(check);
            found(m);
          } else if (gone) {
            clearTimeout(timer);
            listeners.delete(check);
            fail(new Error(`exited before ${pattern}; stdout: ${stdout}\nstderr: ${stderr}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/**
 * For a test file that starts CLI processes: a new work folder named with `prefix`, the file's
 * test timeout set to fit several deadlines, and whatever a failed test left running killed after
 * the file. Returns the folder.
 */
export function liveCliFile(prefix: string): string {
  afterAll(stopAll);
  jest.setTimeout(TEST_TIMEOUT_MS);
  return mkdtempSync(join(tmpdir(), prefix));
}

/** `stackfleet rollout --sandbox` on `stateDir` with `config`, first seeding the folder with `scenario` if given. */
export function sandboxRollout(stateDir: string, config: string, scenario?: string): string[] {
  return [
    'rollout',
    '--sandbox',
    '--state-dir',
    stateDir,
    ...(scenario === undefined ? [] : ['--scenario', scenario]),
    '--config',
    config,
  ];
}

/**
 * A first sandbox rollout of the tiny organisation in `stateDir` whose clock stops after `steps`
 * steps (fault injection), so that a test finds it still running whatever the machine's speed;
 * resolves once it has started deploying. `env` adds to the fault (e.g. a release file).
 */
export async function startHeldRollout(
  stateDir: string,
  config: string,
  steps: number,
  env: Record<string, string> = {},
): Promise<LiveCli> {
  const run = startCli(sandboxRollout(stateDir, config, TINY_SCENARIO), {
    STACKFLEET_SANDBOX_FAULT: `hold-after-steps:${steps}`,
    ...env,
  });
  await run.waitFor(/Starting deploy/);
  return run;
}

/** Runs a command to its end without blocking the test's event loop (others may be running). */
export async function runToEnd(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startCli(args, env);
  const { code } = await run.exited;
  await run.closed;
  return { code, ...run.output() };
}

/** Whether something could listen on 127.0.0.1:`port` now (nothing holds it). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((answer) => {
    const server = createServer();
    server.once('error', () => answer(false));
    server.listen(port, '127.0.0.1', () => server.close(() => answer(true)));
  });
}

/** Every file under `dir` with its size, mtime and content hash: equal snapshots mean nothing was written. */
export function snapshotFolder(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .sort()
    .map((name) => {
      const path = join(dir, name);
      const info = statSync(path);
      if (info.isDirectory()) return `${name}/ ${info.mtimeMs}`;
      const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
      return `${name} ${info.size} ${info.mtimeMs} ${hash}`;
    });
}

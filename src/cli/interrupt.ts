/**
 * SIGINT and SIGTERM for the CLI. A command that has something to finish (a sandbox writer that
 * must leave its world whole, `sandbox serve`, `ui`) holds `interrupts.hold()` while it runs: the
 * first signal then only aborts `interrupts.signal`, and the command stops cleanly. Without a
 * holder, or on a second signal, the process exits at once; the exit handlers still release the
 * state folder's lock, and a save cut short leaves the previous whole generation. Either way the
 * exit code is 130 for SIGINT and 143 for SIGTERM (128 + the signal's number, as shells report).
 */
import { CliError, ExitCodes } from './exit-codes';

export type StopSignal = 'SIGINT' | 'SIGTERM';

export const SIGNAL_EXIT_CODES = { SIGINT: ExitCodes.interrupted, SIGTERM: ExitCodes.terminated } as const;

/** The command was stopped by a signal (after leaving its state consistent). */
export class InterruptedError extends CliError {
  constructor(
    readonly signal: StopSignal,
    detail = '',
  ) {
    super(`stopped by ${signal}${detail ? `; ${detail}` : ''}`, SIGNAL_EXIT_CODES[signal]);
    this.name = 'InterruptedError';
  }
}

class Interrupts {
  private controller = new AbortController();
  private holders = 0;
  private installed = false;
  private stderr: { write(s: string): unknown } = process.stderr;
  /** The first signal received, if any. */
  received: StopSignal | undefined;

  /** Aborted (with an InterruptedError) by the first SIGINT or SIGTERM. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts listening (once per process). */
  install(stderr: { write(s: string): unknown }): void {
    this.stderr = stderr;
    if (this.installed) return;
    this.installed = true;
    for (const name of ['SIGINT', 'SIGTERM'] as const) process.on(name, () => this.receive(name));
  }

  /** While held, the first signal lets the holder stop cleanly. Returns the release function. */
  hold(): () => void {
    this.holders += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders -= 1;
    };
  }

  private receive(name: StopSignal): void {
    if (this.received) {
      this.stderr.write(`stackfleet: ${name} again: stopping now\n`);
      process.exit(SIGNAL_EXIT_CODES[this.received]);
    }
    this.received = name;
    this.controller.abort(new InterruptedError(name));
    if (this.holders === 0) process.exit(SIGNAL_EXIT_CODES[name]);
    this.stderr.write(
      `stackfleet: ${name} received: stopping cleanly${name === 'SIGINT' ? ' (Ctrl-C again to stop at once)' : ''}\n`,
    );
  }

  /** For tests in one process: forget a signal received. */
  resetForTests(): void {
    this.controller = new AbortController();
    this.received = undefined;
    this.holders = 0;
  }
}

/** The process's signal state (one per process, as signals are). */
export const interrupts = new Interrupts();

/** Resolves when the first signal arrives (for commands that run until stopped). */
export function untilInterrupted(): Promise<StopSignal> {
  const signal = interrupts.signal;
  return new Promise((resolve) => {
    const done = () => resolve((signal.reason as InterruptedError).signal);
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}

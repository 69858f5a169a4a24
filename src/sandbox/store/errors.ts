/**
 * Errors of the sandbox's state folder. Each names the folder and what was found there; the CLI
 * turns every one of them into exit 2 (nothing was started).
 */

/** Who holds the writer lock of a state folder. */
export interface LockHolder {
  pid: number;
  /** What the holder runs, e.g. `stackfleet rollout`. */
  command: string;
  /** ISO time the lock was taken (real time). */
  since: string;
  host: string;
  /** The holder's process start time (Linux /proc), so a reused pid is not taken for the holder. */
  start?: string;
}

export class SandboxStateError extends Error {
  constructor(
    message: string,
    readonly dir: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SandboxStateError';
  }
}

/** Another live process writes to the folder, and waiting for it was not allowed or took too long. */
export class SandboxLockedError extends SandboxStateError {
  constructor(
    dir: string,
    readonly holder: LockHolder,
    readonly waitedMs: number,
  ) {
    super(
      `the sandbox in ${dir} is in use by pid ${holder.pid} (${holder.command}) since ${holder.since}` +
        `${waitedMs > 0 ? `; gave up after waiting ${Math.round(waitedMs / 1000)} s` : ''}` +
        ' (STACKFLEET_SANDBOX_LOCK_WAIT sets how many seconds to wait)',
      dir,
    );
    this.name = 'SandboxLockedError';
  }
}

/** The folder holds files that are not the sandbox's: it is never written to or deleted. */
export class SandboxFolderNotOwnedError extends SandboxStateError {
  constructor(
    dir: string,
    readonly foreign: string[],
  ) {
    const shown = foreign.slice(0, 5).join(', ');
    const more = foreign.length > 5 ? ` and ${foreign.length - 5} more` : '';
    super(
      `${dir} is not a sandbox state folder: it holds ${shown}${more}, which the sandbox did not write. ` +
        'Nothing was changed; pass --state-dir (or STACKFLEET_SANDBOX_DIR) a new or empty folder',
      dir,
    );
    this.name = 'SandboxFolderNotOwnedError';
  }
}

/** The saved state cannot be read (a part is missing or does not match its manifest). */
export class SandboxStateCorruptError extends SandboxStateError {
  constructor(dir: string, detail: string, options?: { cause?: unknown }) {
    super(`the sandbox state in ${dir} cannot be read: ${detail}`, dir, options);
    this.name = 'SandboxStateCorruptError';
  }
}

/** A scenario was given for a world that was made from another one. */
export class SandboxScenarioConflictError extends SandboxStateError {
  constructor(
    dir: string,
    readonly saved: string,
    readonly given: string,
  ) {
    super(
      `--scenario ${given} differs from the scenario the sandbox in ${dir} was made from (${saved}); ` +
        `a world keeps its scenario. Leave out --scenario to use the saved world, or start over with ` +
        `\`stackfleet sandbox reset --state-dir ${dir}\``,
      dir,
    );
    this.name = 'SandboxScenarioConflictError';
  }
}

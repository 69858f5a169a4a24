/**
 * How a sandbox's world reaches its state folder: whole generations when a command saves, and,
 * while `sandbox serve` runs, a journal of every mutating call so that nothing is acknowledged
 * before it is on disk, with checkpoints (consistent snapshots of the live world) folding it in.
 */
import { isMutatingCall, WriteMutex } from './persistence';
import { pruneExpiredSessions, stsState } from './services/sts';
import type { SandboxStore, StoreMeta } from './store';
import { Journal, JournalWriteError, recordRequest } from './store/journal';
import { AwsError, type OperationContext, type SandboxRequest } from './types';
import type { World } from './world';

export class WorldPersistence {
  private journal: Journal | undefined;
  private readonly mutex = new WriteMutex();
  private checkpointRunning: Promise<void> | undefined;
  private checkpointNext: Promise<void> | undefined;
  /** Journals this world holds the calls of: replayed at open, or rotated away from by a checkpoint. */
  private readonly folded: (base: number) => boolean;
  private rotatedTo = 0;

  constructor(
    private readonly world: World,
    private readonly store: SandboxStore | undefined,
    private readonly access: 'read' | 'write',
    private readonly scenarioSource: string,
    /** The generation the world was loaded from, then the last one written. */
    private generation: number,
    opened: { journalBases: number[]; reset: boolean } = { journalBases: [], reset: false },
  ) {
    const replayed = new Set(opened.journalBases);
    // A reset world dropped every journal; otherwise only journals it replayed are in it (one a
    // serve of another process wrote meanwhile is not, and stays).
    this.folded = (base) => opened.reset || replayed.has(base) || base < this.rotatedTo;
  }

  get dir(): string | undefined {
    return this.store?.dir;
  }

  private meta(): StoreMeta {
    pruneExpiredSessions(stsState(this.world), this.world.now());
    return { clock: this.world.now(), scenario: this.world.scenario, scenarioSource: this.scenarioSource };
  }

  async save(): Promise<void> {
    if (!this.store) return;
    if (this.access === 'read')
      throw new Error(`this sandbox was opened read-only; it does not save to ${this.store.dir}`);
    this.generation = (
      await this.store.save(this.meta(), this.world.state, { dropJournal: this.folded })
    ).generation;
  }

  async startJournal(): Promise<void> {
    if (!this.store || this.access === 'read')
      throw new Error('startJournal needs a state folder opened for writing');
    await this.save();
    this.journal = new Journal(this.store.dir, this.generation);
  }

  get journaledBytes(): number {
    return this.journal?.bytes ?? 0;
  }

  /**
   * Saves a consistent snapshot of a live world: taken synchronously between two mutating calls,
   * while the journal moves on to the next generation; callers that arrive while one is being
   * written wait for the next one (their change may postdate the snapshot). `final`: the last
   * one before closing; journaling stops with its snapshot.
   */
  checkpoint(options: { final?: boolean } = {}): Promise<void> {
    if (!this.checkpointRunning) {
      this.checkpointRunning = this.writeCheckpoint(options.final === true).finally(() => {
        this.checkpointRunning = undefined;
      });
      return this.checkpointRunning;
    }
    this.checkpointNext ??= this.checkpointRunning
      .catch(() => undefined)
      .then(() => {
        this.checkpointNext = undefined;
        return this.checkpoint(options);
      });
    return this.checkpointNext;
  }

  private async writeCheckpoint(final: boolean): Promise<void> {
    const store = this.store;
    if (!store || this.access === 'read') return;
    const release = await this.mutex.lock();
    let prepared: ReturnType<SandboxStore['prepare']>;
    const expected = this.generation + 1;
    const journal = this.journal;
    try {
      prepared = store.prepare(this.meta(), this.world.state);
      if (final) this.journal = undefined;
      else journal?.rotate(expected);
      this.rotatedTo = final ? Number.POSITIVE_INFINITY : expected;
    } finally {
      release();
    }
    const result = await store.commit(prepared, { dropJournal: this.folded });
    if (final) await journal?.close();
    this.generation = result.generation;
    if (result.generation !== expected)
      throw new Error(
        `generation ${result.generation} written where ${expected} was expected: another writer?`,
      );
  }

  async close(): Promise<void> {
    const journal = this.journal;
    this.journal = undefined;
    await journal?.close();
    this.store?.release();
  }

  /**
   * Runs one operation; while journaling, a mutating call runs alone, is journaled in the order
   * applied, and (from another process) is answered only once durable. A mutating Step
   * Functions call starts work that cannot be replayed, so it is answered after a checkpoint.
   */
  async apply(
    signingName: string,
    operation: string,
    run: () => Promise<unknown> | unknown,
    ctx: OperationContext,
    request: SandboxRequest,
    external: boolean,
  ): Promise<unknown> {
    const journal = this.journal;
    if (!journal || !isMutatingCall(operation)) return run();
    if (signingName === 'states') {
      const result = await run();
      if (external) await durably(this.checkpoint());
      return result;
    }
    if (signingName === 'lambda' && operation === 'Invoke') {
      // An invocation changes nothing itself: the function's own calls come back into this
      // sandbox and each is applied and journaled as it is made (and replayed in that order), so
      // journaling the Invoke too would run the function twice on replay. Holding the write lock
      // across it deadlocked on the function's first write (an external `--local-engine` Invoke
      // of "Plan targets" never returned). The answer waits until all it wrote is on disk; a
      // whole checkpoint per invocation would cost seconds on a large world.
      const result = await run();
      if (external) await durably(journal.drain());
      return result;
    }
    const release = await this.mutex.lock();
    const at = ctx.now();
    // The same clock reading for the whole call, here and when it is replayed.
    ctx.now = () => at;
    try {
      return await run();
    } finally {
      const done = journal.append({
        at,
        service: signingName,
        region: ctx.region,
        caller: ctx.caller,
        requestId: ctx.requestId ?? '',
        request: recordRequest(request),
      });
      release();
      if (external) await durably(done);
      else done.catch(() => undefined);
    }
  }
}

/**
 * A write that could not be made durable is answered as AWS answers a request it cannot handle
 * right now: a 5xx the SDKs retry with backoff (https://docs.aws.amazon.com/general/latest/gr/api-retries.html;
 * for S3, https://repost.aws/knowledge-center/http-5xx-errors-s3).
 */
async function durably(done: Promise<void>): Promise<void> {
  try {
    await done;
  } catch (error) {
    const message =
      error instanceof JournalWriteError
        ? error.message
        : `the sandbox could not save: ${(error as Error).message}`;
    throw new AwsError('ServiceUnavailable', message, 503, 'Receiver');
  }
}

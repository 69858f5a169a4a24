/**
 * The sandbox served on 127.0.0.1 for other processes, with nothing acknowledged before it is
 * durable: every call that can change the world is journaled and fsynced before its answer is
 * sent (see store/journal.ts), a mutating Step Functions call is answered after a checkpoint
 * (a whole new generation), and checkpoints also fold the journal in as it grows and every
 * half minute while anything changed. Used by `stackfleet sandbox serve` and
 * scripts/sandbox-serve.ts.
 */
import { realClearInterval, realNow, realSetInterval, startScaledClock } from './clock';
import type { Sandbox } from './sandbox';
import { engineFor } from './services/stepfunctions';

/** A checkpoint is taken once the journal holds this much. */
export const CHECKPOINT_JOURNAL_BYTES = 64 * 1024 * 1024;
/** ...or this often (real time) while calls were journaled or executions run. */
export const CHECKPOINT_EVERY_MS = 30_000;

export interface ServingSandbox {
  url: string;
  port: number;
  /** Stops accepting calls, saves a last whole generation, releases the state folder. */
  stop(): Promise<void>;
}

export async function serveDurably(
  sandbox: Sandbox,
  options: { port: number; speed: number; onError?: (message: string) => void },
): Promise<ServingSandbox> {
  const report = options.onError ?? ((message: string) => process.stderr.write(`${message}\n`));
  await sandbox.persistence.startJournal();
  sandbox.connectAws();
  const engine = engineFor(sandbox.world);
  const clock = startScaledClock({
    speed: options.speed,
    startAt: Math.max(sandbox.now(), realNow()),
    busy: () => sandbox.callsInFlight > 0,
  });
  let server: { url: string; port?: number; close(): Promise<void> };
  try {
    server = await sandbox.listen(options.port);
  } catch (error) {
    clock.stop();
    await sandbox.close();
    throw error;
  }
  let lastCheckpoint = realNow();
  let checkpointing = false;
  const timer = realSetInterval(() => {
    if (checkpointing) return;
    const busy = sandbox.persistence.journaledBytes > 0 || engine.runningCount > 0;
    const due =
      sandbox.persistence.journaledBytes >= CHECKPOINT_JOURNAL_BYTES ||
      (busy && realNow() - lastCheckpoint >= CHECKPOINT_EVERY_MS);
    if (!due) return;
    checkpointing = true;
    sandbox.persistence
      .checkpoint()
      .catch((error: unknown) => report(`sandbox: could not save a checkpoint: ${(error as Error).message}`))
      .finally(() => {
        checkpointing = false;
        lastCheckpoint = realNow();
      });
  }, 1000);
  let stopping: Promise<void> | undefined;
  const port = Number(new URL(server.url).port);
  return {
    url: server.url,
    port,
    stop() {
      stopping ??= (async () => {
        realClearInterval(timer);
        await server.close();
        try {
          await sandbox.persistence.checkpoint({ final: true });
        } finally {
          clock.stop();
          await sandbox.close();
        }
      })();
      return stopping;
    },
  };
}

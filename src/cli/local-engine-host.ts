import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalEngine } from '../engine/engine';
import { remoteEngineIdentity } from '../engine/remote-identity';
import { realClearInterval, realSetInterval } from '../sandbox/clock';
import { Sandbox } from '../sandbox/sandbox';
import type { Scenario } from '../sandbox/scenario-types';
import { attachEngine, createStepFunctionsService } from '../sandbox/services/stepfunctions';
import { createInProcessHandler, type InProcessHandler } from '../sandbox/transport';
import type { SandboxRequest } from '../sandbox/types';
import { CliError, ExitCodes } from './exit-codes';
import { lockWaitMs, waitingLine } from './sandbox-backend';

/**
 * Where the local engine keeps its executions between commands: one folder per admin account and
 * region under `.stackfleet/local-engine` (or --state-dir), so `status`, `list` and `ui` with
 * --local-engine find the rollouts an earlier `rollout --local-engine` ran, and `status --follow`
 * in another terminal follows one while it runs. The process running the rollouts writes (one at
 * a time: it holds the folder's lock) and saves every second while executions run; readers never
 * write and load the newest saved world whenever it changed.
 */
export const DEFAULT_LOCAL_ENGINE_DIR = '.stackfleet/local-engine';

/** How often (real milliseconds) a running local engine saves its executions for followers. */
export const LOCAL_ENGINE_SAVE_EVERY_MS = 1000;

export interface LocalEngineHost {
  /** The Step Functions API of the local engine (in-process transport). */
  handler: InProcessHandler;
  /** The engine (the writer's; a reader's is the one of the last world it loaded). */
  engine(): LocalEngine;
  close(): Promise<void>;
}

export function localEngineDir(base: string, accountId: string, region: string): string {
  return join(base, `${accountId}-${region}`);
}

async function openHost(options: {
  dir: string;
  scenario: Scenario;
  access: 'read' | 'write';
  env: NodeJS.ProcessEnv;
  stderr: { write(s: string): unknown };
}): Promise<{ host: Sandbox; engine: LocalEngine }> {
  let host: Sandbox;
  try {
    host = await Sandbox.open({
      stateDir: options.dir,
      access: options.access,
      defaultServices: false,
      scenario: options.scenario,
      ...(options.access === 'write'
        ? {
            lock: {
              command: 'stackfleet --local-engine',
              waitMs: lockWaitMs(options.env),
              onWait: (holder, dir) => options.stderr.write(waitingLine(dir, holder)),
            },
          }
        : {}),
    });
  } catch (error) {
    throw new CliError(
      `could not open the local engine's state in ${options.dir}: ${(error as Error).message}`,
      ExitCodes.badInput,
      { cause: error },
    );
  }
  host.register(createStepFunctionsService());
  const engine = attachEngine(host.world, remoteEngineIdentity(), {
    abortOrphans: options.access === 'write',
  });
  return { host, engine };
}

/** The pointer file of the state folder: it changes with every saved generation. */
function pointerText(dir: string): string {
  try {
    return readFileSync(join(dir, 'stackfleet-sandbox.json'), 'utf8');
  } catch {
    return '';
  }
}

export async function openLocalEngineHost(options: {
  dir: string;
  scenario: Scenario;
  access: 'read' | 'write';
  env: NodeJS.ProcessEnv;
  stderr: { write(s: string): unknown };
}): Promise<LocalEngineHost> {
  if (options.access === 'write') {
    const { host, engine } = await openHost(options);
    let saving: Promise<void> | undefined;
    const save = () => {
      saving ??= host.save().finally(() => {
        saving = undefined;
      });
      return saving;
    };
    const timer = realSetInterval(() => {
      if (engine.runningCount > 0) void save().catch(() => undefined);
    }, LOCAL_ENGINE_SAVE_EVERY_MS);
    return {
      handler: host.requestHandler(),
      engine: () => engine,
      async close() {
        realClearInterval(timer);
        await saving?.catch(() => undefined);
        try {
          await host.save();
        } finally {
          await host.close();
        }
      },
    };
  }
  let current = await openHost(options);
  let seen = pointerText(options.dir);
  const fresh = async () => {
    const now = pointerText(options.dir);
    if (now !== seen) {
      const next = await openHost(options);
      await current.host.close();
      current = next;
      seen = now;
    }
    return current.host;
  };
  return {
    handler: createInProcessHandler({
      handle: async (request: SandboxRequest) => (await fresh()).handle(request),
    }),
    engine: () => current.engine,
    close: () => current.host.close(),
  };
}

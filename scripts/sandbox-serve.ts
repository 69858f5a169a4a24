/**
 * Serves the sandbox on 127.0.0.1 for other processes (`AWS_ENDPOINT_URL=http://127.0.0.1:N`,
 * access key `test`/`test`), its clock running K times faster than real time. Prints one line
 * when ready; a call that changes the world is answered once it is on disk, and the world is
 * saved whole on Ctrl-C/SIGTERM. (`stackfleet sandbox serve` is the CLI's way to do the same;
 * this script stands in where the CLI is not wanted.)
 *
 *   tsx scripts/sandbox-serve.ts [--port 4566] [--scenario FILE] [--speed K] [--state DIR] [--reset]
 */
import '../src/core/polyfills';
import { realNow } from '../src/sandbox/clock';
import { Sandbox } from '../src/sandbox/sandbox';
import { serveDurably } from '../src/sandbox/serving';
import { DEFAULT_STATE_DIR } from '../src/sandbox/store';

interface ServeArgs {
  port: number;
  scenario?: string;
  speed: number;
  stateDir: string;
  reset: boolean;
}

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses argv; errors name the flag and the value received. */
export function parseServeArgs(argv: string[]): ServeArgs {
  const args: ServeArgs = { port: 4566, speed: 1, stateDir: DEFAULT_STATE_DIR, reset: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--'))
        throw new UsageError(`${flag} needs a value. Received: nothing`);
      i += 1;
      return v;
    };
    switch (flag) {
      case '--port': {
        const raw = value();
        const port = Number(raw);
        if (!Number.isInteger(port) || port < 0 || port > 65_535)
          throw new UsageError(`--port must be 0-65535. Received: ${raw}`);
        args.port = port;
        break;
      }
      case '--speed': {
        const raw = value();
        const speed = Number(raw);
        if (!(speed > 0) || !Number.isFinite(speed) || speed > 100_000) {
          throw new UsageError(`--speed must be a number above 0 and at most 100000. Received: ${raw}`);
        }
        args.speed = speed;
        break;
      }
      case '--scenario':
        args.scenario = value();
        break;
      case '--state':
        args.stateDir = value();
        break;
      case '--reset':
        args.reset = true;
        break;
      default:
        throw new UsageError(
          `Unknown option. Received: ${flag} (known: --port, --scenario, --speed, --state, --reset)`,
        );
    }
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseServeArgs(process.argv.slice(2));
  const sandbox = await Sandbox.open({
    stateDir: args.stateDir,
    reset: args.reset,
    signingClock: realNow,
    lock: {
      command: 'scripts/sandbox-serve.ts',
      waitMs: 0,
    },
    ...(args.scenario ? { scenario: args.scenario } : {}),
  });
  const served = await serveDurably(sandbox, { port: args.port, speed: args.speed });
  process.stdout.write(
    `Sandbox ready at ${served.url} (speed x${args.speed}, ${sandbox.scenario.organization.accounts.length} accounts, state in ${args.stateDir}); use AWS_ENDPOINT_URL=${served.url} with access key test/test\n`,
  );
  const stop = (signal: NodeJS.Signals) => {
    served.stop().then(
      () => {
        process.stderr.write('Sandbox stopped; state saved.\n');
        process.exit(signal === 'SIGINT' ? 130 : 143);
      },
      (error: unknown) => {
        process.stderr.write(`sandbox serve: could not save: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`sandbox serve: ${(error as Error).message}\n`);
    process.exitCode = 2;
  });
}

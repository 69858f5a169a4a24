/**
 * `stackfleet ui`: a page on 127.0.0.1 and a small JSON API in front of the Step Functions API.
 * The server holds the credentials; the browser only ever talks to loopback. Against the
 * sandbox the same calls reach the local engine, so one code path serves both. It serves only
 * executions of stackfleet's own state machines (src/ui/scope.ts) and caches a bounded number
 * of rollouts, so a server left open for days does not grow.
 */
import '../core/polyfills';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { DefinitionCache } from './definitions';
import { AccountDirectoryCache } from './directory';
import { ForeignExecutionError, RolloutNotFoundError, UiError, UiRequestError } from './errors';
import { LruMap } from './lru';
import { pageScript, renderPageHtml } from './page-html';
import { loadResponseDetail } from './responses';
import { listResponseRows } from './responses-rows';
import { RolloutTracker } from './rollout-data';
import { RolloutLister } from './rollout-list';
import { ExecutionScope } from './scope';
import { loadTargetDetail } from './target-detail';

export interface UiServerOptions {
  sfn: SFNClient;
  /** Reads the plan (pending and skipped targets) and summary.json from the artifact bucket. */
  s3?: S3Client;
  /** Account names and OU paths for the matrix; without it the matrix shows account ids. */
  organizations?: OrganizationsClient;
  /** The rollout the page opens on; without it the page lists recent rollouts. */
  rolloutExecutionArn?: string;
  /**
   * The rollout state machine (the admin stack's `RolloutStateMachineArn` output). Without it,
   * the state machine of `rolloutExecutionArn`; one of the two is required.
   */
  rolloutStateMachineArn?: string;
  /**
   * The per-target state machines (the admin stack's outputs); read from the rollout machine's
   * definition when absent.
   */
  targetStateMachineArns?: readonly string[];
  /** The tamper response machine (admin stack output `RespondToTamperingStateMachineArn`): /api/responses serves its executions. */
  responseStateMachineArn?: string;
  /** 0 (default) picks any free port. */
  port?: number;
  /** Only loopback: the page proxies credentials-bearing calls. */
  host?: '127.0.0.1';
  /** How often the page polls (real time). @default 1000 */
  pollMs?: number;
  /** Rollouts whose targets are kept in memory at once (least recently read forgotten). @default 8 */
  maxTrackedRollouts?: number;
}

export interface UiServer {
  url: string;
  /** What the server holds in memory (rollouts whose targets it tracks): bounded by `maxTrackedRollouts`. */
  stats(): { trackedRollouts: number };
  close(): Promise<void>;
}

/** What the page reads from its config element. */
export interface PageConfig {
  mode: 'live' | 'static';
  rolloutExecutionArn?: string;
  pollMs: number;
}

function intParam(url: URL, field: string): number {
  const raw = url.searchParams.get(field);
  if (raw === null || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new UiRequestError(
      field,
      `Query parameter ${field} must be a non-negative integer. Received: ${raw}`,
    );
  }
  return n;
}

/** The rollout state machine: given (admin stack output), or the one the given rollout ran. */
async function rolloutStateMachineOf(options: UiServerOptions): Promise<string> {
  if (options.rolloutStateMachineArn) return options.rolloutStateMachineArn;
  if (options.rolloutExecutionArn) {
    const d = await options.sfn.send(
      new DescribeExecutionCommand({ executionArn: options.rolloutExecutionArn }),
    );
    if (d.stateMachineArn) return d.stateMachineArn;
  }
  throw new RolloutNotFoundError(
    'The UI needs the rollout state machine (the admin stack output RolloutStateMachineArn) or a rollout execution ARN. Received: neither',
  );
}

/** Starts the UI server; resolves once it listens. */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const { sfn } = options;
  const scope = new ExecutionScope(sfn, {
    rolloutStateMachineArn: await rolloutStateMachineOf(options),
    ...(options.targetStateMachineArns ? { targetStateMachineArns: options.targetStateMachineArns } : {}),
    ...(options.responseStateMachineArn ? { responseStateMachineArn: options.responseStateMachineArn } : {}),
  });
  const definitions = new DefinitionCache(sfn);
  const directory = new AccountDirectoryCache(options.organizations);
  const capacity = options.maxTrackedRollouts ?? 8;
  const trackers = new LruMap<string, Promise<RolloutTracker>>(capacity);
  const readTrackers = new LruMap<string, RolloutTracker>(capacity);
  const tracker = (arn: string): Promise<RolloutTracker> => {
    const known = trackers.get(arn);
    if (known) return known;
    const t = new RolloutTracker(sfn, arn, definitions, {
      directory: () => directory.get(),
      ...(options.s3 ? { s3: options.s3 } : {}),
    });
    const ready = t.refresh(true).then(() => {
      readTrackers.set(arn, t);
      return t;
    });
    trackers.set(arn, ready);
    // An ARN that names no execution (or could not be read) is not remembered.
    ready.catch(() => {
      if (trackers.get(arn) === ready) trackers.delete(arn);
    });
    return ready;
  };
  const lister = new RolloutLister(sfn, scope.rolloutStateMachineArn, {
    liveCounts: (arn) => (readTrackers.has(arn) ? readTrackers.get(arn)?.liveCounts() : undefined),
  });
  const config: PageConfig = { mode: 'live', pollMs: options.pollMs ?? 1000 };
  if (options.rolloutExecutionArn) config.rolloutExecutionArn = options.rolloutExecutionArn;
  // Build the bundle while the socket opens; the first page load then does not wait for esbuild.
  pageScript().catch(() => undefined);

  const routes: Record<string, (url: URL) => Promise<unknown>> = {
    '/api/rollouts': async () => ({ rollouts: await lister.list() }),
    '/api/rollout': async (url) => {
      const arn = scope.requireRollout('arn', url.searchParams.get('arn'));
      return (await tracker(arn)).read(intParam(url, 'since'), {
        accounts: intParam(url, 'a'),
        regions: intParam(url, 'r'),
        outcomes: intParam(url, 'o'),
      });
    },
    '/api/definitions': async (url) => {
      const arn = scope.requireRollout('arn', url.searchParams.get('arn'));
      const { rollout, target } = await definitions.forRollout(arn);
      return target ? { rollout, target } : { rollout };
    },
    '/api/responses': async () => ({
      responses: await listResponseRows(sfn, scope.requireResponseMachine()),
    }),
    '/api/response': async (url) =>
      loadResponseDetail(sfn, scope.requireResponse('arn', url.searchParams.get('arn'))),
    '/api/target': async (url) =>
      loadTargetDetail(sfn, await scope.requireTarget('arn', url.searchParams.get('arn'))),
  };

  let origin = '';
  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      res.end(body);
    };
    // Refuse other Host names: a web page elsewhere must not reach this API by DNS rebinding.
    const hostHeader = req.headers.host ?? '';
    if (hostHeader !== origin.slice('http://'.length) && !hostHeader.startsWith('localhost:')) {
      send(421, 'text/plain', `Unexpected Host header. Received: ${hostHeader}`);
      return;
    }
    if (req.method !== 'GET') {
      send(405, 'text/plain', `Only GET is served. Received: ${req.method}`);
      return;
    }
    const url = new URL(req.url ?? '/', origin);
    (async () => {
      if (url.pathname === '/' || url.pathname === '/index.html') {
        send(200, 'text/html; charset=utf-8', renderPageHtml({ config }));
        return;
      }
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204);
        res.end();
        return;
      }
      if (url.pathname === '/app.js') {
        send(200, 'text/javascript; charset=utf-8', await pageScript());
        return;
      }
      const route = routes[url.pathname];
      if (!route) {
        send(
          404,
          'application/json',
          JSON.stringify({ error: 'NotFound', message: `No such path: ${url.pathname}` }),
        );
        return;
      }
      send(200, 'application/json', JSON.stringify(await route(url)));
    })().catch((error: Error) => {
      const status =
        error instanceof ForeignExecutionError
          ? 403
          : error instanceof UiRequestError
            ? 400
            : /NotExist|NotFound/.test(error.name)
              ? 404
              : 502;
      const name = error instanceof UiError ? error.name : error.name || 'Error';
      if (!res.headersSent)
        send(status, 'application/json', JSON.stringify({ error: name, message: error.message }));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  origin = `http://${host}:${address.port}`;
  return {
    url: `${origin}/`,
    stats: () => ({ trackedRollouts: trackers.size }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The CLI loads the UI from this module; the export lives beside the server. */
export { exportUiHtml } from './export';

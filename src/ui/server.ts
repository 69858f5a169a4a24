/**
 * `stackfleet ui`: a page on 127.0.0.1 and a small JSON API in front of the Step Functions API.
 * The server holds the credentials; the browser only ever talks to loopback. Against the
 * sandbox the same calls reach the local engine, so one code path serves both.
 */
import '../core/polyfills';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { UiError, UiRequestError } from './errors';
import { pageScript, renderPageHtml } from './page-html';
import {
  DefinitionCache,
  listRollouts,
  loadTargetDetail,
  RolloutTracker,
  resolveRolloutStateMachine,
} from './rollout-data';

export interface UiServerOptions {
  sfn: SFNClient;
  /** Reads the plan (pending and skipped targets) and summary.json from the artifact bucket. */
  s3?: S3Client;
  /** The rollout the page opens on; without it the page lists recent rollouts. */
  rolloutExecutionArn?: string;
  /** Where to list rollouts from; found from the execution or by name when absent. */
  rolloutStateMachineArn?: string;
  /** 0 (default) picks any free port. */
  port?: number;
  /** Only loopback: the page proxies credentials-bearing calls. */
  host?: '127.0.0.1';
}

export interface UiServer {
  url: string;
  close(): Promise<void>;
}

/** What the page reads from its config element. */
export interface PageConfig {
  mode: 'live' | 'static';
  rolloutExecutionArn?: string;
  pollMs: number;
}

const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^\s]+$/;

function requireExecutionArn(field: string, value: string | null): string {
  if (!value || !EXECUTION_ARN.test(value)) {
    throw new UiRequestError(
      field,
      `Query parameter ${field} must be a Step Functions execution ARN. Received: ${value ?? '(none)'}`,
    );
  }
  return value;
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

/** Starts the UI server; resolves once it listens. */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const { sfn } = options;
  const definitions = new DefinitionCache(sfn);
  const trackers = new Map<string, RolloutTracker>();
  const tracker = (arn: string) => {
    let t = trackers.get(arn);
    if (!t) {
      t = new RolloutTracker(sfn, arn, definitions, options.s3 ? { s3: options.s3 } : {});
      trackers.set(arn, t);
    }
    return t;
  };
  let rolloutStateMachine: Promise<string> | undefined;
  const config: PageConfig = { mode: 'live', pollMs: 1000 };
  if (options.rolloutExecutionArn) config.rolloutExecutionArn = options.rolloutExecutionArn;
  // Build the bundle while the socket opens; the first page load then does not wait for esbuild.
  pageScript().catch(() => undefined);

  const routes: Record<string, (url: URL) => Promise<unknown>> = {
    '/api/rollouts': async () => {
      rolloutStateMachine ??= resolveRolloutStateMachine(sfn, options);
      rolloutStateMachine.catch(() => {
        rolloutStateMachine = undefined;
      });
      return { rollouts: await listRollouts(sfn, await rolloutStateMachine) };
    },
    '/api/rollout': async (url) => {
      const arn = requireExecutionArn('arn', url.searchParams.get('arn'));
      return tracker(arn).read(intParam(url, 'since'), {
        accounts: intParam(url, 'a'),
        regions: intParam(url, 'r'),
        outcomes: intParam(url, 'o'),
      });
    },
    '/api/definitions': async (url) => {
      const arn = requireExecutionArn('arn', url.searchParams.get('arn'));
      const { rollout, target } = await definitions.forRollout(arn);
      return target ? { rollout, target } : { rollout };
    },
    '/api/target': async (url) =>
      loadTargetDetail(sfn, requireExecutionArn('arn', url.searchParams.get('arn'))),
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
      const status = error instanceof UiRequestError ? 400 : /NotExist|NotFound/.test(error.name) ? 404 : 502;
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
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The CLI loads the UI from this module; the export lives beside the server. */
export { exportUiHtml } from './export';

/**
 * The sandbox over HTTP on 127.0.0.1, for other processes (`AWS_ENDPOINT_URL=http://127.0.0.1:N`).
 * Every request gets an answer; bad input becomes an AWS-style error, never a crash of the server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SandboxRequest, SandboxResponse } from './types';

/** Bodies larger than this are refused (S3 PutObject of templates and manifests stays far below). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

interface Handles {
  handle(request: SandboxRequest): Promise<SandboxResponse>;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Splits a raw query string as SigV4 sees it: `a` alone is null, `a=` is empty, repeats are arrays. */
export function parseQueryString(raw: string): SandboxRequest['query'] {
  const query: SandboxRequest['query'] = {};
  if (raw === '') return query;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? null : decode(part.slice(eq + 1));
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (Array.isArray(existing)) existing.push(value ?? '');
    else query[key] = [existing ?? '', value ?? ''];
  }
  return query;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`Request body exceeds ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message.replace(/[<&>]/g, ' ')}</Message></Error></ErrorResponse>`;
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(body);
}

/** Starts the HTTP server on 127.0.0.1:`port` (0 = any free port). */
export async function serveSandbox(
  sandbox: Handles,
  port: number,
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    (async () => {
      let body: Buffer;
      try {
        body = await readBody(req);
      } catch (error) {
        fail(res, 413, 'EntityTooLarge', (error as Error).message);
        return;
      }
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
      }
      const answer = await sandbox.handle({
        method: req.method ?? 'GET',
        hostname: (headers.host ?? '127.0.0.1').replace(/:\d+$/, ''),
        path: q < 0 ? url : url.slice(0, q),
        query: parseQueryString(q < 0 ? '' : url.slice(q + 1)),
        headers,
        body,
        // The loopback listener stands in for a service's HTTPS endpoint: the SDK reaches AWS only
        // over TLS, so the same call made to AWS carries aws:SecureTransport true, and a bucket
        // policy that denies plain HTTP (the admin stack's enforceSSL) must let it in here too.
        secure: true,
      });
      const payload = typeof answer.body === 'string' ? Buffer.from(answer.body, 'utf8') : answer.body;
      const out = { ...answer.headers };
      if (req.method !== 'HEAD' || out['content-length'] === undefined)
        out['content-length'] = String(payload.length);
      res.writeHead(answer.statusCode, out);
      res.end(req.method === 'HEAD' ? undefined : payload);
    })().catch((error: unknown) => {
      fail(
        res,
        500,
        'InternalFailure',
        `Internal error in the sandbox server: ${(error as Error)?.message ?? String(error)}`,
      );
    });
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

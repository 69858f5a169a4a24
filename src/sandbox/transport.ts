/**
 * The in-process transport: an SDK `requestHandler` that gives the signed request straight to the
 * sandbox and returns its answer as an HTTP response, with no sockets. The SDK's middleware
 * (signing, retries, deserialisers) runs exactly as it does against AWS.
 */
import { Readable } from 'node:stream';
import { type HttpRequest, HttpResponse } from '@smithy/protocol-http';
import type { SandboxRequest, SandboxResponse } from './types';

interface Handles {
  handle(request: SandboxRequest): Promise<SandboxResponse>;
}

async function toBuffer(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<unknown>) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
    }
    return Buffer.concat(chunks);
  }
  throw new TypeError(
    `The in-process transport cannot read a request body of type ${Object.prototype.toString.call(body)}`,
  );
}

function oneShot(buffer: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        if (buffer.length > 0) this.push(buffer);
      }
      this.push(null);
    },
  });
}

/** Whether the SDK may read this response as a stream: S3 GETs (GetObject's Body). */
function streams(request: HttpRequest): boolean {
  if (request.method !== 'GET') return false;
  const auth = request.headers.authorization ?? request.headers.Authorization ?? '';
  return auth.includes('/s3/aws4_request');
}

/** The SDK handler object (the shape of `@smithy/node-http-handler`'s, minus sockets). */
export class InProcessHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };

  constructor(private readonly target: Handles) {}

  async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    if (!headers.host) headers.host = request.port ? `${request.hostname}:${request.port}` : request.hostname;
    const answer = await this.target.handle({
      method: request.method,
      hostname: request.hostname,
      path: request.path,
      query: (request.query ?? {}) as SandboxRequest['query'],
      headers,
      body: await toBuffer(request.body),
      secure: request.protocol === 'https:' || request.protocol === 'https',
    });
    const body = typeof answer.body === 'string' ? Buffer.from(answer.body, 'utf8') : answer.body;
    answer.headers['content-length'] ??= String(body.length);
    return {
      response: new HttpResponse({
        statusCode: answer.statusCode,
        headers: answer.headers,
        // Streaming payloads (S3 GetObject's Body) must be a Readable in Node; every other
        // response is collected whole by the SDK, which takes bytes as they are (cheaper).
        body: streams(request)
          ? oneShot(body)
          : new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
      }),
    };
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

export function createInProcessHandler(target: Handles): InProcessHandler {
  return new InProcessHandler(target);
}

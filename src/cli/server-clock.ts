import type { SFNClient } from '@aws-sdk/client-sfn';
import { realNow } from '../sandbox/clock';

/**
 * The endpoint's own now, from the `Date` header of its last answer (RFC 9110: the time the
 * answer was made), moved on by the real time since. On AWS it is (to the second) the local clock;
 * on a served sandbox it is the sandbox's virtual clock, which runs ahead at --speed K, so the
 * elapsed time a follower shows is the one the rollout's own timestamps show.
 */
export function trackServerClock(client: SFNClient): () => number {
  let last: { server: number; real: number } | undefined;
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const headers = (result.response as { headers?: Record<string, string> } | undefined)?.headers;
      const date = headers?.date ?? headers?.Date;
      const server = date ? Date.parse(date) : Number.NaN;
      if (Number.isFinite(server)) last = { server, real: realNow() };
      return result;
    },
    { step: 'deserialize', name: 'stackfleetServerClock', override: true },
  );
  return () => (last ? last.server + (realNow() - last.real) : Date.now());
}

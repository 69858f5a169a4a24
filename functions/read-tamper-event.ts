import { readTamperEvent } from '../src/core/tamper/read-event';

/**
 * "Read the event": the forwarded CloudTrail event, read into account, region, trail or recorder,
 * event name and time, source IP, user agent and the principal. Never fails: an unknown or
 * malformed event comes back with its problems, so the response records and alerts it.
 */
export async function handler(event: unknown) {
  return readTamperEvent(event);
}

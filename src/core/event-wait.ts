/**
 * How long "Wait for stack event" waits for our operation's Stack Status Change event before Check
 * stack polls (the task's TimeoutSecondsPath).
 *
 * With events, a stack's end is noticed when it happens, so a longer wait costs nothing when the
 * event comes; the wait only matters when it does not (lost, or no forwarder). Two cases:
 * - Right after Deploy stack, the polling policy's first look comes early on purpose (a little
 *   past halfway through the create, to read the events and project the finish). Waiting for an
 *   event instead, the first look should come after nearly every stack of this template would have
 *   ended: the template's prior (src/core/wait-policy.ts) times EVENT_FIRST_SHARE plus
 *   EVENT_MARGIN_SECONDS for the event's delivery. Most targets then end in one wait: no check at
 *   all (6 transitions, the 2 CloudFormation calls of Deploy stack), and a lost event costs one
 *   late look.
 * - After a check, the polling policy's next look already aims just past the projected finish
 *   from the events: wait that long for the event, so a lost event costs nothing over polling.
 * Updates have no prior: the first wait is EVENT_UPDATE_SECONDS.
 * Where no event of the region came lately (no forwarder yet, or all lost), every wait is the
 * poll's: events can then only make a target faster, never slower than polling.
 */
import { MIN_WAIT_SECONDS } from './wait-policy';

/** The first event wait of a create is this share of the template's expected create time... */
export const EVENT_FIRST_SHARE = 1.35;
/** ...plus this much for the event's way to the admin bus (cross-account, cross-region). */
export const EVENT_MARGIN_SECONDS = 20;
/** The first event wait of an update (no prior: which resources change is not known). */
export const EVENT_UPDATE_SECONDS = 120;
/** No event wait is longer (a lost event is noticed within this). */
export const MAX_EVENT_WAIT_SECONDS = 900;

export interface EventWaitContext {
  /** Seconds since the operation started. */
  readonly elapsedSeconds: number;
  /** Checks made for this operation (0 right after Deploy stack). */
  readonly checks: number;
  /** The template's expected create time (creates), if known. */
  readonly expectedSeconds?: number;
  /** The polling policy's next wait (wait-policy.ts `nextWaitSeconds`). */
  readonly pollSeconds: number;
  /** Seconds left before the per-target timeout. */
  readonly remainingBudgetSeconds?: number;
  /**
   * Whether forwarded events of the target's region reached the admin bus lately (Match stack
   * event's marker). When not, the first wait is the poll's: an event still ends it early, and
   * without events the target runs exactly as polling does. @default true
   */
  readonly eventsFlowing?: boolean;
}

/** Whole seconds for "Wait for stack event"'s TimeoutSecondsPath (at least 1, as Step Functions requires). */
export function eventWaitSeconds(context: EventWaitContext): number {
  let seconds: number;
  if (context.checks > 0 || context.eventsFlowing === false) seconds = context.pollSeconds;
  else if (context.expectedSeconds !== undefined)
    seconds = EVENT_FIRST_SHARE * context.expectedSeconds + EVENT_MARGIN_SECONDS - context.elapsedSeconds;
  else seconds = EVENT_UPDATE_SECONDS;
  seconds = Math.min(MAX_EVENT_WAIT_SECONDS, Math.max(MIN_WAIT_SECONDS, seconds, context.pollSeconds));
  if (context.remainingBudgetSeconds !== undefined) {
    seconds = Math.min(seconds, Math.max(1, context.remainingBudgetSeconds + 1));
  }
  return Math.max(1, Math.ceil(seconds));
}

/**
 * CloudFormation's "CloudFormation Stack Status Change" events (CloudFormation User Guide,
 * event-detail-stack-status-change): at each status change of a stack, CloudFormation sends an
 * event to EventBridge in the stack's account and region, with the stack id, the new status and
 * its reason, and the ClientRequestToken of the operation ("all events that are initiated by a
 * given stack operation are assigned the same client request token").
 *
 * `emitStackStatusChange` puts each event on the default bus of its account and region
 * (putEventOnBus, the sandbox's EventBridge) when it reaches the bus (`deliverAt`): the rules of
 * that bus match it and send it on (a baseline's forwarding rule to the admin bus, eb-cross-account).
 * AWS's own "Events from AWS services" are sent to the default bus only (EventBridge User Guide,
 * eb-service-event). In-memory listeners see every event as it is emitted (tests, the benchmark).
 * CloudFormation sends them with "durable" delivery, at least once (EventBridge User Guide,
 * eb-service-event-delivery-level), so copies happen; a rule's target can still miss one once its
 * retries run out, and a forwarding rule may not exist yet. Scenarios can lose, delay, duplicate
 * and reorder these events (`faults.stackEvents`), which is what stackfleet's waiting must
 * survive: it never depends on an event arriving.
 *
 * When the events happen is stack-events-schedule.ts's business.
 */
import { outsideAmbientIdentity } from '../../aws/ambient-identity';
import type { StackEventFaultRule } from '../scenario-types';
import { type EventEnvelope, eventsRuntime, putEventOnBus } from '../services/events/delivery';
import { eventBusArn } from '../services/events-state';
import type { SandboxWorld } from '../types';
import { stableUuid } from './resource-types';

export const STACK_STATUS_CHANGE = 'CloudFormation Stack Status Change';

/** The event as EventBridge delivers it (the envelope of every event, with CloudFormation's detail). */
export interface StackStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': typeof STACK_STATUS_CHANGE;
  source: 'aws.cloudformation';
  account: string;
  /** When the status changed, ISO 8601 to the second like EventBridge's `time`. */
  time: string;
  region: string;
  resources: string[];
  detail: {
    'stack-id': string;
    'status-details': { status: string; 'status-reason': string };
    /** The operation's ClientRequestToken; empty for an operation started without one. */
    'client-request-token': string;
  };
}

/** One event on its way to the bus. */
export interface QueuedStackEvent {
  event: StackStatusChangeEvent;
  /** Virtual ms when it reaches the account's bus (its time, plus any delay a fault adds). */
  deliverAt: number;
  /** 0 for the event, 1 for a duplicate a fault adds (same id, as EventBridge redelivers). */
  copy: number;
}

/** What happened to the events so far, for tests and the benchmark. */
export interface StackEventCounts {
  emitted: number;
  lost: number;
  duplicated: number;
  delayed: number;
  reordered: number;
}

interface StackEventsSection {
  version: 1;
  counts: StackEventCounts;
}

const SECTION = 'cloudformation-events';

function section(world: SandboxWorld): StackEventsSection {
  return world.section<StackEventsSection>(SECTION, () => ({
    version: 1,
    counts: { emitted: 0, lost: 0, duplicated: 0, delayed: 0, reordered: 0 },
  }));
}

export type StackEventListener = (entry: QueuedStackEvent) => void;
const listeners = new WeakMap<SandboxWorld, Set<StackEventListener>>();

/**
 * Calls `listener` for every event emitted from now on (in-memory; the benchmark's direct delivery
 * and tests use it). Returns the function that stops listening.
 */
export function onStackStatusChange(world: SandboxWorld, listener: StackEventListener): () => void {
  let set = listeners.get(world);
  if (!set) {
    set = new Set();
    listeners.set(world, set);
  }
  set.add(listener);
  return () => set.delete(listener);
}

/**
 * One event reaches the default bus of its account and region at `deliverAt`: at once when that
 * time has come, else on a timer (virtual time), tracked as in flight so a harness waits for it.
 */
export function emitStackStatusChange(world: SandboxWorld, entry: QueuedStackEvent): void {
  for (const listener of listeners.get(world) ?? []) listener(entry);
  const bus = eventBusArn(entry.event.account, entry.event.region);
  const put = () => {
    putEventOnBus(world, bus, entry.event as unknown as EventEnvelope);
  };
  const wait = entry.deliverAt - world.now();
  if (wait <= 0) {
    put();
    return;
  }
  const runtime = eventsRuntime(world);
  const flight: Promise<void> = outsideAmbientIdentity(
    () =>
      new Promise<void>((resolve) => {
        // A world on a hand-moved clock (unit tests) must not keep the process alive for it.
        (setTimeout(resolve, wait) as { unref?: () => void }).unref?.();
      }),
  )
    .then(put)
    .finally(() => runtime.inFlight.delete(flight));
  runtime.inFlight.add(flight);
}

export function stackEventCounts(world: SandboxWorld): Readonly<StackEventCounts> {
  return section(world).counts;
}

/** A status change of a stack, as the scheduler reports it. */
export interface StatusChange {
  accountId: string;
  region: string;
  stackId: string;
  /** The operation it belongs to (the event id is derived from it and the change's index). */
  operationId: string;
  index: number;
  at: number;
  status: string;
  reason?: string;
  clientRequestToken?: string;
}

/** CloudFormation's event for a status change (EventBridge's `time` has whole seconds). */
export function stackStatusChangeEvent(change: StatusChange): StackStatusChangeEvent {
  return {
    version: '0',
    id: stableUuid(`${change.operationId}/status/${change.index}`),
    'detail-type': STACK_STATUS_CHANGE,
    source: 'aws.cloudformation',
    account: change.accountId,
    time: new Date(change.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: change.region,
    resources: [change.stackId],
    detail: {
      'stack-id': change.stackId,
      'status-details': { status: change.status, 'status-reason': change.reason ?? '' },
      'client-request-token': change.clientRequestToken ?? '',
    },
  };
}

/** The scenario's rule for events of an account and region: the first that names them (or names none). */
export function stackEventFaults(
  world: SandboxWorld,
  accountId: string,
  region: string,
): StackEventFaultRule | undefined {
  return world.scenario.faults.stackEvents?.find(
    (rule) =>
      (rule.accounts === undefined || rule.accounts.includes(accountId)) &&
      (rule.regions === undefined || rule.regions.includes(region)),
  );
}

/** Seconds of extra delay a rule adds to one event (a number, or a range drawn per event). */
function delayMs(world: SandboxWorld, rule: StackEventFaultRule, id: string): number {
  const d = rule.delaySeconds;
  if (d === undefined) return 0;
  if (typeof d === 'number') return d * 1000;
  const [low, high] = d;
  return Math.round((low + (high - low) * world.random(`stack-events/${id}/delay`)) * 1000);
}

/**
 * Emits the status changes of one operation that happen now, with the scenario's faults: each is
 * lost, delayed and duplicated by the rule's odds (drawn per event id, so runs repeat), and one
 * chosen for reordering reaches the bus only after the operation's next change. `next` is that
 * next change when the operation has one.
 */
export function emitStatusChange(world: SandboxWorld, change: StatusChange, next?: StatusChange): void {
  const event = stackStatusChangeEvent(change);
  const counts = section(world).counts;
  counts.emitted += 1;
  const rule = stackEventFaults(world, change.accountId, change.region);
  const draw = (what: string) => world.random(`stack-events/${event.id}/${what}`);
  if (rule?.lose !== undefined && draw('lose') < rule.lose) {
    counts.lost += 1;
    return;
  }
  let deliverAt = change.at;
  if (rule) {
    const extra = delayMs(world, rule, event.id);
    if (extra > 0) counts.delayed += 1;
    deliverAt += extra;
    if (next && rule.reorder !== undefined && draw('reorder') < rule.reorder) {
      const nextId = stackStatusChangeEvent(next).id;
      const nextAt = next.at + delayMs(world, rule, nextId);
      if (nextAt >= deliverAt) {
        deliverAt = nextAt + 1000;
        counts.reordered += 1;
      }
    }
  }
  emitStackStatusChange(world, { event, deliverAt, copy: 0 });
  if (rule?.duplicate !== undefined && draw('duplicate') < rule.duplicate) {
    counts.duplicated += 1;
    emitStackStatusChange(world, { event, deliverAt: deliverAt + 1000, copy: 1 });
  }
}

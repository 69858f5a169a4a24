/**
 * EventBridge delivery in the sandbox: an event put on a bus (by PutEvents, or by an AWS service
 * such as CloudTrail on the account's default bus) is matched against the bus's ENABLED rules
 * (pattern.ts) and sent to each target after a delivery delay in virtual time. Targets, as the
 * EventBridge User Guide describes them:
 * - another event bus (eb-cross-account, eb-cross-region): with the target's RoleArn EventBridge
 *   assumes that role (trusted by events.amazonaws.com) and the role must be allowed
 *   events:PutEvents on the bus; across accounts the receiving bus's resource policy must allow
 *   the sender too. Without a role only a bus in the same region can be reached, as the account.
 *   An event received from another account is not sent on to a third account ("these events are
 *   not sent to the third account").
 * - a Step Functions state machine: StartExecution as the target's role (eb-use-identity-based).
 * - a Lambda function and an SNS topic: as events.amazonaws.com, allowed by the function's or the
 *   topic's resource-based policy (eb-use-resource-based), and for an encrypted topic by the key.
 * Each attempt is recorded (`eventsDeliveries`); denials are not retried. At-least-once delivery
 * can be played by a scenario (`events.duplicateRate`) or a test (`eventsRuntime(world).duplicate`).
 * `whenEventsSettled` resolves once nothing is in flight, so a harness can wait for the chain.
 */
import { createHash } from 'node:crypto';
import { decide, principalOf } from '../../iam/authorize';
import { servicePrincipal } from '../../iam/principal';
import { topicFacts } from '../../iam/resources';
import { findRoleByArn, iamSection } from '../../iam/state';
import { callInternal } from '../../internal-call';
import type { Caller, SandboxWorld } from '../../types';
import type { World } from '../../world';
import {
  busPolicyOf,
  type EventRule,
  type EventRuleTarget,
  eventsSection,
  rulesOfBus,
} from '../events-state';
import { findKey, keyPolicyOf } from '../kms-state';
import { runDeployedFunction } from '../lambda';
import { findFunction, functionPolicyOf } from '../lambda-state';
import { recordSnsMessage } from '../sns';
import { assumeRoleAsService } from '../sts';
import { matchesEventPattern, parseEventPattern } from './pattern';

export const EVENTS_PRINCIPAL = 'events.amazonaws.com';

/** An event as EventBridge hands it to targets (the envelope of eb-events-structure). */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO 8601, seconds precision (`2026-11-01T12:00:00Z`). */
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** One attempt to deliver an event to a rule's target. */
export interface EventDelivery {
  eventId: string;
  ruleArn: string;
  targetId: string;
  targetArn: string;
  /** Virtual epoch ms of the attempt. */
  at: number;
  outcome: 'delivered' | 'failed';
  /** Why it failed (the error EventBridge would record), or what it started (an execution ARN). */
  detail?: string;
}

/** What a bus hop carries besides the event. */
interface Hop {
  /** Accounts the event has crossed into already (a second cross-account hop is dropped). */
  crossedAccount: boolean;
}

/** In-memory runtime of a world's EventBridge: what is in flight, and knobs for scenarios and tests. */
export interface EventsRuntime {
  inFlight: Set<Promise<void>>;
  /** Decides whether a delivery happens twice (at-least-once). Default: the scenario's `events.duplicateRate`. */
  duplicate?: (event: EventEnvelope, rule: EventRule, target: EventRuleTarget) => boolean;
}

const RUNTIME = 'events-runtime';
const MAX_DELIVERIES = 2000;

export function eventsRuntime(world: SandboxWorld): EventsRuntime {
  let runtime = world.extensions[RUNTIME] as EventsRuntime | undefined;
  if (!runtime) {
    runtime = { inFlight: new Set() };
    world.extensions[RUNTIME] = runtime;
  }
  return runtime;
}

/** Every delivery attempt so far, oldest first (at most the last 2,000). */
export function eventsDeliveries(world: SandboxWorld): EventDelivery[] {
  const section = eventsSection(world) as ReturnType<typeof eventsSection> & { deliveries?: EventDelivery[] };
  section.deliveries ??= [];
  return section.deliveries;
}

function record(world: SandboxWorld, delivery: EventDelivery): void {
  const log = eventsDeliveries(world);
  log.push(delivery);
  if (log.length > MAX_DELIVERIES) log.splice(0, log.length - MAX_DELIVERIES);
}

/** Milliseconds from an event on a bus to its targets (scenario `events.deliveryDelayMs`, default 500). */
export function deliveryDelayMs(world: SandboxWorld): number {
  return world.scenario.events?.deliveryDelayMs ?? 500;
}

/** Resolves when no event is waiting to be delivered (new ones started meanwhile included). */
export async function whenEventsSettled(world: SandboxWorld): Promise<void> {
  const runtime = eventsRuntime(world);
  while (runtime.inFlight.size > 0) await Promise.allSettled([...runtime.inFlight]);
}

/**
 * A deterministic event id (UUID-shaped) from the world's seed and a counter. The counter is kept
 * with the world: counted in memory, every command of a saved world started again at 1, so the
 * second `sandbox tamper` reused the first one's id and the response took it for a duplicate
 * delivery (EventBridge gives each event its own id; only a redelivery repeats one).
 */
export function newEventId(world: SandboxWorld): string {
  const section = eventsSection(world) as ReturnType<typeof eventsSection> & { eventCounter?: number };
  section.eventCounter = (section.eventCounter ?? 0) + 1;
  const hex = createHash('sha256')
    .update(`${world.scenario.seed}:event:${section.eventCounter}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** `arn:aws:events:R:A:event-bus/N` -> its parts, or undefined for another ARN. */
export function parseBusArn(arn: string): { region: string; accountId: string; name: string } | undefined {
  const m = /^arn:aws[a-z-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/.exec(arn);
  return m ? { region: m[1] as string, accountId: m[2] as string, name: m[3] as string } : undefined;
}

/**
 * Puts an event on a bus: every ENABLED rule of the bus whose pattern matches sends it to its
 * targets after the delivery delay. Returns the number of rules that matched.
 */
export function putEventOnBus(world: SandboxWorld, busArn: string, event: EventEnvelope, hop?: Hop): number {
  const bus = parseBusArn(busArn);
  if (!bus) return 0;
  let matched = 0;
  for (const rule of rulesOfBus(world, bus.accountId, bus.region, bus.name)) {
    // The index holds ARNs; a rule replaced under its ARN is checked again as it is now.
    if (rule.accountId !== bus.accountId || rule.region !== bus.region) continue;
    if ((rule.eventBusName.split('/').pop() ?? 'default') !== bus.name) continue;
    if (rule.state !== 'ENABLED' || rule.eventPattern === undefined) continue;
    const pattern = patternOf(rule.eventPattern);
    if (pattern === undefined) continue; // PutRule refuses these; a stack could still have written one
    if (!matchesEventPattern(pattern, event as unknown as Record<string, unknown>)) continue;
    matched += 1;
    for (const target of rule.targets) schedule(world, rule, target, event, hop ?? { crossedAccount: false });
  }
  return matched;
}

/** Parsed patterns by their text (the forwarding rules of thousands of stacks share one). */
const patterns = new Map<string, ReturnType<typeof parseEventPattern> | undefined>();

function patternOf(text: string): ReturnType<typeof parseEventPattern> | undefined {
  if (patterns.has(text)) return patterns.get(text);
  let pattern: ReturnType<typeof parseEventPattern> | undefined;
  try {
    pattern = parseEventPattern(text);
  } catch {
    pattern = undefined;
  }
  if (patterns.size >= 10_000) patterns.clear();
  patterns.set(text, pattern);
  return pattern;
}

function schedule(
  world: SandboxWorld,
  rule: EventRule,
  target: EventRuleTarget,
  event: EventEnvelope,
  hop: Hop,
): void {
  const runtime = eventsRuntime(world);
  const duplicate =
    runtime.duplicate?.(event, rule, target) ??
    world.random(`events:duplicate:${event.id}:${rule.arn}:${target.Id}`) <
      (world.scenario.events?.duplicateRate ?? 0);
  const times = duplicate ? 2 : 1;
  for (let i = 0; i < times; i++) {
    const delay = deliveryDelayMs(world) * (i + 1);
    const flight: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, delay))
      .then(() => deliver(world, rule, target, event, hop))
      .catch((error: unknown) => {
        record(world, {
          eventId: event.id,
          ruleArn: rule.arn,
          targetId: target.Id,
          targetArn: target.Arn,
          at: world.now(),
          outcome: 'failed',
          detail: `Internal error in the sandbox: ${(error as Error)?.message ?? String(error)}`,
        });
      })
      .finally(() => runtime.inFlight.delete(flight));
    runtime.inFlight.add(flight);
  }
}

/** The input a target receives: its constant `Input`, the `InputPath` part, or the whole event. */
export function targetInput(target: EventRuleTarget & { InputPath?: string }, event: EventEnvelope): unknown {
  if (target.Input !== undefined) return JSON.parse(target.Input);
  if (target.InputPath !== undefined && target.InputPath !== '$') {
    let value: unknown = event;
    for (const part of target.InputPath.replace(/^\$\.?/, '').split('.')) {
      if (part === '') continue;
      value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    }
    return value ?? null;
  }
  return event;
}

function sessionCaller(session: { accessKeyId: string; arn: string }, now: number): Caller {
  const [, , , , accountId = '', rest = ''] = session.arn.split(':');
  const [, roleName = '', sessionName = ''] = rest.split('/');
  return {
    accountId,
    accessKeyId: session.accessKeyId,
    arn: session.arn,
    roleName,
    sessionName,
    issuedAt: now,
  };
}

/**
 * Sessions EventBridge holds for its targets' roles, per world, rule and role. EventBridge assumes
 * a target's role to deliver (eb-use-identity-based), and like any credential holder keeps the
 * session until shortly before it expires instead of calling AssumeRole per event: a new session
 * per forwarded event also filled the world's STS state with one session per stack operation. A
 * session is used again only while the role is the same role (its id) with the same trust policy
 * (a changed trust policy is checked again at once, stricter than AWS, where a session outlives
 * it) and more than SESSION_REFRESH_MS from its expiry; the role's permissions are evaluated on
 * every delivery as they are now.
 */
const targetSessions = new WeakMap<
  SandboxWorld,
  Map<string, { caller: Caller; expiration: number; roleId: string; trustPolicy: string }>
>();
const SESSION_REFRESH_MS = 5 * 60 * 1000;

/** EventBridge assumes a target's role with the rule as the source (eb-use-identity-based). */
function assumeTargetRole(world: SandboxWorld, rule: EventRule, roleArn: string): Caller | string {
  const now = world.now();
  const role = findRoleByArn(iamSection(world), roleArn);
  let sessions = targetSessions.get(world);
  if (!sessions) {
    sessions = new Map();
    targetSessions.set(world, sessions);
  }
  const key = `${rule.arn} ${roleArn}`;
  const held = sessions.get(key);
  if (
    held &&
    role &&
    held.roleId === role.roleId &&
    held.trustPolicy === role.trustPolicy &&
    now >= (held.caller.issuedAt ?? 0) &&
    now < held.expiration - SESSION_REFRESH_MS
  )
    return held.caller;
  sessions.delete(key);
  const session = assumeRoleAsService(world as World, {
    service: EVENTS_PRINCIPAL,
    roleArn,
    sessionName: `eventbridge-${createHash('sha256').update(rule.arn).digest('hex').slice(0, 16)}`,
    now,
    context: { 'aws:SourceAccount': rule.accountId, 'aws:SourceArn': rule.arn },
  });
  if (session instanceof Error) return `${session.name}: ${session.message}`;
  const caller = sessionCaller(session, now);
  if (role)
    sessions.set(key, {
      caller,
      expiration: session.expiration,
      roleId: role.roleId,
      trustPolicy: role.trustPolicy,
    });
  return caller;
}

function allowedAsService(
  world: SandboxWorld,
  rule: EventRule,
  spec: {
    action: string;
    resource: string;
    resourceAccountId: string;
    resourcePolicy?: string;
    mode: 'standard' | 'kms';
  },
): boolean {
  return (
    decide(
      world,
      servicePrincipal(EVENTS_PRINCIPAL),
      {
        action: spec.action,
        resource: spec.resource,
        resourceAccountId: spec.resourceAccountId,
        ...(spec.resourcePolicy !== undefined ? { resourcePolicy: spec.resourcePolicy } : {}),
        resourcePolicyMode: spec.mode,
        context: { 'aws:SourceAccount': rule.accountId, 'aws:SourceArn': rule.arn },
      },
      { region: rule.region, now: world.now() },
    ).decision.effect === 'Allow'
  );
}

async function deliver(
  world: SandboxWorld,
  rule: EventRule,
  target: EventRuleTarget,
  event: EventEnvelope,
  hop: Hop,
) {
  const base = {
    eventId: event.id,
    ruleArn: rule.arn,
    targetId: target.Id,
    targetArn: target.Arn,
    at: world.now(),
  };
  const outcome = await sendToTarget(world, rule, target, event, hop);
  if (outcome.ok)
    record(world, { ...base, outcome: 'delivered', ...(outcome.detail ? { detail: outcome.detail } : {}) });
  else record(world, { ...base, outcome: 'failed', detail: outcome.reason });
}

type Outcome = { ok: true; detail?: string } | { ok: false; reason: string };

async function sendToTarget(
  world: SandboxWorld,
  rule: EventRule,
  target: EventRuleTarget,
  event: EventEnvelope,
  hop: Hop,
): Promise<Outcome> {
  const service = target.Arn.split(':')[2];
  switch (service) {
    case 'events':
      return toBus(world, rule, target, event, hop);
    case 'states':
      return toStateMachine(world, rule, target, event);
    case 'lambda':
      return toFunction(world, rule, target, event);
    case 'sns':
      return toTopic(world, rule, target, event);
    default:
      return {
        ok: false,
        reason: `not implemented in the sandbox: EventBridge targets of service ${service}`,
      };
  }
}

function toBus(
  world: SandboxWorld,
  rule: EventRule,
  target: EventRuleTarget,
  event: EventEnvelope,
  hop: Hop,
): Outcome {
  const bus = parseBusArn(target.Arn);
  if (!bus) return { ok: false, reason: `Invalid event bus ARN: ${target.Arn}` };
  const crossAccount = bus.accountId !== rule.accountId;
  if (crossAccount && hop.crossedAccount)
    return { ok: false, reason: 'An event received from another account is not sent on to a third account.' };
  if (bus.name !== 'default')
    return { ok: false, reason: `ResourceNotFoundException: Event bus ${bus.name} does not exist.` };
  if (!(world as World).isRegionEnabled(bus.accountId, bus.region))
    return { ok: false, reason: `Region ${bus.region} is not enabled for account ${bus.accountId}.` };
  let sender: Caller;
  if (target.RoleArn) {
    const assumed = assumeTargetRole(world, rule, target.RoleArn);
    if (typeof assumed === 'string') return { ok: false, reason: assumed };
    sender = assumed;
  } else {
    if (bus.region !== rule.region)
      return { ok: false, reason: 'A target event bus in another Region needs a RoleArn (eb-cross-region).' };
    sender = { accountId: rule.accountId, accessKeyId: 'events', arn: `arn:aws:iam::${rule.accountId}:root` };
  }
  const policy = busPolicyOf(world, target.Arn);
  const { decision } = decide(
    world,
    principalOf(world, sender),
    {
      action: 'events:PutEvents',
      resource: target.Arn,
      resourceAccountId: bus.accountId,
      ...(policy !== undefined ? { resourcePolicy: policy } : {}),
      resourcePolicyMode: 'standard',
      context: { 'events:source': event.source, 'events:detail-type': event['detail-type'] },
    },
    { region: bus.region, now: world.now() },
  );
  if (decision.effect !== 'Allow')
    return {
      ok: false,
      reason: `AccessDeniedException: ${sender.arn} is not authorized to perform: events:PutEvents on resource: ${target.Arn}`,
    };
  putEventOnBus(world, target.Arn, event, { crossedAccount: hop.crossedAccount || crossAccount });
  return { ok: true };
}

async function toStateMachine(
  world: SandboxWorld,
  rule: EventRule,
  target: EventRuleTarget,
  event: EventEnvelope,
): Promise<Outcome> {
  if (!target.RoleArn) return { ok: false, reason: `RoleArn is required for target ${target.Arn}.` };
  const caller = assumeTargetRole(world, rule, target.RoleArn);
  if (typeof caller === 'string') return { ok: false, reason: caller };
  const region = target.Arn.split(':')[3] ?? rule.region;
  try {
    const started = (await callInternal(world, {
      caller,
      service: 'states',
      operation: 'StartExecution',
      params: { stateMachineArn: target.Arn, input: JSON.stringify(targetInput(target, event)) },
      region,
    })) as { executionArn?: string };
    return { ok: true, ...(started.executionArn ? { detail: started.executionArn } : {}) };
  } catch (error) {
    return { ok: false, reason: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

async function toFunction(
  world: SandboxWorld,
  rule: EventRule,
  target: EventRuleTarget,
  event: EventEnvelope,
): Promise<Outcome> {
  const fn = findFunction(world, target.Arn);
  if (!fn) return { ok: false, reason: `ResourceNotFoundException: Function not found: ${target.Arn}` };
  const policy = functionPolicyOf(world, fn.arn);
  if (
    !allowedAsService(world, rule, {
      action: 'lambda:InvokeFunction',
      resource: fn.arn,
      resourceAccountId: fn.accountId,
      ...(policy !== undefined ? { resourcePolicy: policy } : {}),
      mode: 'standard',
    })
  )
    return {
      ok: false,
      reason: `AccessDeniedException: ${EVENTS_PRINCIPAL} is not allowed lambda:InvokeFunction on ${fn.arn} by its resource-based policy`,
    };
  try {
    await runDeployedFunction(world as World, fn.arn, targetInput(target, event), event.id);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

function toTopic(
  world: SandboxWorld,
  rule: EventRule,
  target: EventRuleTarget,
  event: EventEnvelope,
): Outcome {
  const topic = topicFacts(world, target.Arn);
  if (!topic) return { ok: false, reason: `NotFound: Topic does not exist: ${target.Arn}` };
  if (
    !allowedAsService(world, rule, {
      action: 'sns:Publish',
      resource: target.Arn,
      resourceAccountId: topic.accountId,
      ...(topic.policy !== undefined ? { resourcePolicy: topic.policy } : {}),
      mode: 'standard',
    })
  )
    return {
      ok: false,
      reason: `AuthorizationError: ${EVENTS_PRINCIPAL} is not authorized to perform: SNS:Publish on resource: ${target.Arn}`,
    };
  if (topic.kmsKeyId !== undefined) {
    const key = findKey(world, topic.kmsKeyId, topic.accountId, target.Arn.split(':')[3] ?? rule.region);
    const keyPolicy = key ? keyPolicyOf(world, key.arn) : undefined;
    const keyOk =
      key !== undefined &&
      ['kms:GenerateDataKey', 'kms:Decrypt'].every((action) =>
        allowedAsService(world, rule, {
          action,
          resource: key.arn,
          resourceAccountId: key.accountId,
          ...(keyPolicy !== undefined ? { resourcePolicy: keyPolicy } : {}),
          mode: 'kms',
        }),
      );
    if (!keyOk)
      return {
        ok: false,
        reason: `KMS.AccessDeniedException: ${EVENTS_PRINCIPAL} may not use the topic's key ${topic.kmsKeyId}`,
      };
  }
  const input = targetInput(target, event);
  recordSnsMessage(world, {
    topicArn: target.Arn,
    message: typeof input === 'string' ? input : JSON.stringify(input),
    publisher: rule.accountId,
  });
  return { ok: true };
}

/**
 * Resolves once no event is in flight and no execution runs: an execution an event started may put
 * more events, and an event may start more executions, so it waits until both are quiet together.
 */
export async function whenEventsAndExecutionsSettled(
  world: SandboxWorld,
  engine: { whenIdle(): Promise<void>; readonly runningCount: number },
): Promise<void> {
  for (;;) {
    await whenEventsSettled(world);
    await engine.whenIdle();
    if (eventsRuntime(world).inFlight.size === 0 && engine.runningCount === 0) return;
  }
}

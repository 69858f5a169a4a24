/**
 * The timed waves of a stack operation: how long each resource takes (the scenario's durations),
 * which fault rule fails it, resources started in dependency order with the rest cancelled after
 * a failure, and the packed operation with the result the stack takes when it ends. The
 * schedules of schedule-create-update.ts and schedule-delete-import.ts are built from these.
 */
import type { SandboxWorld } from '../types';
import { type CheckedResource, resourceChecks, type WaveCheck } from './checks';
import { evaluateConditions } from './intrinsics';
import { evalContext, type PlanEnv } from './plan';
import {
  type OperationKind,
  type OperationRecord,
  type PendingResult,
  packOperation,
  type ResourceFailureRule,
  type ResourceRecord,
  type StackRecord,
  type StoredEvent,
} from './state';
import type { ParsedTemplate } from './template';

/** Time a resource that never finished (failed or cancelled) takes to be cleaned up. */
export const CLEANUP_MS = 1000;
const DEFAULT_DURATION_S = 5;

// ---------------------------------------------------------------------------------------------
// Durations and faults

/** Milliseconds a resource of `type` takes, drawn deterministically from the scenario's durations. */
export function durationMs(world: SandboxWorld, type: string, key: string): number {
  const durations = world.scenario.durations ?? {};
  const spec = durations[type] ?? durations.default ?? DEFAULT_DURATION_S;
  if (typeof spec === 'number') return Math.round(spec * 1000);
  const [min, max] = spec;
  return Math.round((min + (max - min) * world.random(key)) * 1000);
}

/** Like `durationMs`, but types the scenario rarely lists (change sets, drift checks) fall back to their own default, not the resource default. */
export function durationOr(world: SandboxWorld, type: string, key: string, fallbackSeconds: number): number {
  if (world.scenario.durations?.[type] !== undefined) return durationMs(world, type, key);
  return Math.round(fallbackSeconds * 1000);
}

export type FaultPhase = 'create' | 'update' | 'delete' | 'rollback' | 'import';

export function ruleApplies(
  rule: ResourceFailureRule,
  env: PlanEnv,
  phase: FaultPhase,
  logicalId: string,
  type: string,
): boolean {
  if (rule.accounts && !rule.accounts.includes(env.accountId)) return false;
  if (rule.regions && !rule.regions.includes(env.region)) return false;
  if (rule.logicalId !== undefined && rule.logicalId !== logicalId) return false;
  if (rule.resourceType !== undefined && rule.resourceType !== type) return false;
  const on = rule.on ?? 'any';
  if (on === 'any') return phase === 'create' || phase === 'update' || phase === 'import';
  return on === phase;
}

/** The first resource (in order of finishing) a fault rule makes fail, with its reason; records the firing. */
export function pickFailure(
  env: PlanEnv,
  phase: FaultPhase,
  candidates: Array<{ logicalId: string; type: string }>,
): { logicalId: string; reason: string } | undefined {
  const rules: Array<[string, ResourceFailureRule]> = [
    ...(env.world.scenario.faults?.resourceFailures ?? []).map(
      (r, i) => [`scenario:${i}`, r as ResourceFailureRule] as [string, ResourceFailureRule],
    ),
    ...env.section.injectedFailures.map((r, i) => [`injected:${i}`, r] as [string, ResourceFailureRule]),
  ];
  if (rules.length === 0) return undefined;
  for (const candidate of candidates) {
    for (const [key, rule] of rules) {
      if (!ruleApplies(rule, env, phase, candidate.logicalId, candidate.type)) continue;
      const fired = env.section.firedFailures[key] ?? 0;
      if (rule.times !== undefined && fired >= rule.times) continue;
      env.section.firedFailures[key] = fired + 1;
      return {
        logicalId: candidate.logicalId,
        reason:
          rule.reason ??
          `Resource handler returned message: "Simulated ${phase} failure of ${candidate.logicalId} (sandbox scenario)" (HandlerErrorCode: GeneralServiceException)`,
      };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Waves: a set of resource actions run in dependency order, independent ones in parallel.

export interface WaveItem {
  logicalId: string;
  type: string;
  /** Must finish before this one starts. */
  after: string[];
  duration: number;
  inProgress: string;
  complete: string;
  failed: string;
  cancelledReason: string;
  /** Physical id shown once the action started (create: the new id). */
  physicalId?: string;
  startReason?: string;
  /** AWS's second IN_PROGRESS event once the handler has the physical id ("Resource creation Initiated"). */
  initiatedReason?: string;
}

export interface WaveResult {
  events: StoredEvent[];
  end: number;
  completed: string[];
  failed?: { logicalId: string; reason: string };
  cancelled: string[];
  /** Items that never started because the wave stopped. */
  skipped: string[];
  /** The wave hit its deadline (the stack's TimeoutInMinutes) before finishing. */
  timedOut?: boolean;
}

/** One resource event, built with a fixed shape (object spreads here cost more than the whole schedule). */
export function resourceEvent(
  at: number,
  item: WaveItem,
  status: string,
  reason: string | undefined,
  physicalId: string | undefined,
): StoredEvent {
  const event: StoredEvent = { at, logicalId: item.logicalId, type: item.type, status };
  if (physicalId !== undefined) event.physicalId = physicalId;
  if (reason !== undefined) event.reason = reason;
  return event;
}

/** How long a handler takes to fail a refused call (the first API call is refused at once). */
const REFUSAL_MS = 1000;

export function runWave(
  env: PlanEnv,
  phase: FaultPhase,
  items: WaveItem[],
  start: number,
  deadline = Number.POSITIVE_INFINITY,
  check?: WaveCheck,
): WaveResult {
  const times = new Map<string, { start: number; end: number }>();
  const byId = new Map(items.map((i) => [i.logicalId, i]));
  const visiting = new Set<string>();
  const timeOf = (item: WaveItem): { start: number; end: number } => {
    const known = times.get(item.logicalId);
    if (known) return known;
    visiting.add(item.logicalId);
    let s = start;
    for (const dep of item.after) {
      const d = byId.get(dep);
      if (d && !visiting.has(dep)) s = Math.max(s, timeOf(d).end);
    }
    visiting.delete(item.logicalId);
    const t = { start: s, end: s + item.duration };
    times.set(item.logicalId, t);
    return t;
  };
  for (const item of items) timeOf(item);
  const byEnd = [...items].sort(
    (a, b) => (times.get(a.logicalId)?.end ?? 0) - (times.get(b.logicalId)?.end ?? 0),
  );
  // Plan-time checks (IAM and service rules) in order of starting: the first refusal wins.
  let refused: { logicalId: string; reason: string; at: number } | undefined;
  if (check) {
    const byStart = [...items].sort(
      (a, b) => (times.get(a.logicalId)?.start ?? 0) - (times.get(b.logicalId)?.start ?? 0),
    );
    for (const item of byStart) {
      const t = times.get(item.logicalId) as { start: number; end: number };
      if (refused && t.start >= refused.at) break;
      const completed = items
        .filter((o) => o !== item && (times.get(o.logicalId)?.end ?? Number.POSITIVE_INFINITY) <= t.start)
        .map((o) => o.logicalId);
      const reason = check(item, t.start, completed);
      if (reason === undefined) continue;
      const at = t.start + Math.min(item.duration, REFUSAL_MS);
      if (!refused || at < refused.at) refused = { logicalId: item.logicalId, reason, at };
    }
  }
  const scenarioCandidates = refused
    ? byEnd.filter((i) => (times.get(i.logicalId)?.end ?? 0) < (refused as { at: number }).at)
    : byEnd;
  const picked = pickFailure(env, phase, scenarioCandidates);
  let failure: { logicalId: string; reason: string; at: number } | undefined = picked
    ? { ...picked, at: times.get(picked.logicalId)?.end ?? start }
    : refused;
  let failAt = failure ? failure.at : Number.POSITIVE_INFINITY;
  const lastEnd =
    byEnd.length > 0 ? (times.get((byEnd[byEnd.length - 1] as WaveItem).logicalId)?.end ?? start) : start;
  // The deadline matters only if it comes before the wave would finish or fail on its own.
  const timedOut = deadline < lastEnd && deadline < failAt;
  if (timedOut) {
    failure = undefined;
    failAt = deadline;
  }
  const events: StoredEvent[] = [];
  const completed: string[] = [];
  const cancelled: string[] = [];
  const skipped: string[] = [];
  const cancellations: StoredEvent[] = [];
  let end = start;
  for (const item of items) {
    const t = times.get(item.logicalId) as { start: number; end: number };
    const isFailed = failure?.logicalId === item.logicalId;
    if (!isFailed && t.start >= failAt) {
      skipped.push(item.logicalId);
      continue;
    }
    events.push(resourceEvent(t.start, item, item.inProgress, item.startReason, undefined));
    if (item.initiatedReason && item.physicalId) {
      events.push(resourceEvent(t.start, item, item.inProgress, item.initiatedReason, item.physicalId));
    }
    if (isFailed && failure) {
      events.push(resourceEvent(failure.at, item, item.failed, failure.reason, item.physicalId));
      end = Math.max(end, failure.at);
    } else if (t.end <= failAt) {
      events.push(resourceEvent(t.end, item, item.complete, undefined, item.physicalId));
      completed.push(item.logicalId);
      end = Math.max(end, t.end);
    } else {
      cancellations.push(resourceEvent(failAt, item, item.failed, item.cancelledReason, item.physicalId));
      cancelled.push(item.logicalId);
      end = Math.max(end, failAt);
    }
  }
  // Cancellations follow the failure that caused them (same timestamp; the sort is stable).
  events.push(...cancellations);
  events.sort((a, b) => a.at - b.at);
  const result: WaveResult = { events, end, completed, cancelled, skipped };
  if (failure) result.failed = { logicalId: failure.logicalId, reason: failure.reason };
  if (timedOut) result.timedOut = true;
  return result;
}

/** Dependents-first order: an item waits for everything that depends on it (deletes). */
export function reverseDeps(ids: string[], deps: Record<string, string[]>): Record<string, string[]> {
  const set = new Set(ids);
  const out: Record<string, string[]> = {};
  for (const id of ids) out[id] = [];
  for (const id of ids) {
    for (const dep of deps[id] ?? []) if (set.has(dep)) out[dep]?.push(id);
  }
  return out;
}

export function stackEvent(at: number, status: string, reason?: string): StoredEvent {
  return reason === undefined ? { at, status } : { at, status, reason };
}

export interface ScheduledOperation {
  op: OperationRecord;
  pending: PendingResult;
}

export interface OpBase {
  env: PlanEnv;
  stack: StackRecord;
  kind: OperationKind;
  token?: string;
  opId: string;
  /** The stack's resources when the operation starts. */
  resources: Record<string, ResourceRecord>;
}

export function deleteItems(
  env: PlanEnv,
  opId: string,
  resources: Array<{ logicalId: string; type: string; physicalId?: string; quick?: boolean }>,
  deps: Record<string, string[]>,
  retain: Set<string> = new Set(),
): WaveItem[] {
  const rev = reverseDeps(
    resources.map((r) => r.logicalId),
    deps,
  );
  return resources.map((r) => {
    const item: WaveItem = {
      logicalId: r.logicalId,
      type: r.type,
      after: rev[r.logicalId] ?? [],
      duration:
        r.quick || retain.has(r.logicalId)
          ? CLEANUP_MS
          : durationMs(env.world, r.type, `${opId}/${r.logicalId}/delete`),
      inProgress: 'DELETE_IN_PROGRESS',
      complete: retain.has(r.logicalId) ? 'DELETE_SKIPPED' : 'DELETE_COMPLETE',
      failed: 'DELETE_FAILED',
      cancelledReason: 'Resource deletion cancelled',
    };
    if (r.physicalId !== undefined) item.physicalId = r.physicalId;
    return item;
  });
}

export function finish(
  base: OpBase,
  events: StoredEvent[],
  pending: Omit<PendingResult, 'at'>,
): ScheduledOperation {
  let endAt = base.env.now;
  for (const e of events) if (e.at > endAt) endAt = e.at;
  const op = packOperation(
    {
      id: base.opId,
      kind: base.kind,
      startedAt: base.env.now,
      endAt,
      ...(base.token !== undefined ? { token: base.token } : {}),
    },
    events,
  );
  const result: PendingResult = { ...pending, at: endAt };
  // Unchanged configuration is not stored twice (10,000 stacks).
  if (result.config === base.stack.config) delete result.config;
  return { op, pending: result };
}

export function livePhysical(
  resources: Record<string, ResourceRecord>,
): Record<string, { type: string; physicalId?: string }> {
  const out: Record<string, { type: string; physicalId?: string }> = {};
  for (const [id, r] of Object.entries(resources)) {
    if (r.status !== 'DELETE_COMPLETE' && r.status !== 'DELETE_SKIPPED')
      out[id] = { type: r.type, physicalId: r.physicalId };
  }
  return out;
}

/** The plan-time checks of a wave of the operation (undefined when no actor is known). */
export function waveCheck(
  base: OpBase,
  template: ParsedTemplate,
  parameters: Record<string, string | string[]>,
  conditions: Record<string, boolean> | undefined,
  physical: Record<string, { type: string; physicalId?: string }>,
  resources: Record<string, CheckedResource>,
): WaveCheck | undefined {
  const { env, stack } = base;
  if (!env.actor || Object.keys(resources).length === 0) return undefined;
  const ctx = evalContext(env, stack, template, parameters, physical);
  ctx.conditions = conditions ?? evaluateConditions(template, ctx);
  return resourceChecks(env.world, {
    actor: env.actor,
    accountId: env.accountId,
    region: env.region,
    stackId: stack.stackId,
    stackName: stack.stackName,
    ctx,
    resources,
    seed: base.opId,
  });
}

export function cdkPath(template: ParsedTemplate, logicalId: string): string | undefined {
  const metadata = template.Resources[logicalId]?.Metadata as Record<string, unknown> | undefined;
  const path = metadata?.['aws:cdk:path'];
  return typeof path === 'string' ? path : undefined;
}

export function checked(
  template: ParsedTemplate,
  logicalId: string,
  entry: Omit<CheckedResource, 'metadataPath' | 'rawProperties'> & {
    rawProperties?: Record<string, unknown>;
  },
): CheckedResource {
  const out: CheckedResource = {
    ...entry,
    rawProperties:
      entry.rawProperties ?? ((template.Resources[logicalId]?.Properties ?? {}) as Record<string, unknown>),
  };
  const path = cdkPath(template, logicalId);
  if (path) out.metadataPath = path;
  return out;
}

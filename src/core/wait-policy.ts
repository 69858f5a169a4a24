import { parse as parseYaml } from 'yaml';

/**
 * How long "Wait for stack" waits before the next "Check stack".
 *
 * Why this shape. Every check is a state transition (billed) and a CloudFormation call
 * (throttled at scale), and every second waited past the real finish holds a concurrency slot,
 * which is latency for the whole rollout. Fixed 10-30 s polling (CfCT, ADF) wastes checks on
 * slow stacks and latency on fast ones. Instead:
 *
 * 1. First look. For a create whose template we could read, a little past halfway through
 *    the expected create time (the prior, at the end of this file): by then the first dependency waves are
 *    done, so the events say how this stack is doing, and a template that fails in its first
 *    resources is still noticed well before the stack would have finished. Otherwise (updates,
 *    no template) early, at FIRST_WAIT_SECONDS.
 * 2. Then aim just past the expected finish.
 *    - Creates replay the template's dependency graph with what the events show
 *      (`projectCreateFinishSeconds`): finished resources ended when they ended; a running one
 *      takes its type's time (as measured on finished resources of the same type in this
 *      operation, else TYPICAL_CREATE_SECONDS), or half its running time again once past that;
 *      a resource not started yet starts when the last one it waits for ends. The events alone
 *      cannot show dependency waves that have not started; the graph can. So a 1-3 minute create
 *      usually settles in two checks (10 state transitions, 4 CloudFormation calls with Deploy
 *      stack): the first look and one just after the projected finish.
 *    - Otherwise (updates, or no template) the events predict: a resource that has run r
 *      seconds is expected to finish like the finished resources of this operation that took
 *      longer than r (the median of those, minus r); if none took longer, like
 *      DEFAULT_RESOURCE_SECONDS. Small updates settle in one check, flat stacks in two or
 *      three; each dependency wave not visible yet costs about one more.
 *    The wait is the time to the predicted finish plus a margin (a few seconds and a share of
 *    the time left, since what is left is what is uncertain), because CloudFormation marks the
 *    stack complete a few seconds after its last resource and resources vary.
 * 3. Back off for slow stacks. A resource already running longer than every finished one (and
 *    than the default) is expected to run a good part as long again (the longer something has
 *    taken, the longer it tends to keep taking), and no wait is shorter than a fifth of the time
 *    already spent. So checks grow geometrically and a 30-minute stack costs ~20 checks, not
 *    the 180 of 10 s polling.
 * 4. Bounds: at least MIN_WAIT_SECONDS (CloudFormation does not move faster than that), at
 *    most MAX_WAIT_SECONDS (so an operator watching sees progress, a failure is noticed within
 *    3 minutes, and the timeout is enforced promptly), and never past the per-target timeout
 *    by more than a second.
 *
 * Pure: the check handler turns events into `ResourceProgress` and `ObservedResource`s; tests
 * drive this table-wise, and `npm run bench` measures it on thousands of simulated stacks.
 */

export const MIN_WAIT_SECONDS = 5;
export const MAX_WAIT_SECONDS = 180;
export const FIRST_WAIT_SECONDS = 20;
/** Expected duration of a running resource until finished ones say otherwise (baseline resources take 5-90 s). */
export const DEFAULT_RESOURCE_SECONDS = 60;
/** The smallest share of the elapsed time we wait (the back-off floor). */
export const BACKOFF_SHARE = 0.2;
/** When a resource outlives every finished one (and the default), the share of its running time we expect it still to need. */
export const SLOW_RESOURCE_SHARE = 0.75;
/** The first look at a create comes at this share of its expected time (and not before FIRST_WAIT_SECONDS). */
export const FIRST_LOOK_SHARE = 0.55;
/** A create is checked this many seconds past its projected (or expected) finish, plus CREATE_MARGIN_SHARE of the time left. */
export const CREATE_MARGIN_SECONDS = 5;
export const CREATE_MARGIN_SHARE = 0.25;
/** A resource running past its type's time is expected to need this share of its running time again. */
export const OVERRUN_SHARE = 0.5;

/** The knobs of a create's checks, for `npm run bench:replay` to compare; production uses the defaults. */
export interface CreateTuning {
  readonly firstLookShare: number;
  readonly marginSeconds: number;
  readonly marginShare: number;
}
export const DEFAULT_CREATE_TUNING: CreateTuning = {
  firstLookShare: FIRST_LOOK_SHARE,
  marginSeconds: CREATE_MARGIN_SECONDS,
  marginShare: CREATE_MARGIN_SHARE,
};

/** What the events say about this operation's resources. */
export interface ResourceProgress {
  /** Seconds each finished resource took (first IN_PROGRESS to COMPLETE). */
  readonly doneSeconds: readonly number[];
  /** Seconds each still-running resource has been running. */
  readonly runningSeconds: readonly number[];
  /** Resources the operation will touch, when known (e.g. from the template). */
  readonly total?: number;
}

export interface WaitContext {
  /** Seconds since the operation started. */
  readonly elapsedSeconds: number;
  /** Checks already made for this operation (0 right after Deploy stack). */
  readonly checks: number;
  /** From the latest check; absent before the first. */
  readonly progress?: ResourceProgress;
  /** Seconds left before the per-target timeout. */
  readonly remainingBudgetSeconds?: number;
  /** The operation's expected duration from the template (creates), if known. */
  readonly expectedSeconds?: number;
  /** Seconds from the operation start to its projected finish (creates: `projectCreateFinishSeconds`). */
  readonly projectedFinishSeconds?: number;
}

export interface WaitDecision {
  /** Whole seconds for the Wait state's SecondsPath. */
  readonly seconds: number;
  /** Predicted seconds from the operation start to its finish. */
  readonly expectedFinishSeconds: number;
  /** One phrase on why, for the progress record. */
  readonly basis: string;
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/**
 * Seconds still needed by a resource that has run `running` seconds: the median of the finished
 * resources that took longer (its residual life), the default before any finished, and half its
 * running time again once it has outlived them all.
 */
export function expectedRemainingSeconds(running: number, doneSeconds: readonly number[]): number {
  const longer = median(doneSeconds.filter((d) => d > running));
  if (longer !== undefined) return longer - running;
  if (running < DEFAULT_RESOURCE_SECONDS) return DEFAULT_RESOURCE_SECONDS - running;
  return Math.max(MIN_WAIT_SECONDS, running * SLOW_RESOURCE_SHARE);
}

/** The next wait, following the policy described at the top of this file. */
export function nextWaitSeconds(
  context: WaitContext,
  tuning: CreateTuning = DEFAULT_CREATE_TUNING,
): WaitDecision {
  const elapsed = Math.max(0, context.elapsedSeconds);
  let remaining: number;
  let basis: string;

  const priorRemaining =
    context.expectedSeconds === undefined ? undefined : context.expectedSeconds - elapsed;
  if (context.checks === 0 || context.progress === undefined) {
    remaining =
      context.expectedSeconds === undefined
        ? FIRST_WAIT_SECONDS
        : Math.max(FIRST_WAIT_SECONDS, tuning.firstLookShare * context.expectedSeconds - elapsed);
    basis =
      context.expectedSeconds === undefined
        ? 'first look'
        : 'first look, past halfway through the expected create';
  } else if (context.projectedFinishSeconds !== undefined) {
    // The template's graph replayed with the events: finished waves, running resources, waves to come.
    remaining = Math.max(0, context.projectedFinishSeconds - elapsed);
    remaining += tuning.marginSeconds + tuning.marginShare * remaining;
    const { doneSeconds, runningSeconds } = context.progress;
    basis = `${doneSeconds.length} done, ${runningSeconds.length} running, projected from the template's dependencies`;
  } else if (priorRemaining !== undefined && priorRemaining > 0) {
    // The template says the stack is not done yet; the events may not show later dependency waves.
    const { doneSeconds, runningSeconds } = context.progress;
    const eventRemaining = Math.max(
      0,
      ...runningSeconds.map((r) => expectedRemainingSeconds(r, doneSeconds)),
    );
    remaining = Math.max(priorRemaining, eventRemaining);
    remaining += tuning.marginSeconds + tuning.marginShare * remaining;
    basis = `${doneSeconds.length} done, ${runningSeconds.length} running, template expects ${Math.round(context.expectedSeconds ?? 0)} s`;
  } else {
    const { doneSeconds, runningSeconds, total } = context.progress;
    const typical = median(doneSeconds) ?? DEFAULT_RESOURCE_SECONDS;
    const running =
      runningSeconds.length > 0
        ? Math.max(...runningSeconds.map((r) => expectedRemainingSeconds(r, doneSeconds)))
        : 0;
    const started = doneSeconds.length + runningSeconds.length;
    const pendingWave = total !== undefined && total > started ? typical : 0;
    if (runningSeconds.length === 0 && pendingWave === 0) {
      // Nothing running: CloudFormation is between waves or finishing the stack itself.
      remaining = MIN_WAIT_SECONDS;
      basis = `${doneSeconds.length} resources done, none running`;
    } else {
      remaining = running + pendingWave;
      basis = `${doneSeconds.length} done, ${runningSeconds.length} running, typical resource ${Math.round(typical)} s`;
    }
    // Margin: the stack completes a few seconds after its last resource.
    remaining += 3 + 0.1 * remaining;
  }

  const floor = BACKOFF_SHARE * elapsed;
  let seconds = clamp(Math.max(remaining, floor), MIN_WAIT_SECONDS, MAX_WAIT_SECONDS);
  if (context.remainingBudgetSeconds !== undefined) {
    seconds = Math.min(seconds, Math.max(1, context.remainingBudgetSeconds + 1));
  }
  seconds = Math.ceil(seconds);
  return { seconds, expectedFinishSeconds: Math.round(elapsed + remaining), basis };
}

/** When one resource of the operation started and ended, in seconds since the operation started (from its events). */
export interface ObservedResource {
  readonly startSeconds?: number;
  readonly endSeconds?: number;
}

/**
 * Seconds from a create's start to its projected finish: the template's dependency graph
 * replayed at `nowSeconds` with what the events show (see the top of this file). A resource the
 * events do not show (an older page) counts as done once something that waits for it started.
 */
export function projectCreateFinishSeconds(
  resources: Readonly<Record<string, TemplateResource>>,
  observed: ReadonlyMap<string, ObservedResource>,
  nowSeconds: number,
): number {
  const byType = new Map<string, { sum: number; count: number }>();
  // Resources something started after: done by then, and so is everything they wait for.
  const startedDependents = new Map<string, number>();
  const markDone = (ids: readonly string[], by: number): void => {
    for (const id of ids) {
      const known = startedDependents.get(id);
      if (known !== undefined && known <= by) continue;
      startedDependents.set(id, by);
      markDone(resources[id]?.dependsOn ?? [], by);
    }
  };
  for (const [id, seen] of observed) {
    const resource = resources[id];
    if (!resource) continue;
    if (seen.startSeconds !== undefined && seen.endSeconds !== undefined) {
      const entry = byType.get(resource.type) ?? { sum: 0, count: 0 };
      entry.sum += seen.endSeconds - seen.startSeconds;
      entry.count += 1;
      byType.set(resource.type, entry);
    }
    const started = seen.startSeconds ?? seen.endSeconds;
    if (started !== undefined) markDone(resource.dependsOn, started);
  }
  const typical = (type: string): number => {
    const measured = byType.get(type);
    if (measured) return measured.sum / measured.count;
    return TYPICAL_CREATE_SECONDS[type] ?? TYPICAL_CREATE_SECONDS_DEFAULT;
  };
  const finish = new Map<string, number>();
  const finishOf = (id: string): number => {
    const known = finish.get(id);
    if (known !== undefined) return known;
    finish.set(id, nowSeconds); // a cycle (CloudFormation would refuse it) ends here
    const resource = resources[id];
    const seen = observed.get(id);
    let end: number;
    if (!resource) end = nowSeconds;
    else if (seen?.endSeconds !== undefined) end = seen.endSeconds;
    else if (seen?.startSeconds !== undefined) {
      const running = nowSeconds - seen.startSeconds;
      const expected = typical(resource.type);
      end =
        nowSeconds +
        (running < expected ? expected - running : Math.max(MIN_WAIT_SECONDS, OVERRUN_SHARE * running));
    } else if (startedDependents.has(id)) end = startedDependents.get(id) ?? nowSeconds;
    else end = Math.max(nowSeconds, ...resource.dependsOn.map(finishOf)) + typical(resource.type);
    finish.set(id, end);
    return end;
  };
  let last = nowSeconds;
  for (const id of Object.keys(resources)) last = Math.max(last, finishOf(id));
  return last + 1;
}

/**
 * Wait while someone else's operation holds the stack (or our delete / continue-rollback runs).
 * Nothing predicts a foreign operation, so wait 15 s, then half of the time already waited, up to a minute.
 */
export function waitForOtherOperationSeconds(waitedSeconds: number, remainingBudgetSeconds?: number): number {
  let seconds = clamp(Math.max(15, waitedSeconds * 0.5), 15, 60);
  if (remainingBudgetSeconds !== undefined)
    seconds = Math.min(seconds, Math.max(1, remainingBudgetSeconds + 1));
  return Math.ceil(seconds);
}

/*
 * The prior: how long a create should take, read from the template before any event exists.
 * A create runs resources in dependency order, so it lasts about as long as its longest chain
 * of dependent resources (the critical path), each taking the typical time of its type. With it
 * the second check can aim at the finish of the whole stack, including dependency waves the
 * events cannot show yet, so a 1-3 minute create settles in two checks. Updates touch only
 * the resources that changed, so they use the events alone.
 */

/** Typical seconds CloudFormation takes to create a resource, by type (from AWS experience). */
export const TYPICAL_CREATE_SECONDS: Readonly<Record<string, number>> = {
  'AWS::IAM::Role': 25,
  'AWS::IAM::ManagedPolicy': 15,
  'AWS::IAM::Policy': 15,
  'AWS::IAM::InstanceProfile': 120,
  'AWS::KMS::Key': 90,
  'AWS::KMS::Alias': 5,
  'AWS::S3::Bucket': 30,
  'AWS::S3::BucketPolicy': 5,
  'AWS::SNS::Topic': 12,
  'AWS::SNS::TopicPolicy': 8,
  'AWS::SNS::Subscription': 8,
  'AWS::Events::Rule': 30,
  'AWS::Config::ConfigurationRecorder': 30,
  'AWS::Config::DeliveryChannel': 15,
  'AWS::Config::ConfigRule': 20,
  'AWS::CloudTrail::Trail': 40,
  'AWS::Logs::LogGroup': 5,
  'AWS::GuardDuty::Detector': 15,
  'AWS::SecurityHub::Hub': 20,
  'AWS::AccessAnalyzer::Analyzer': 15,
  'AWS::Lambda::Function': 30,
  'AWS::CloudFront::Distribution': 600,
};
/** For types not in the table. */
export const TYPICAL_CREATE_SECONDS_DEFAULT = 25;

/** A template resource as the prior sees it. */
export interface TemplateResource {
  readonly type: string;
  /** Logical ids it waits for (DependsOn, Ref, GetAtt, Sub). */
  readonly dependsOn: readonly string[];
}

/** CloudFormation's own time around the resources (starting the operation, marking the stack complete). */
export const STACK_OVERHEAD_SECONDS = 5;

export interface TemplatePrior {
  readonly resourceCount: number;
  /** Seconds the create should take: the slowest chain of dependent resources. */
  readonly expectedSeconds: number;
}

/** Critical path of the resources, each taking its type's typical seconds. */
export function templatePrior(resources: Readonly<Record<string, TemplateResource>>): TemplatePrior {
  const finish = new Map<string, number>();
  const visiting = new Set<string>();
  const finishOf = (id: string): number => {
    const known = finish.get(id);
    if (known !== undefined) return known;
    const resource = resources[id];
    if (!resource || visiting.has(id)) return 0; // not a resource, or a cycle CloudFormation would refuse
    visiting.add(id);
    const start = Math.max(0, ...resource.dependsOn.map(finishOf));
    visiting.delete(id);
    const end = start + (TYPICAL_CREATE_SECONDS[resource.type] ?? TYPICAL_CREATE_SECONDS_DEFAULT);
    finish.set(id, end);
    return end;
  };
  const ids = Object.keys(resources);
  return {
    resourceCount: ids.length,
    expectedSeconds: Math.max(0, ...ids.map(finishOf)) + STACK_OVERHEAD_SECONDS,
  };
}

const INTRINSICS = [
  'Ref',
  'Condition',
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'Length',
  'ToJsonString',
] as const;

/** The short-form tags (`!Ref`, `!GetAtt`, ...) as their long forms, for scalars, lists and maps. */
const CFN_TAGS = INTRINSICS.flatMap((name) => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  const json = (value: { toJSON(): unknown }) => ({ [key]: value.toJSON() });
  return [
    { tag: `!${name}`, resolve: (value: unknown) => ({ [key]: value }) },
    { tag: `!${name}`, collection: 'seq' as const, resolve: json },
    { tag: `!${name}`, collection: 'map' as const, resolve: json },
  ];
});

type Json = unknown;

interface TemplateContext {
  readonly region: string;
  readonly accountId: string;
  readonly parameters: Readonly<Record<string, string>>;
}

function asRecord(value: Json): Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, Json>)
    : {};
}

/** Condition evaluation; `undefined` = cannot tell here (the resource is then counted). */
function conditionEvaluator(template: Record<string, Json>, context: TemplateContext) {
  const parameters = asRecord(template.Parameters);
  const conditions = asRecord(template.Conditions);
  const memo = new Map<string, boolean | undefined>();

  const value = (expr: Json): string | undefined => {
    if (typeof expr === 'string' || typeof expr === 'number' || typeof expr === 'boolean')
      return String(expr);
    const ref = asRecord(expr).Ref;
    if (typeof ref !== 'string') return undefined;
    if (ref === 'AWS::Region') return context.region;
    if (ref === 'AWS::AccountId') return context.accountId;
    if (ref in context.parameters) return context.parameters[ref];
    const fallback = asRecord(parameters[ref]).Default;
    return fallback === undefined ? undefined : String(fallback);
  };

  const evaluate = (expr: Json): boolean | undefined => {
    const e = asRecord(expr);
    const args = (key: string) => (Array.isArray(e[key]) ? (e[key] as Json[]) : []);
    if (typeof e.Condition === 'string') return named(e.Condition);
    if ('Fn::Equals' in e) {
      const [a, b] = args('Fn::Equals').map(value);
      return a === undefined || b === undefined ? undefined : a === b;
    }
    if ('Fn::Not' in e) {
      const inner = evaluate(args('Fn::Not')[0]);
      return inner === undefined ? undefined : !inner;
    }
    if ('Fn::And' in e) {
      const all = args('Fn::And').map(evaluate);
      return all.includes(false) ? false : all.includes(undefined) ? undefined : true;
    }
    if ('Fn::Or' in e) {
      const any = args('Fn::Or').map(evaluate);
      return any.includes(true) ? true : any.includes(undefined) ? undefined : false;
    }
    return undefined;
  };

  const named = (name: string): boolean | undefined => {
    if (memo.has(name)) return memo.get(name);
    memo.set(name, undefined); // a cycle stays unknown
    const result = evaluate(conditions[name]);
    memo.set(name, result);
    return result;
  };
  return named;
}

/** Logical ids an expression refers to (Ref, GetAtt, Sub) among `ids`. */
function referencedIds(expr: Json, ids: ReadonlySet<string>, found: Set<string>): void {
  if (Array.isArray(expr)) {
    for (const item of expr) referencedIds(item, ids, found);
    return;
  }
  if (typeof expr !== 'object' || expr === null) return;
  for (const [key, inner] of Object.entries(expr as Record<string, Json>)) {
    if (key === 'Ref' && typeof inner === 'string' && ids.has(inner)) found.add(inner);
    else if (key === 'Fn::GetAtt') {
      const target = Array.isArray(inner)
        ? inner[0]
        : typeof inner === 'string'
          ? inner.split('.')[0]
          : undefined;
      if (typeof target === 'string' && ids.has(target)) found.add(target);
    } else if (key === 'Fn::Sub') {
      const text = Array.isArray(inner) ? inner[0] : inner;
      if (typeof text === 'string') {
        for (const match of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}/g)) {
          if (match[1] && ids.has(match[1])) found.add(match[1]);
        }
      }
      if (Array.isArray(inner)) referencedIds(inner[1], ids, found);
      continue;
    }
    referencedIds(inner, ids, found);
  }
}

/**
 * The resources a create of this template makes in one target (YAML or JSON body), with the
 * ones they wait for. Conditions that depend only on parameters, the region and the account are
 * evaluated; a resource whose condition cannot be told here is counted.
 */
const parsedTemplates = new Map<string, Record<string, unknown>>();
const PARSED_TEMPLATES_KEPT = 8;

/**
 * Parsing the template YAML dominated a large rollout's CPU (every target parsed the same
 * body), so parsed templates are kept by body text; callers never mutate the parsed tree.
 */
function parseTemplateCached(body: string): Record<string, unknown> {
  let parsed = parsedTemplates.get(body);
  if (!parsed) {
    parsed = asRecord(parseYaml(body, { customTags: CFN_TAGS as never, uniqueKeys: false }));
    if (parsedTemplates.size >= PARSED_TEMPLATES_KEPT) {
      const oldest = parsedTemplates.keys().next().value;
      if (oldest !== undefined) parsedTemplates.delete(oldest);
    }
    parsedTemplates.set(body, parsed);
  }
  return parsed;
}

/** The logical ids of the template's Outputs (YAML or JSON body), for checking `fromStack` references. */
export function templateOutputKeys(body: string): string[] {
  return Object.keys(asRecord(parseTemplateCached(body).Outputs));
}

export function readTemplateResources(
  body: string,
  context: TemplateContext,
): Record<string, TemplateResource> {
  const template = parseTemplateCached(body);
  const condition = conditionEvaluator(template, context);
  const all = asRecord(template.Resources);
  const kept = Object.keys(all).filter((id) => {
    const name = asRecord(all[id]).Condition;
    return typeof name !== 'string' || condition(name) !== false;
  });
  const ids = new Set(kept);
  const dependencies = templateDependencies(template);
  const resources: Record<string, TemplateResource> = {};
  for (const id of kept) {
    const type = asRecord(all[id]).Type;
    resources[id] = {
      type: typeof type === 'string' ? type : 'unknown',
      dependsOn: (dependencies.get(id) ?? []).filter((dependency) => ids.has(dependency)),
    };
  }
  return resources;
}

/**
 * What each resource of a parsed template waits for (DependsOn, Ref, GetAtt, Sub), among all its
 * resources, whatever the conditions. Walking every resource's properties was the costly part
 * of reading a template and depends on the template alone, so it is done once per template;
 * each target then keeps the resources its conditions create.
 */
const dependenciesByTemplate = new WeakMap<Record<string, unknown>, Map<string, string[]>>();

function templateDependencies(template: Record<string, unknown>): Map<string, string[]> {
  const known = dependenciesByTemplate.get(template);
  if (known) return known;
  const all = asRecord(template.Resources);
  const ids = new Set(Object.keys(all));
  const dependencies = new Map<string, string[]>();
  for (const id of ids) {
    const resource = asRecord(all[id]);
    const found = new Set<string>();
    const dependsOn = resource.DependsOn;
    for (const dep of Array.isArray(dependsOn) ? dependsOn : [dependsOn]) {
      if (typeof dep === 'string' && ids.has(dep)) found.add(dep);
    }
    referencedIds(resource.Properties, ids, found);
    found.delete(id);
    dependencies.set(id, [...found]);
  }
  dependenciesByTemplate.set(template, dependencies);
  return dependencies;
}

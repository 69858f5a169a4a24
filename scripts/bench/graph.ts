/**
 * The graph benchmark's pure part (issue 17): a 5-stack baseline in two independent chains
 * (logging -> config -> detection, network -> guard), which stacks are slow where, the orders
 * it is run in, and the makespan lower bound. The runner (graph-run.ts) deploys it on the
 * sandbox through the real state machines.
 *
 * The orders, each run by the same engine with the same stacks and the same concurrency
 * (stacks in flight):
 * - `stackfleet`: one rollout in the stacks form; each target walks its own graph.
 * - `cfct`: Customizations for Control Tower's order: one stack set after another, each across
 *   every target before the next starts (a rollout per stack, in graph order).
 * - `org-formation`: task by task, each task across every target before the next, tasks that do
 *   not depend on each other run together (a rollout per dependency level).
 */

/** One stack of the benchmark graph. */
export interface BenchGraphStack {
  name: string;
  /** The stack it reads its `Upstream` parameter from (and so depends on), if any. */
  after?: string;
}

/** Two independent chains, five stacks (the order is graph order). */
export const BENCH_GRAPH: readonly BenchGraphStack[] = [
  { name: 'logging' },
  { name: 'network' },
  { name: 'config', after: 'logging' },
  { name: 'guard', after: 'network' },
  { name: 'detection', after: 'config' },
];

export const BENCH_ORDERS = ['stackfleet', 'cfct', 'org-formation'] as const;
export type BenchOrder = (typeof BENCH_ORDERS)[number];

/**
 * Resource durations of the graph scenario (seconds, drawn per resource). Every stack has a
 * topic (30-240 s); a slow one also has a log group that takes 420-900 s, the straggler a
 * barrier across targets waits for.
 */
export const GRAPH_DURATIONS: Record<string, [number, number]> = {
  'AWS::SNS::Topic': [30, 240],
  'AWS::Logs::LogGroup': [420, 900],
};

/** The one template every benchmark stack deploys (each under its own stack name). */
export const GRAPH_TEMPLATE = `# The graph benchmark's stack: a topic, and with Slow=true a log group that takes long.
Parameters:
  Upstream:
    Type: String
    Default: none
  Slow:
    Type: String
    Default: 'false'
    AllowedValues: ['true', 'false']
Conditions:
  IsSlow: !Equals [!Ref Slow, 'true']
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Archive:
    Type: AWS::Logs::LogGroup
    Condition: IsSlow
    Properties:
      RetentionInDays: 30
Outputs:
  TopicArn:
    Value: !Ref Topic
  Upstream:
    Value: !Ref Upstream
`;

/** Deterministic value in [0, 1) for a text (FNV-1a, mixed), so the slow choice does not depend on the engine. */
export function unitHash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  h ^= h >>> 13;
  h = Math.imul(h, 0x5bd1e995);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

/** The accounts where a stack is slow: `share` of them, chosen per stack, the same on every run. */
export function slowAccountsFor(
  stack: string,
  accounts: readonly string[],
  share: number,
  seed: number,
): string[] {
  if (!(share >= 0 && share <= 1)) throw new Error(`slowShare must be between 0 and 1. Received: ${share}`);
  return accounts.filter((a) => unitHash(`${seed}:${stack}:${a}`) < share);
}

/** The rollouts an order runs, one after another, each a list of stack names. */
export function stagesOf(order: BenchOrder, graph: readonly BenchGraphStack[] = BENCH_GRAPH): string[][] {
  if (order === 'stackfleet') return [graph.map((s) => s.name)];
  if (order === 'cfct') return graph.map((s) => [s.name]);
  const level = new Map<string, number>();
  for (const s of graph) {
    const up = s.after === undefined ? -1 : level.get(s.after);
    if (up === undefined) throw new Error(`stack ${s.name} comes before ${s.after}, which it depends on`);
    level.set(s.name, up + 1);
  }
  const levels: string[][] = [];
  for (const s of graph) {
    const i = level.get(s.name) as number;
    levels[i] = [...(levels[i] ?? []), s.name];
  }
  return levels;
}

/**
 * The makespan no schedule beats with `concurrency` stacks in flight (issue 17): the longest
 * per-target critical path, or all stack time spread perfectly over the slots, whichever is larger.
 * `seconds` holds each target's measured seconds per stack.
 */
export function graphLowerBound(
  seconds: ReadonlyMap<string, ReadonlyMap<string, number>>,
  concurrency: number,
  graph: readonly BenchGraphStack[] = BENCH_GRAPH,
): { criticalPathSeconds: number; spreadSeconds: number; boundSeconds: number } {
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`concurrency must be a whole number of at least 1. Received: ${concurrency}`);
  let critical = 0;
  let total = 0;
  for (const stacks of seconds.values()) {
    const finish = new Map<string, number>();
    for (const s of graph) {
      const own = stacks.get(s.name) ?? 0;
      total += own;
      const start = s.after === undefined ? 0 : (finish.get(s.after) ?? 0);
      finish.set(s.name, start + own);
      critical = Math.max(critical, start + own);
    }
  }
  const spread = total / concurrency;
  return { criticalPathSeconds: critical, spreadSeconds: spread, boundSeconds: Math.max(critical, spread) };
}

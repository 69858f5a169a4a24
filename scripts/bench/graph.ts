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
import { unitHash } from './scenario';

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
  # The bench's later rounds (--rounds) change it, so every stack updates both its resources.
  Revision:
    Type: String
    Default: '1'
  Slow:
    Type: String
    Default: 'false'
    AllowedValues: ['true', 'false']
Conditions:
  IsSlow: !Equals [!Ref Slow, 'true']
  IsFirstRevision: !Equals [!Ref Revision, '1']
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: !Sub "bench revision \${Revision}"
  Archive:
    Type: AWS::Logs::LogGroup
    Condition: IsSlow
    Properties:
      RetentionInDays: !If [IsFirstRevision, 30, 60]
Outputs:
  TopicArn:
    Value: !Ref Topic
  Upstream:
    Value: !Ref Upstream
`;

/**
 * The graph benchmark's forwarder (\`--stack-events\`), deployed to every target before the timed
 * rollouts, as an organisation deploys it once with its bootstrap: the Stack Status Change
 * events of stackfleet's stacks go to the admin bus (the same rule and role as
 * templates/baseline.yaml's StackStatusForwardingRule and EventForwarderRole).
 */
export const GRAPH_FORWARDER_TEMPLATE = `# Forwards stackfleet's Stack Status Change events to the admin account's bus.
Parameters:
  AdminAccountId:
    Type: String
  AdminRegion:
    Type: String
Resources:
  EventForwarderRole:
    Type: AWS::IAM::Role
    Properties:
      # The execution role creates roles only under this prefix and boundary, and passes only
      # EventForwarder roles to EventBridge (templates/execution-role.yaml).
      RoleName: !Sub "StackFleet-EventForwarder-bench-\${AWS::Region}"
      PermissionsBoundary: !Sub "arn:\${AWS::Partition}:iam::\${AWS::AccountId}:policy/StackFleetBaselineBoundary"
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: events.amazonaws.com }
            Action: "sts:AssumeRole"
            Condition:
              StringEquals: { "aws:SourceAccount": !Ref "AWS::AccountId" }
      Policies:
        - PolicyName: PutEventsOnAdminBus
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: "events:PutEvents"
                Resource: !Sub "arn:\${AWS::Partition}:events:\${AdminRegion}:\${AdminAccountId}:event-bus/default"
  StackStatusForwardingRule:
    Type: AWS::Events::Rule
    Properties:
      State: ENABLED
      EventPattern:
        source: [aws.cloudformation]
        detail-type: [CloudFormation Stack Status Change]
        detail:
          stack-id:
            - prefix: !Sub "arn:\${AWS::Partition}:cloudformation:\${AWS::Region}:\${AWS::AccountId}:stack/stackfleet-"
          status-details:
            status:
              - anything-but: { suffix: _IN_PROGRESS }
              - UPDATE_COMPLETE_CLEANUP_IN_PROGRESS
      Targets:
        - Id: AdminEventBus
          Arn: !Sub "arn:\${AWS::Partition}:events:\${AdminRegion}:\${AdminAccountId}:event-bus/default"
          RoleArn: !GetAtt EventForwarderRole.Arn
`;

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

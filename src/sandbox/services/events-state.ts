/**
 * EventBridge state of the sandbox (no API yet): rules and event bus resource policies per
 * account and region. CloudFormation stacks write them (`AWS::Events::Rule`,
 * `AWS::Events::EventBusPolicy`); an EventBridge API or the local engine's event delivery can
 * read them (a PutEvents across accounts is allowed by the target bus's policy, mode 'standard').
 */
import type { SandboxWorld } from '../types';

export const EVENTS_SECTION = 'events';

export interface EventsManagedBy {
  stackId: string;
  logicalId: string;
}

export interface EventRuleTarget {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
}

export interface EventRule {
  name: string;
  arn: string;
  accountId: string;
  region: string;
  eventBusName: string;
  /** JSON text of the pattern, or undefined for scheduled rules. */
  eventPattern?: string;
  scheduleExpression?: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  targets: EventRuleTarget[];
  managedBy?: EventsManagedBy;
}

export interface EventBusPolicyStatement {
  /** StatementId (`AWS::Events::EventBusPolicy`), the statement's Sid in the bus policy. */
  sid: string;
  /** The statement as JSON text. */
  statement: string;
  managedBy?: EventsManagedBy;
}

export interface EventsSection {
  version: 1;
  /** By rule ARN. */
  rules: Record<string, EventRule>;
  /** By event bus ARN: its policy's statements by Sid. */
  busPolicies: Record<string, Record<string, EventBusPolicyStatement>>;
}

export function eventsSection(world: Pick<SandboxWorld, 'section'>): EventsSection {
  return world.section<EventsSection>(EVENTS_SECTION, () => ({ version: 1, rules: {}, busPolicies: {} }));
}

export function eventBusArn(accountId: string, region: string, busName = 'default'): string {
  return busName.startsWith('arn:') ? busName : `arn:aws:events:${region}:${accountId}:event-bus/${busName}`;
}

/** `arn:aws:events:R:A:rule/name` (default bus) or `rule/bus/name` (a custom bus), as EventBridge names rules. */
export function ruleArn(accountId: string, region: string, name: string, busName = 'default'): string {
  const bus = busName.startsWith('arn:') ? (busName.split('/').pop() ?? 'default') : busName;
  return bus === 'default'
    ? `arn:aws:events:${region}:${accountId}:rule/${name}`
    : `arn:aws:events:${region}:${accountId}:rule/${bus}/${name}`;
}

export function putRule(world: Pick<SandboxWorld, 'section'>, rule: EventRule): void {
  const rules = eventsSection(world).rules;
  if (!(rule.arn in rules)) rulesByBus.delete(rules);
  rules[rule.arn] = rule;
}

export function deleteRule(world: Pick<SandboxWorld, 'section'>, arn: string): boolean {
  const rules = eventsSection(world).rules;
  if (!rules[arn]) return false;
  delete rules[arn];
  rulesByBus.delete(rules);
  return true;
}

/**
 * The ARNs of the rules of each bus (`account/region/bus name`), per rules record: putting an
 * event on a bus looked at every rule of the world, which at 10,000 targets (a forwarding rule per
 * stack, several status events per stack) was quadratic. Only the set of ARNs is kept: a rule is
 * read from the record when an event comes, so a rule replaced under the same ARN is seen as it
 * is; adding or removing an ARN drops the index (putRule, deleteRule), and a record loaded anew
 * (a reopened world) is another key.
 */
const rulesByBus = new WeakMap<Record<string, EventRule>, Map<string, string[]>>();

/** `account/region/bus name` of a rule, as putEventOnBus looks for it. */
export function ruleBusKey(rule: Pick<EventRule, 'accountId' | 'region' | 'eventBusName'>): string {
  return `${rule.accountId}/${rule.region}/${rule.eventBusName.split('/').pop() ?? 'default'}`;
}

/** The rules of one bus, in the order they were put (as iterating the record gives them). */
export function rulesOfBus(
  world: Pick<SandboxWorld, 'section'>,
  accountId: string,
  region: string,
  busName: string,
): EventRule[] {
  const rules = eventsSection(world).rules;
  let index = rulesByBus.get(rules);
  if (!index) {
    index = new Map();
    for (const rule of Object.values(rules)) {
      const key = ruleBusKey(rule);
      const list = index.get(key);
      if (list) list.push(rule.arn);
      else index.set(key, [rule.arn]);
    }
    rulesByBus.set(rules, index);
  }
  const out: EventRule[] = [];
  for (const arn of index.get(`${accountId}/${region}/${busName}`) ?? []) {
    const rule = rules[arn];
    if (rule) out.push(rule);
  }
  return out;
}

export function putBusPolicyStatement(
  world: Pick<SandboxWorld, 'section'>,
  busArn: string,
  statement: EventBusPolicyStatement,
): void {
  const section = eventsSection(world);
  const statements = section.busPolicies[busArn] ?? {};
  statements[statement.sid] = statement;
  section.busPolicies[busArn] = statements;
}

export function deleteBusPolicyStatement(
  world: Pick<SandboxWorld, 'section'>,
  busArn: string,
  sid: string,
): void {
  const section = eventsSection(world);
  const statements = section.busPolicies[busArn];
  if (!statements) return;
  delete statements[sid];
  if (Object.keys(statements).length === 0) delete section.busPolicies[busArn];
}

/** The bus's resource policy as JSON text (what DescribeEventBus returns as Policy), if it has statements. */
export function busPolicyOf(world: Pick<SandboxWorld, 'section'>, busArn: string): string | undefined {
  const statements = eventsSection(world).busPolicies[busArn];
  if (!statements || Object.keys(statements).length === 0) return undefined;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: Object.values(statements).map((s) => ({ ...(JSON.parse(s.statement) as object), Sid: s.sid })),
  });
}

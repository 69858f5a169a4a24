/**
 * The EventBridge API of the sandbox (awsJson 1.1, `AWSEvents.*`; EventBridge API Reference) on the
 * state CloudFormation also writes (events-state.ts): PutEvents, rules and targets, the default
 * bus's permissions, TestEventPattern. Delivery to targets is delivery.ts.
 */
import { AwsError, type OperationContext, type ServiceEmulator } from '../../types';
import {
  busPolicyOf,
  deleteBusPolicyStatement,
  deleteRule,
  type EventRule,
  type EventRuleTarget,
  eventBusArn,
  eventsSection,
  putBusPolicyStatement,
  putRule,
  ruleArn,
} from '../events-state';
import { type EventEnvelope, newEventId, putEventOnBus } from './delivery';
import { InvalidEventPatternError, matchesEventPattern, parseEventPattern } from './pattern';

const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const TARGET_ID = /^[.\-_A-Za-z0-9]{1,64}$/;
/** PutEvents takes 1-10 entries; PutTargets 1-10 targets; 5 targets per rule (EventBridge quotas). */
const MAX_ENTRIES = 10;
const MAX_TARGETS_PER_RULE = 5;

function validation(message: string): AwsError {
  return new AwsError('ValidationException', message);
}

function required(params: Record<string, unknown>, field: string): string {
  const value = params[field];
  if (typeof value !== 'string' || value === '')
    throw validation(
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}

function busNameOf(params: Record<string, unknown>): string {
  const bus = params.EventBusName;
  if (bus === undefined || bus === null || bus === '') return 'default';
  if (typeof bus !== 'string') throw validation(`EventBusName must be a string. Received: ${typeof bus}`);
  return bus.startsWith('arn:') ? (bus.split('/').pop() ?? 'default') : bus;
}

function checkBusExists(bus: string): void {
  if (bus !== 'default') throw new AwsError('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
}

function findRule(ctx: OperationContext, params: Record<string, unknown>): EventRule {
  const name = required(params, 'Name');
  const bus = busNameOf(params);
  checkBusExists(bus);
  const rule = eventsSection(ctx.world).rules[ruleArn(ctx.caller.accountId, ctx.region, name, bus)];
  if (!rule)
    throw new AwsError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus}.`);
  return rule;
}

function patternOrThrow(text: unknown): string {
  if (typeof text !== 'string')
    throw new AwsError(
      'InvalidEventPatternException',
      'Event pattern is not valid. Reason: Filter is not an object',
    );
  try {
    parseEventPattern(text);
  } catch (error) {
    if (error instanceof InvalidEventPatternError)
      throw new AwsError('InvalidEventPatternException', error.message);
    throw error;
  }
  return text;
}

function describe(rule: EventRule) {
  return {
    Name: rule.name,
    Arn: rule.arn,
    EventPattern: rule.eventPattern,
    ScheduleExpression: rule.scheduleExpression,
    State: rule.state,
    Description: rule.description,
    EventBusName: rule.eventBusName,
    ManagedBy: rule.managedBy ? 'cloudformation.amazonaws.com' : undefined,
    CreatedBy: rule.accountId,
  };
}

function checkTarget(t: Record<string, unknown>, ruleName: string): EventRuleTarget & { InputPath?: string } {
  const id = t.Id;
  if (typeof id !== 'string' || !TARGET_ID.test(id))
    throw validation(`Target Id must match [.\\-_A-Za-z0-9]{1,64}. Received: ${String(id)}`);
  const arn = t.Arn;
  if (typeof arn !== 'string' || !arn.startsWith('arn:'))
    throw validation(`Parameter Arn of target ${id} is not valid. Received: ${String(arn)}`);
  if (t.InputTransformer !== undefined)
    throw validation('not implemented in the sandbox: EventBridge InputTransformer (use Input or InputPath)');
  if (t.Input !== undefined && t.InputPath !== undefined)
    throw validation(`Only one of Input and InputPath may be given for target ${id}.`);
  const service = arn.split(':')[2];
  // RoleArn is required for Step Functions targets (EventBridge API Reference, PutTargets).
  if (service === 'states' && typeof t.RoleArn !== 'string')
    throw validation(`RoleArn is required for target arn ${arn}.`);
  const target: EventRuleTarget & { InputPath?: string } = { Id: id, Arn: arn };
  if (typeof t.RoleArn === 'string') target.RoleArn = t.RoleArn;
  if (typeof t.Input === 'string') {
    try {
      JSON.parse(t.Input);
    } catch {
      throw validation(`Input of target ${id} on rule ${ruleName} is not valid JSON.`);
    }
    target.Input = t.Input;
  }
  if (typeof t.InputPath === 'string') target.InputPath = t.InputPath;
  return target;
}

function putEvents(params: Record<string, unknown>, ctx: OperationContext) {
  const entries = params.Entries;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES)
    throw validation(
      `Entries must hold 1 to ${MAX_ENTRIES} entries. Received: ${Array.isArray(entries) ? entries.length : typeof entries}`,
    );
  let failed = 0;
  const results = entries.map((raw: Record<string, unknown>) => {
    const fail = (code: string, message: string) => {
      failed += 1;
      return { ErrorCode: code, ErrorMessage: message };
    };
    if (typeof raw.Source !== 'string' || raw.Source === '')
      return fail('InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument.');
    if (typeof raw.DetailType !== 'string' || raw.DetailType === '')
      return fail(
        'InvalidArgument',
        'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      );
    if (typeof raw.Detail !== 'string')
      return fail('InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument.');
    // Sources beginning with "aws." are reserved for AWS services (EventBridge API Reference, PutEventsRequestEntry).
    if (raw.Source.startsWith('aws.'))
      return fail('NotAuthorizedForSourceException', 'Not authorized for the source.');
    let detail: unknown;
    try {
      detail = JSON.parse(raw.Detail);
    } catch {
      return fail('MalformedDetail', 'Detail is malformed.');
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
      return fail('MalformedDetail', 'Detail is malformed.');
    const bus = busNameOf(raw);
    if (bus !== 'default') return fail('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
    const time =
      raw.Time instanceof Date
        ? raw.Time
        : typeof raw.Time === 'number'
          ? new Date(raw.Time * 1000)
          : new Date(ctx.now());
    const event: EventEnvelope = {
      version: '0',
      id: newEventId(ctx.world),
      'detail-type': raw.DetailType,
      source: raw.Source,
      account: ctx.caller.accountId,
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: ctx.region,
      resources: Array.isArray(raw.Resources) ? raw.Resources.map(String) : [],
      detail: detail as Record<string, unknown>,
    };
    putEventOnBus(ctx.world, eventBusArn(ctx.caller.accountId, ctx.region, bus), event);
    return { EventId: event.id };
  });
  return { FailedEntryCount: failed, Entries: results };
}

export function createEventBridgeService(): ServiceEmulator {
  return {
    signingName: 'events',
    protocol: 'json',
    targetPrefix: 'AWSEvents',
    operations: {
      PutEvents: putEvents,
      PutRule(params, ctx) {
        const name = required(params, 'Name');
        if (!RULE_NAME.test(name))
          throw validation(`Rule name must match [.\\-_A-Za-z0-9]{1,64}. Received: ${name}`);
        const bus = busNameOf(params);
        checkBusExists(bus);
        if (params.EventPattern === undefined && params.ScheduleExpression === undefined)
          throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
        if (params.ScheduleExpression !== undefined && bus !== 'default')
          throw validation('ScheduleExpression is supported only on the default event bus.');
        const arn = ruleArn(ctx.caller.accountId, ctx.region, name, bus);
        const existing = eventsSection(ctx.world).rules[arn];
        const state = params.State === undefined ? 'ENABLED' : String(params.State);
        if (state !== 'ENABLED' && state !== 'DISABLED')
          throw validation(`State must be ENABLED or DISABLED. Received: ${state}`);
        const rule: EventRule = {
          name,
          arn,
          accountId: ctx.caller.accountId,
          region: ctx.region,
          eventBusName: bus,
          state,
          targets: existing?.targets ?? [],
        };
        if (params.EventPattern !== undefined) rule.eventPattern = patternOrThrow(params.EventPattern);
        if (typeof params.ScheduleExpression === 'string')
          rule.scheduleExpression = params.ScheduleExpression;
        if (typeof params.Description === 'string') rule.description = params.Description;
        if (existing?.managedBy) rule.managedBy = existing.managedBy;
        putRule(ctx.world, rule);
        return { RuleArn: arn };
      },
      DescribeRule: (params, ctx) => describe(findRule(ctx, params)),
      ListRules(params, ctx) {
        const bus = busNameOf(params);
        checkBusExists(bus);
        const prefix = typeof params.NamePrefix === 'string' ? params.NamePrefix : '';
        const rules = Object.values(eventsSection(ctx.world).rules)
          .filter(
            (r) =>
              r.accountId === ctx.caller.accountId &&
              r.region === ctx.region &&
              r.eventBusName === bus &&
              r.name.startsWith(prefix),
          )
          .sort((a, b) => a.name.localeCompare(b.name));
        return { Rules: rules.map(describe) };
      },
      DeleteRule(params, ctx) {
        const rule = findRule(ctx, params);
        if (rule.targets.length > 0) throw validation("Rule can't be deleted since it has targets.");
        if (rule.managedBy && params.Force !== true)
          throw validation(
            `Rule ${rule.name} is managed by cloudformation.amazonaws.com; use Force to delete it.`,
          );
        deleteRule(ctx.world, rule.arn);
        return {};
      },
      EnableRule(params, ctx) {
        findRule(ctx, params).state = 'ENABLED';
        return {};
      },
      DisableRule(params, ctx) {
        findRule(ctx, params).state = 'DISABLED';
        return {};
      },
      PutTargets(params, ctx) {
        const rule = findRule(ctx, { Name: params.Rule, EventBusName: params.EventBusName });
        const targets = params.Targets;
        if (!Array.isArray(targets) || targets.length === 0 || targets.length > MAX_ENTRIES)
          throw validation(`Targets must hold 1 to ${MAX_ENTRIES} targets.`);
        const checked = targets.map((t: Record<string, unknown>) => checkTarget(t, rule.name));
        const byId = new Map(rule.targets.map((t) => [t.Id, t]));
        for (const t of checked) byId.set(t.Id, t);
        if (byId.size > MAX_TARGETS_PER_RULE)
          throw new AwsError(
            'LimitExceededException',
            `The requested resource exceeds the maximum number allowed (${MAX_TARGETS_PER_RULE} targets per rule).`,
          );
        rule.targets = [...byId.values()];
        return { FailedEntryCount: 0, FailedEntries: [] };
      },
      RemoveTargets(params, ctx) {
        const rule = findRule(ctx, { Name: params.Rule, EventBusName: params.EventBusName });
        const ids = Array.isArray(params.Ids) ? params.Ids.map(String) : [];
        rule.targets = rule.targets.filter((t) => !ids.includes(t.Id));
        return { FailedEntryCount: 0, FailedEntries: [] };
      },
      ListTargetsByRule(params, ctx) {
        const rule = findRule(ctx, { Name: params.Rule, EventBusName: params.EventBusName });
        return { Targets: rule.targets };
      },
      TestEventPattern(params) {
        const pattern = patternOrThrow(params.EventPattern);
        let event: unknown;
        try {
          event = JSON.parse(required(params, 'Event'));
        } catch {
          throw validation('Parameter Event is not valid JSON.');
        }
        return { Result: matchesEventPattern(parseEventPattern(pattern), event as Record<string, unknown>) };
      },
      DescribeEventBus(params, ctx) {
        const bus = busNameOf({ EventBusName: params.Name });
        checkBusExists(bus);
        const arn = eventBusArn(ctx.caller.accountId, ctx.region, bus);
        return { Name: bus, Arn: arn, Policy: busPolicyOf(ctx.world, arn) };
      },
      PutPermission(params, ctx) {
        const bus = busNameOf(params);
        checkBusExists(bus);
        const arn = eventBusArn(ctx.caller.accountId, ctx.region, bus);
        if (typeof params.Policy === 'string') {
          const policy = JSON.parse(params.Policy) as { Statement?: Array<Record<string, unknown>> };
          for (const [i, st] of (policy.Statement ?? []).entries())
            putBusPolicyStatement(ctx.world, arn, {
              sid: String(st.Sid ?? `statement-${i}`),
              statement: JSON.stringify(st),
            });
          return {};
        }
        const sid = required(params, 'StatementId');
        const principal = required(params, 'Principal');
        putBusPolicyStatement(ctx.world, arn, {
          sid,
          statement: JSON.stringify({
            Effect: 'Allow',
            Principal: principal === '*' ? '*' : { AWS: `arn:aws:iam::${principal}:root` },
            Action: typeof params.Action === 'string' ? params.Action : 'events:PutEvents',
            Resource: arn,
          }),
        });
        return {};
      },
      RemovePermission(params, ctx) {
        const bus = busNameOf(params);
        checkBusExists(bus);
        deleteBusPolicyStatement(
          ctx.world,
          eventBusArn(ctx.caller.accountId, ctx.region, bus),
          required(params, 'StatementId'),
        );
        return {};
      },
    },
  };
}

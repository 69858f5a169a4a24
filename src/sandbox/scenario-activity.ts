/**
 * The scenario's EventBridge timing (`events`), its access keys of IAM users (`accessKeys[].userName`)
 * and its scheduled activity (`activity`: "at minute M, principal P stops the trail in account A,
 * region R"), validated with the field and the value received in every message.
 */
import { isAllowListEntry } from '../core/tamper/containment';
import type { Checker, Path } from './scenario-checker';
import type {
  Scenario,
  ScenarioAccessKey,
  ScenarioActivity,
  ScenarioActor,
  ScenarioEvents,
} from './scenario-types';

const ACCOUNT_ID = /^\d{12}$/;
const NAME = /^[\w+=,.@-]{1,64}$/;

/** The calls a scheduled activity may make (the ones the tamper response watches, and their repairs). */
export const ACTIVITY_ACTIONS = [
  'StopLogging',
  'StartLogging',
  'DeleteTrail',
  'UpdateTrail',
  'PutEventSelectors',
  'PutInsightSelectors',
  'StopConfigurationRecorder',
  'DeleteConfigurationRecorder',
  'DeleteDeliveryChannel',
] as const;

const accountOf = (c: Checker, path: Path, value: unknown, accountIds: ReadonlySet<string>): string => {
  const id = c.string(path, typeof value === 'number' ? String(value) : value, ACCOUNT_ID, '12 digits');
  if (!accountIds.has(id)) c.fail(path, 'must be an account of the organization', id);
  return id;
};

export function validateEvents(c: Checker, raw: unknown): ScenarioEvents {
  const e = c.object(['events'], raw, ['deliveryDelayMs', 'cloudTrailDelayMs', 'duplicateRate']);
  const out: ScenarioEvents = {};
  if (e.deliveryDelayMs !== undefined)
    out.deliveryDelayMs = c.number(['events', 'deliveryDelayMs'], e.deliveryDelayMs, 0, 86_400_000);
  if (e.cloudTrailDelayMs !== undefined)
    out.cloudTrailDelayMs = c.number(['events', 'cloudTrailDelayMs'], e.cloudTrailDelayMs, 0, 86_400_000);
  if (e.duplicateRate !== undefined)
    out.duplicateRate = c.number(['events', 'duplicateRate'], e.duplicateRate, 0, 1);
  return out;
}

export function validateAccessKey(
  c: Checker,
  p: Path,
  key: Record<string, unknown>,
  base: Omit<ScenarioAccessKey, 'userName' | 'policy'>,
): ScenarioAccessKey {
  const out: ScenarioAccessKey = { ...base };
  if (key.userName !== undefined)
    out.userName = c.string([...p, 'userName'], key.userName, NAME, 'an IAM user name');
  if (key.policy !== undefined) {
    if (out.userName === undefined)
      c.fail([...p, 'policy'], 'needs userName (root takes no policy)', key.policy);
    out.policy = c.object([...p, 'policy'], key.policy, ['Version', 'Id', 'Statement']);
  }
  return out;
}

function actorOf(c: Checker, path: Path, raw: unknown): ScenarioActor {
  const a = c.object(path, raw, ['user', 'role', 'sessionName', 'root']);
  const named = ['user', 'role', 'root'].filter((k) => a[k] !== undefined);
  if (named.length !== 1) c.fail(path, 'must name exactly one of user, role, root', raw);
  if (a.user !== undefined) return { user: c.string([...path, 'user'], a.user, NAME, 'an IAM user name') };
  if (a.role !== undefined) {
    const actor: ScenarioActor = { role: c.string([...path, 'role'], a.role, NAME, 'a role name') };
    if (a.sessionName !== undefined)
      actor.sessionName = c.string(
        [...path, 'sessionName'],
        a.sessionName,
        /^[\w+=,.@-]{2,64}$/,
        'a session name',
      );
    return actor;
  }
  if (a.root !== true) c.fail([...path, 'root'], 'must be true', a.root);
  return { root: true };
}

export function validateActivity(
  c: Checker,
  raw: unknown,
  accountIds: ReadonlySet<string>,
  regions: readonly string[],
): ScenarioActivity[] {
  return c.array(['activity'], raw).map((item, i) => {
    const p: Path = ['activity', i];
    const a = c.object(p, item, ['atMinute', 'account', 'region', 'as', 'action', 'name']);
    const region = c.string([...p, 'region'], a.region);
    if (!regions.includes(region)) c.fail([...p, 'region'], `must be one of ${regions.join(', ')}`, region);
    const activity: ScenarioActivity = {
      atMinute: c.number([...p, 'atMinute'], a.atMinute, 0, 525_600),
      account: accountOf(c, [...p, 'account'], a.account, accountIds),
      region,
      as: actorOf(c, [...p, 'as'], a.as),
      action: c.oneOf([...p, 'action'], a.action, ACTIVITY_ACTIONS),
    };
    if (a.name !== undefined)
      activity.name = c.string([...p, 'name'], a.name, /^[\w.+=,@:/-]{1,256}$/, 'a trail or recorder name');
    return activity;
  });
}

/** The admin stack's tamper-response settings: `containment` and the `allowList` of principal ARN patterns. */
export function validateTamperResponse(c: Checker, raw: unknown): NonNullable<Scenario['tamperResponse']> {
  const t = c.object(['tamperResponse'], raw, ['containment', 'allowList']);
  const out: NonNullable<Scenario['tamperResponse']> = {};
  if (t.containment !== undefined)
    out.containment = c.oneOf(['tamperResponse', 'containment'], t.containment, [
      'off',
      'repeat-offenders',
      'always',
    ] as const);
  if (t.allowList !== undefined)
    out.allowList = c.array(['tamperResponse', 'allowList'], t.allowList).map((entry, i) => {
      if (!isAllowListEntry(entry))
        c.fail(['tamperResponse', 'allowList', i], 'must be an IAM or STS principal ARN pattern', entry);
      return entry;
    });
  return out;
}

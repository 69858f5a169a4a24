/**
 * The `faults` section of a scenario: throttling, resource failures, stacks left from earlier
 * attempts and drift, each naming accounts and regions the scenario has.
 */
import type { Checker, Path } from './scenario-checker';
import type { ScenarioFaults, StackEventFaultRule } from './scenario-types';

const ACCOUNT_ID = /^\d{12}$/;

/** Validates `faults`; `accountIds` and `regions` are the scenario's own. */
export function validateFaults(
  c: Checker,
  raw: unknown,
  accountIds: Set<string>,
  regions: Set<string>,
): ScenarioFaults {
  if (raw === undefined || raw === null) return {};
  const f = c.object(['faults'], raw, [
    'throttle',
    'resourceFailures',
    'preexistingStacks',
    'drift',
    'stackEvents',
  ]);
  const faults: ScenarioFaults = {};
  const accountsIn = (path: Path, value: unknown): string[] =>
    c.array(path, value).map((a, i) => {
      const id = c.string([...path, i], typeof a === 'number' ? String(a) : a, ACCOUNT_ID, '12 digits');
      if (!accountIds.has(id)) c.fail([...path, i], 'must be one of the scenario accounts', id);
      return id;
    });
  const regionsIn = (path: Path, value: unknown): string[] =>
    c.array(path, value).map((r, i) => {
      const region = c.string([...path, i], r);
      if (!regions.has(region)) c.fail([...path, i], 'must be one of the scenario regions', region);
      return region;
    });
  if (f.throttle !== undefined) {
    const t = c.object(['faults', 'throttle'], f.throttle, ['rate', 'services', 'operations']);
    faults.throttle = { rate: c.number(['faults', 'throttle', 'rate'], t.rate, 0, 1) };
    if (t.services !== undefined)
      faults.throttle.services = c
        .array(['faults', 'throttle', 'services'], t.services)
        .map((s, i) =>
          c.string(
            ['faults', 'throttle', 'services', i],
            s,
            /^[a-z0-9-]+$/,
            'a signing name like cloudformation',
          ),
        );
    if (t.operations !== undefined)
      faults.throttle.operations = c
        .array(['faults', 'throttle', 'operations'], t.operations)
        .map((s, i) =>
          c.string(
            ['faults', 'throttle', 'operations', i],
            s,
            /^[A-Za-z0-9]+$/,
            'an operation name like DescribeStacks',
          ),
        );
  }
  if (f.resourceFailures !== undefined) {
    faults.resourceFailures = c.array(['faults', 'resourceFailures'], f.resourceFailures).map((r, i) => {
      const p: Path = ['faults', 'resourceFailures', i];
      const rf = c.object(p, r, [
        'accounts',
        'regions',
        'logicalId',
        'resourceType',
        'reason',
        'on',
        'times',
      ]);
      const out: NonNullable<ScenarioFaults['resourceFailures']>[number] = {};
      if (rf.accounts !== undefined) out.accounts = accountsIn([...p, 'accounts'], rf.accounts);
      if (rf.regions !== undefined) out.regions = regionsIn([...p, 'regions'], rf.regions);
      if (rf.logicalId !== undefined)
        out.logicalId = c.string(
          [...p, 'logicalId'],
          rf.logicalId,
          /^[A-Za-z0-9]{1,255}$/,
          'a logical id (letters and digits)',
        );
      if (rf.resourceType !== undefined)
        out.resourceType = c.string(
          [...p, 'resourceType'],
          rf.resourceType,
          /^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$/,
          'a resource type like AWS::S3::Bucket',
        );
      if (out.logicalId === undefined && out.resourceType === undefined)
        c.fail(p, 'must name a logicalId or a resourceType', r);
      if (rf.reason !== undefined) out.reason = c.string([...p, 'reason'], rf.reason);
      if (rf.on !== undefined)
        out.on = c.oneOf([...p, 'on'], rf.on, ['create', 'update', 'any', 'delete', 'rollback'] as const);
      if (rf.times !== undefined) {
        out.times = c.number([...p, 'times'], rf.times, 1, 1_000_000);
        if (!Number.isInteger(out.times)) c.fail([...p, 'times'], 'must be a whole number', rf.times);
      }
      return out;
    });
  }
  if (f.preexistingStacks !== undefined) {
    faults.preexistingStacks = c.array(['faults', 'preexistingStacks'], f.preexistingStacks).map((s, i) => {
      const p: Path = ['faults', 'preexistingStacks', i];
      const ps = c.object(p, s, ['account', 'region', 'stackName', 'status']);
      const account = c.string(
        [...p, 'account'],
        typeof ps.account === 'number' ? String(ps.account) : ps.account,
        ACCOUNT_ID,
        '12 digits',
      );
      if (!accountIds.has(account))
        c.fail([...p, 'account'], 'must be one of the scenario accounts', account);
      const region = c.string([...p, 'region'], ps.region);
      if (!regions.has(region)) c.fail([...p, 'region'], 'must be one of the scenario regions', region);
      return {
        account,
        region,
        stackName: c.string(
          [...p, 'stackName'],
          ps.stackName,
          /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
          'a stack name: 1-128 letters, digits or hyphens, starting with a letter',
        ),
        status: c.oneOf([...p, 'status'], ps.status, [
          'ROLLBACK_COMPLETE',
          'UPDATE_ROLLBACK_FAILED',
          'CREATE_COMPLETE',
          'UPDATE_IN_PROGRESS',
        ] as const),
      };
    });
  }
  if (f.drift !== undefined) {
    faults.drift = c.array(['faults', 'drift'], f.drift).map((d, i) => {
      const p: Path = ['faults', 'drift', i];
      const dr = c.object(p, d, ['accounts', 'regions', 'logicalId', 'property']);
      const out: NonNullable<ScenarioFaults['drift']>[number] = {
        logicalId: c.string(
          [...p, 'logicalId'],
          dr.logicalId,
          /^[A-Za-z0-9]{1,255}$/,
          'a logical id (letters and digits)',
        ),
      };
      if (dr.accounts !== undefined) out.accounts = accountsIn([...p, 'accounts'], dr.accounts);
      if (dr.regions !== undefined) out.regions = regionsIn([...p, 'regions'], dr.regions);
      if (dr.property !== undefined) out.property = c.string([...p, 'property'], dr.property);
      return out;
    });
  }
  if (f.stackEvents !== undefined) {
    faults.stackEvents = c.array(['faults', 'stackEvents'], f.stackEvents).map((r, i) => {
      const p: Path = ['faults', 'stackEvents', i];
      const rule = c.object(p, r, ['accounts', 'regions', 'lose', 'duplicate', 'reorder', 'delaySeconds']);
      const out: StackEventFaultRule = {};
      if (rule.accounts !== undefined) out.accounts = accountsIn([...p, 'accounts'], rule.accounts);
      if (rule.regions !== undefined) out.regions = regionsIn([...p, 'regions'], rule.regions);
      for (const odds of ['lose', 'duplicate', 'reorder'] as const) {
        if (rule[odds] !== undefined) out[odds] = c.number([...p, odds], rule[odds], 0, 1);
      }
      if (rule.delaySeconds !== undefined) {
        const d = rule.delaySeconds;
        if (Array.isArray(d)) {
          if (d.length !== 2) c.fail([...p, 'delaySeconds'], 'must be a number or [min, max]', d);
          const low = c.number([...p, 'delaySeconds', 0], d[0], 0, 86_400);
          const high = c.number([...p, 'delaySeconds', 1], d[1], low, 86_400);
          out.delaySeconds = [low, high];
        } else {
          out.delaySeconds = c.number([...p, 'delaySeconds'], d, 0, 86_400);
        }
      }
      return out;
    });
  }
  return faults;
}

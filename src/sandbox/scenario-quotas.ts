import type { Checker, Path } from './scenario-checker';
import type { Scenario } from './scenario-types';

/**
 * The scenario's `cloudFormationQuotas`: the quota on resources in concurrent stack operations,
 * for every account or per account (src/sandbox/cfn/quotas.ts applies it).
 */
export function validateQuotas(
  c: Checker,
  raw: unknown,
  accountIds: ReadonlySet<string>,
): NonNullable<Scenario['cloudFormationQuotas']> {
  const path: Path = ['cloudFormationQuotas'];
  const q = c.object(path, raw, ['concurrentResources', 'concurrentResourcesByAccount']);
  const quotas: NonNullable<Scenario['cloudFormationQuotas']> = {};
  if (q.concurrentResources !== undefined)
    quotas.concurrentResources = c.number(
      [...path, 'concurrentResources'],
      q.concurrentResources,
      1,
      1_000_000,
    );
  if (q.concurrentResourcesByAccount !== undefined) {
    const byAccount = c.object(
      [...path, 'concurrentResourcesByAccount'],
      q.concurrentResourcesByAccount,
      Object.keys(q.concurrentResourcesByAccount ?? {}),
    );
    quotas.concurrentResourcesByAccount = {};
    for (const [account, value] of Object.entries(byAccount)) {
      if (!accountIds.has(account))
        c.fail(
          [...path, 'concurrentResourcesByAccount', account],
          'must be one of the organization accounts',
          account,
        );
      quotas.concurrentResourcesByAccount[account] = c.number(
        [...path, 'concurrentResourcesByAccount', account],
        value,
        1,
        1_000_000,
      );
    }
  }
  return quotas;
}

/**
 * The evaluator against AWS's documented evaluation logic, one row per rule: the row's name cites
 * the rule (IAM User Guide reference_policies_evaluation-logic [logic], ..._cross-account [cross],
 * reference_policies_elements_* [elements], the KMS Developer Guide's key-policies [kms], and the
 * Organizations guide on SCPs/RCPs), the request, the policies, and the decision AWS gives.
 */
import { evaluate } from '../../../src/sandbox/iam/evaluate';
import { conditionKeysCases } from './cases/condition-keys';
import type { Row } from './cases/fixtures';
import { identityCases } from './cases/identity';
import { kmsCases } from './cases/kms';
import { organizationsCases } from './cases/organizations';
import { resourcePoliciesCases } from './cases/resource-policies';
import { roleTrustCases } from './cases/role-trust';

const rows: Row[] = [
  ...identityCases,
  ...organizationsCases,
  ...resourcePoliciesCases,
  ...kmsCases,
  ...roleTrustCases,
  ...conditionKeysCases,
];

describe('evaluate: AWS policy evaluation logic', () => {
  it('has at least 60 cases', () => {
    expect(rows.length).toBeGreaterThanOrEqual(60);
  });

  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    expect(evaluate(row.request, row.policies)).toEqual(row.expected);
  });

  it('decides the same way every time a document is reused (compiled once, found by identity)', () => {
    const row = rows[0]!;
    const first = evaluate(row.request, row.policies);
    for (let i = 0; i < 3; i++) expect(evaluate(row.request, row.policies)).toEqual(first);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { orderLongestFirst } from '../../src/core/plan';
import { readTemplateResources, templatePrior } from '../../src/core/wait-policy';

describe('orderLongestFirst', () => {
  it('starts the longest expected targets first and keeps plan order among equals', () => {
    const targets = ['a', 'b', 'c', 'd', 'e'];
    const seconds: Record<string, number> = { a: 100, b: 300, c: 100, d: 300, e: 50 };
    expect(orderLongestFirst(targets, (t) => seconds[t] ?? 0)).toEqual(['b', 'd', 'a', 'c', 'e']);
  });

  it('puts the home region (global resources) ahead of other regions for the baseline', () => {
    const body = readFileSync(join(__dirname, '../../templates/baseline.yaml'), 'utf8');
    const targets = [
      { accountId: '111111111111', region: 'eu-west-1', parameters: { HomeRegion: 'us-east-1' } },
      { accountId: '111111111111', region: 'us-east-1', parameters: { HomeRegion: 'us-east-1' } },
    ];
    const ordered = orderLongestFirst(
      targets,
      (t) => templatePrior(readTemplateResources(body, t)).expectedSeconds,
    );
    expect(ordered.map((t) => t.region)).toEqual(['us-east-1', 'eu-west-1']);
  });
});

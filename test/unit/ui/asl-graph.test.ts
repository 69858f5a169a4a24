import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  AslGraphError,
  aslToGraph,
  describeChoiceRule,
  EdgeKinds,
  stateNodeId,
} from '../../../src/ui/asl-graph';
import { layoutGraph } from '../../../src/ui/layout';
import { deployTargetAsl, rolloutAsl } from './fixtures';

/** Every state name in a definition, nested scopes included. */
function stateNames(scope: { States: Record<string, Record<string, unknown>> }): string[] {
  const names: string[] = [];
  for (const [name, state] of Object.entries(scope.States)) {
    names.push(name);
    const inner = (state.ItemProcessor ?? state.Iterator) as typeof scope | undefined;
    if (inner) names.push(...stateNames(inner));
    for (const branch of (state.Branches as Array<typeof scope>) ?? []) names.push(...stateNames(branch));
  }
  return names;
}

describe('aslToGraph', () => {
  it('draws one node per state of the project machines, named as the state', () => {
    for (const file of [
      'rollout.asl.json',
      'deploy-target.asl.json',
      'preview-target.asl.json',
      'drift-target.asl.json',
    ]) {
      const text = readFileSync(path.join(__dirname, '../../../statemachines', file), 'utf8');
      const graph = aslToGraph(text, file);
      const drawn = graph.nodes.filter((n) => n.id.startsWith('state:')).map((n) => n.name);
      expect(drawn.sort()).toEqual(stateNames(JSON.parse(text)).sort());
    }
  });

  it('puts the Map item processor inside the Map group and marks it distributed', () => {
    const graph = aslToGraph(rolloutAsl, 'rollout');
    const map = graph.nodes.find((n) => n.name === 'Deploy to targets');
    expect(map).toMatchObject({ type: 'Map', mapMode: 'DISTRIBUTED' });
    expect(graph.nodes.find((n) => n.name === 'Deploy target')?.parent).toBe(map?.id);
    expect(graph.nodes.find((n) => n.name === 'Record failure')?.parent).toBe(map?.id);
    expect(graph.nodes.find((n) => n.name === 'Summarize rollout')?.parent).toBeUndefined();
  });

  it('draws Choice branches with their conditions, the Default, and Catch edges', () => {
    const graph = aslToGraph(deployTargetAsl, 'deploy-target');
    const from = (name: string) => graph.edges.filter((e) => e.from === stateNodeId(name));
    expect(from('Stack settled?').map((e) => [e.kind, e.to, e.label])).toEqual([
      [EdgeKinds.Choice, stateNodeId('Wait for stack'), 'state == IN_PROGRESS'],
      [EdgeKinds.Choice, stateNodeId('Target failed'), 'state == FAILED'],
      [EdgeKinds.Default, stateNodeId('Target deployed'), 'Default'],
    ]);
    expect(from('Deploy stack').find((e) => e.kind === EdgeKinds.Catch)).toMatchObject({
      to: stateNodeId('Target failed'),
      label: 'catch any error',
    });
    expect(graph.nodes.find((n) => n.name === 'Deploy stack')?.retry).toEqual([
      'Throttled, TransientError ×6',
    ]);
  });

  it('summarises compound Choice rules', () => {
    expect(
      describeChoiceRule({
        And: [{ Variable: '$.a', NumericGreaterThan: 0 }, { Not: { Variable: '$.b', IsPresent: true } }],
      }),
    ).toBe('a > 0 and not (b present)');
  });

  it('names the broken field and value when a transition points nowhere', () => {
    const broken = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Missing' } } };
    expect(() => aslToGraph(broken, 'broken')).toThrow(AslGraphError);
    expect(() => aslToGraph(broken, 'broken')).toThrow(/Received: Missing/);
    expect(() => aslToGraph('{not json', 'x')).toThrow(/not JSON.*Received: \{not json/);
    expect(() => aslToGraph({ StartAt: 'B', States: { A: { Type: 'Succeed' } } }, 'x')).toThrow(
      /StartAt of x.*Received: "B"/,
    );
  });
});

describe('layoutGraph', () => {
  it('places inner states inside their group and routes every edge', async () => {
    const laid = await layoutGraph(aslToGraph(rolloutAsl, 'rollout'));
    const map = laid.nodes.find((n) => n.name === 'Deploy to targets')!;
    const inner = laid.nodes.find((n) => n.name === 'Deploy target')!;
    expect(map.group).toBe(true);
    expect(inner.x).toBeGreaterThanOrEqual(map.x);
    expect(inner.y).toBeGreaterThanOrEqual(map.y);
    expect(inner.x + inner.width).toBeLessThanOrEqual(map.x + map.width);
    expect(inner.y + inner.height).toBeLessThanOrEqual(map.y + map.height);
    for (const edge of laid.edges) expect(edge.points.length).toBeGreaterThanOrEqual(2);
    // Top-down: Validate comes above Plan.
    const validate = laid.nodes.find((n) => n.name === 'Validate rollout')!;
    const plan = laid.nodes.find((n) => n.name === 'Plan targets')!;
    expect(validate.y).toBeLessThan(plan.y);
  });
});

import { BENCH_GRAPH, graphLowerBound, slowAccountsFor, stagesOf } from '../../scripts/bench/graph';
import { type GraphBenchRun, parseGraphBenchArgs, versusBetter } from '../../scripts/bench/graph-run';

describe('the graph benchmark orders (issue 17)', () => {
  it('runs the whole graph in one rollout for stackfleet', () => {
    expect(stagesOf('stackfleet')).toEqual([['logging', 'network', 'config', 'guard', 'detection']]);
  });

  it('runs one stack set after another for CfCT, in graph order', () => {
    expect(stagesOf('cfct')).toEqual([['logging'], ['network'], ['config'], ['guard'], ['detection']]);
  });

  it('runs org-formation task by task: independent tasks together, a barrier before their dependants', () => {
    expect(stagesOf('org-formation')).toEqual([['logging', 'network'], ['config', 'guard'], ['detection']]);
  });

  it('refuses a graph listed out of order, naming the stacks', () => {
    expect(() => stagesOf('org-formation', [{ name: 'b', after: 'a' }, { name: 'a' }])).toThrow(
      'stack b comes before a, which it depends on',
    );
  });
});

describe('graphLowerBound', () => {
  const target = (s: Record<string, number>) => new Map(Object.entries(s));

  it("is the longest per-target chain when the slots are plenty: the chains' sums, not the sum of all", () => {
    const seconds = new Map([
      ['a', target({ logging: 100, network: 500, config: 100, guard: 100, detection: 100 })],
      ['b', target({ logging: 50, network: 50, config: 50, guard: 50, detection: 400 })],
    ]);
    // a: logging->config->detection 300, network->guard 600; b: 500 and 100.
    expect(graphLowerBound(seconds, 100)).toEqual({
      criticalPathSeconds: 600,
      spreadSeconds: 15,
      boundSeconds: 600,
    });
  });

  it('is the total stack time over the slots when they are few', () => {
    const seconds = new Map([
      ['a', target({ logging: 100, network: 100, config: 100, guard: 100, detection: 100 })],
    ]);
    expect(graphLowerBound(seconds, 1).boundSeconds).toBe(500);
  });

  it('refuses a concurrency under 1 with the value received', () => {
    expect(() => graphLowerBound(new Map(), 0)).toThrow(
      'concurrency must be a whole number of at least 1. Received: 0',
    );
  });
});

describe('slowAccountsFor', () => {
  const accounts = Array.from({ length: 2000 }, (_, i) => String(300000000001 + i));

  it('picks about the share asked, different accounts per stack, the same on every run', () => {
    const logging = slowAccountsFor('logging', accounts, 0.05, 4242);
    const config = slowAccountsFor('config', accounts, 0.05, 4242);
    expect(logging.length / accounts.length).toBeGreaterThan(0.03);
    expect(logging.length / accounts.length).toBeLessThan(0.07);
    expect(config).not.toEqual(logging);
    expect(slowAccountsFor('logging', accounts, 0.05, 4242)).toEqual(logging);
    expect(slowAccountsFor('logging', accounts, 0, 4242)).toEqual([]);
  });
});

describe('parseGraphBenchArgs', () => {
  it('defaults to 1,000 targets, every order, concurrency equal to the targets and a tenth', () => {
    expect(parseGraphBenchArgs([])).toEqual({
      targets: 1000,
      concurrency: [1000, 100],
      orders: ['stackfleet', 'cfct', 'org-formation'],
      slowShare: 0.05,
      stackEvents: false,
      rounds: 1,
      json: false,
    });
  });

  it('measures a second round when asked, and refuses any other number of rounds naming it', () => {
    expect(parseGraphBenchArgs(['--rounds', '2']).rounds).toBe(2);
    expect(() => parseGraphBenchArgs(['--rounds', '3'])).toThrow('--rounds must be 1 or 2. Received: 3');
  });

  it('runs every order with stack events when asked, and refuses an unknown flag naming it', () => {
    expect(parseGraphBenchArgs(['--stack-events', '--orders=stackfleet']).stackEvents).toBe(true);
    expect(() => parseGraphBenchArgs(['--events'])).toThrow('unknown option --events');
  });

  it('refuses an unknown order naming the value', () => {
    expect(() => parseGraphBenchArgs(['--orders', 'stackfleet,stacksets'])).toThrow(
      '--orders must be some of stackfleet,cfct,org-formation. Received: stackfleet,stacksets',
    );
  });
});

describe('versusBetter', () => {
  const run = (order: GraphBenchRun['order'], concurrency: number, makespanSeconds: number) =>
    ({ order, concurrency, makespanSeconds }) as GraphBenchRun;

  it("divides stackfleet's makespan by the faster of the other orders, per concurrency", () => {
    expect(
      versusBetter([
        run('stackfleet', 1000, 1200),
        run('cfct', 1000, 4000),
        run('org-formation', 1000, 3000),
        run('stackfleet', 100, 900),
        run('cfct', 100, 1000),
      ]),
    ).toEqual([
      { concurrency: 1000, ratio: 0.4, better: 'org-formation' },
      { concurrency: 100, ratio: 0.9, better: 'cfct' },
    ]);
  });
});

it('the graph has two independent chains of five stacks', () => {
  expect(BENCH_GRAPH.map((s) => `${s.after ?? '-'}>${s.name}`)).toEqual([
    '->logging',
    '->network',
    'logging>config',
    'network>guard',
    'config>detection',
  ]);
});

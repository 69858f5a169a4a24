import { parseBenchArgs } from '../../scripts/bench';
import { BENCH_DURATIONS, benchWorld } from '../../scripts/bench/scenario';

describe('benchWorld', () => {
  it('has enough member accounts for the targets over four regions, in the benchmark OU', () => {
    const world = benchWorld(1000);
    expect(world.regions).toHaveLength(4);
    expect(world.accounts).toHaveLength(250);
    const members = world.scenario.organization.accounts.filter((a) => a.parent === 'ou-bnch-members0');
    expect(members.map((a) => a.id)).toEqual(world.accounts);
  });

  it('turns the slow Config recorder on in about the asked share of accounts, the same ones every time', () => {
    const world = benchWorld(10000, 0.05);
    const share = world.slowAccounts.length / world.accounts.length;
    expect(share).toBeGreaterThan(0.03);
    expect(share).toBeLessThan(0.07);
    expect(benchWorld(10000, 0.05).slowAccounts).toEqual(world.slowAccounts);
    expect(world.parameters).toEqual({ EnableConfig: 'false' });
    expect(world.parameterOverrides).toEqual([
      { accounts: world.slowAccounts, parameters: { EnableConfig: 'true' } },
    ]);
  });

  it('gives no overrides when no account is slow', () => {
    expect(benchWorld(100, 0).parameterOverrides).toEqual([]);
  });

  it('sets the spread on top of the sandbox defaults', () => {
    const { scenario } = benchWorld(8);
    expect(scenario.durations['AWS::Config::ConfigurationRecorder']).toEqual(
      BENCH_DURATIONS['AWS::Config::ConfigurationRecorder'],
    );
    expect(scenario.durations.default).toBeDefined();
    expect(scenario.seed).toBe(4242);
  });

  it('refuses a target count under 1 with the value received', () => {
    expect(() => benchWorld(0)).toThrow('targets must be a whole number of at least 1. Received: 0');
  });
});

describe('parseBenchArgs', () => {
  it('defaults to 1,000 and 10,000 targets with every policy', () => {
    expect(parseBenchArgs([])).toEqual({
      targets: [1000, 10000],
      policies: ['stackfleet', 'stackfleet-events', 'fixed-30s', 'fixed-10s', 'batch'],
      iam: ['on'],
      loseEvents: [0],
      json: false,
    });
  });

  it('reads a quick run', () => {
    expect(
      parseBenchArgs([
        '--targets',
        '1000',
        '--policies',
        'stackfleet,fixed-30s',
        '--concurrency=50',
        '--iam',
        'on,off',
        '--lose-events',
        '0,0.1,1',
        '--json',
      ]),
    ).toEqual({
      targets: [1000],
      policies: ['stackfleet', 'fixed-30s'],
      concurrency: 50,
      iam: ['on', 'off'],
      loseEvents: [0, 0.1, 1],
      json: true,
    });
  });

  it.each(['-0.5', '2', 'some', ''])('refuses --lose-events %j naming the flag', (value) => {
    expect(() => parseBenchArgs(['--lose-events', value])).toThrow(
      `--lose-events must be shares between 0 and 1, comma-separated. Received: ${value || '(nothing)'}`,
    );
  });

  it('keeps the first version’s bare sizes', () => {
    expect(parseBenchArgs(['250', '2000']).targets).toEqual([250, 2000]);
  });

  it('refuses bad values naming the flag and the value', () => {
    expect(() => parseBenchArgs(['--targets', '10k'])).toThrow(
      '--targets must be whole numbers of at least 1, comma-separated. Received: 10k',
    );
    expect(() => parseBenchArgs(['--concurrency', '0'])).toThrow('Received: 0');
    expect(() => parseBenchArgs(['--fast'])).toThrow('unknown option --fast');
    expect(() => parseBenchArgs(['--iam', 'maybe'])).toThrow(
      '--iam must be on, off or on,off. Received: maybe',
    );
  });
});

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  BENCH_POLICIES,
  POLICY_SPECS,
  parsePolicies,
  renamePlaceholder,
  STACK_WAIT_STATE,
  splitIntoBatches,
  withFixedStackWait,
} from '../../scripts/bench/variants';

const root = path.resolve(__dirname, '..', '..');
const deployTargetText = readFileSync(path.join(root, 'statemachines', 'deploy-target.asl.json'), 'utf8');
const rolloutText = readFileSync(path.join(root, 'statemachines', 'rollout.asl.json'), 'utf8');

type States = Record<string, Record<string, unknown>>;

describe('withFixedStackWait', () => {
  it('replaces only the adaptive wait of the real deploy-target machine with a fixed one', () => {
    const original = JSON.parse(deployTargetText) as { States: States };
    const variant = withFixedStackWait(original, 30) as { States: States };
    const wait = variant.States[STACK_WAIT_STATE];
    expect(wait).toMatchObject({ Type: 'Wait', Seconds: 30, Next: 'Check stack' });
    expect(wait).not.toHaveProperty('SecondsPath');
    for (const [name, state] of Object.entries(original.States)) {
      if (name !== STACK_WAIT_STATE) expect(variant.States[name]).toEqual(state);
    }
    // the real definition is left alone
    expect(original.States[STACK_WAIT_STATE]).toHaveProperty('SecondsPath', '$.stack.waitSeconds');
  });

  it('refuses a definition without the wait state, so a renamed state cannot silently make the variant equal to stackfleet', () => {
    expect(() => withFixedStackWait({ StartAt: 'A', States: { A: { Type: 'Succeed' } } }, 10)).toThrow(
      `no Wait state named "${STACK_WAIT_STATE}"`,
    );
  });

  it('refuses a wait under one second', () => {
    expect(() => withFixedStackWait(JSON.parse(deployTargetText), 0)).toThrow('Received: 0');
  });
});

describe('renamePlaceholder', () => {
  it('makes a deploy-mode rollout variant start the deploy-target variant (the bench runs deploy mode only)', () => {
    const before = rolloutText.split('${DeployTargetStateMachineArn}').length - 1;
    expect(before).toBeGreaterThan(0);
    const renamed = renamePlaceholder(
      rolloutText,
      'DeployTargetStateMachineArn',
      'BenchDeployTargetStateMachineArn',
    );
    expect(renamed).not.toContain('${DeployTargetStateMachineArn}');
    expect(renamed.split('${BenchDeployTargetStateMachineArn}').length - 1).toBe(before);
    // Validate input hands the rollout's mode its machine: deploy now names the variant.
    const variant = JSON.parse(renamed) as { States: States };
    const parameters = variant.States['Validate input']?.Parameters as {
      targetStateMachines: Record<string, string>;
    };
    expect(parameters.targetStateMachines.deploy).toBe('${BenchDeployTargetStateMachineArn}');
    expect(parameters.targetStateMachines.preview).toBe('${PreviewTargetStateMachineArn}');
  });
});

describe('splitIntoBatches', () => {
  it.each([
    { items: [1, 2, 3, 4, 5], size: 2, batches: [[1, 2], [3, 4], [5]] },
    { items: [1, 2, 3], size: 3, batches: [[1, 2, 3]] },
    { items: [1, 2], size: 10, batches: [[1, 2]] },
    { items: [], size: 2, batches: [] },
  ])('splits $items by $size in manifest order', ({ items, size, batches }) => {
    expect(splitIntoBatches(items, size)).toEqual(batches);
  });

  it('refuses a batch size under 1', () => {
    expect(() => splitIntoBatches([1], 0)).toThrow(
      'batch size must be a whole number of at least 1. Received: 0',
    );
  });
});

describe('policies', () => {
  it("are the four of issue 9 with the reference waits, and issue 19's stack events", () => {
    expect([...BENCH_POLICIES]).toEqual([
      'stackfleet',
      'stackfleet-events',
      'fixed-30s',
      'fixed-10s',
      'batch',
    ]);
    expect(POLICY_SPECS.stackfleet.fixedWaitSeconds).toBeUndefined();
    expect(POLICY_SPECS['stackfleet-events']).toEqual({ batches: false, stackEvents: true });
    expect(POLICY_SPECS['fixed-30s'].fixedWaitSeconds).toBe(30);
    expect(POLICY_SPECS['fixed-10s'].fixedWaitSeconds).toBe(10);
    expect(POLICY_SPECS.batch).toEqual({ fixedWaitSeconds: 1, batches: true });
  });

  it('parses a comma list, dropping repeats', () => {
    expect(parsePolicies('stackfleet, fixed-30s,stackfleet')).toEqual(['stackfleet', 'fixed-30s']);
  });

  it('refuses an unknown policy naming the flag and the value', () => {
    expect(() => parsePolicies('stackfleet,fixed-5s')).toThrow(
      '--policies must be a list of stackfleet, stackfleet-events, fixed-30s, fixed-10s, batch. Received: fixed-5s',
    );
    expect(() => parsePolicies(' , ')).toThrow('--policies must name at least one');
  });
});

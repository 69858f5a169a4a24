import { observedAt, replay, replayChecks, type StackTimeline } from '../../scripts/bench/replay';
import { DEFAULT_CREATE_TUNING, TYPICAL_CREATE_SECONDS } from '../../src/core/wait-policy';

const t = (type: string) => TYPICAL_CREATE_SECONDS[type] ?? 0;
const resources = {
  Key: { type: 'AWS::KMS::Key', dependsOn: [] },
  Topic: { type: 'AWS::SNS::Topic', dependsOn: ['Key'] },
};

/** A key then a topic encrypted with it, each taking `pace` times its typical time, starting at `startedAt`. */
function chain(pace: number, startedAt = 0): StackTimeline {
  const key = pace * t('AWS::KMS::Key');
  const topic = pace * t('AWS::SNS::Topic');
  return {
    startedAt,
    seconds: 1 + key + topic + 1,
    resources,
    events: [
      { at: 1, logicalId: 'Key', status: 'CREATE_IN_PROGRESS' },
      { at: 1 + key, logicalId: 'Key', status: 'CREATE_COMPLETE' },
      { at: 1 + key, logicalId: 'Topic', status: 'CREATE_IN_PROGRESS' },
      { at: 1 + key + topic, logicalId: 'Topic', status: 'CREATE_COMPLETE' },
    ],
  };
}

describe('replaying stack timelines through the wait policy', () => {
  it('shows only the events that happened by then', () => {
    const stack = chain(1);
    expect(observedAt(stack.events, 10)).toEqual(new Map([['Key', { startSeconds: 1 }]]));
    expect(observedAt(stack.events, stack.seconds).get('Topic')).toEqual({
      startSeconds: 1 + t('AWS::KMS::Key'),
      endSeconds: 1 + t('AWS::KMS::Key') + t('AWS::SNS::Topic'),
    });
  });

  it('settles a create at its typical pace in two checks, soon after its end', () => {
    const { checks, lagSeconds } = replayChecks(chain(1));
    expect(checks).toBe(2);
    expect(lagSeconds).toBeGreaterThanOrEqual(0);
    expect(lagSeconds).toBeLessThan(20);
  });

  it('follows a create twice as slow as typical with more checks, never checking after a long idle', () => {
    const { checks, lagSeconds } = replayChecks(chain(2));
    expect(checks).toBeGreaterThan(2);
    expect(lagSeconds).toBeLessThan(40);
  });

  it('a later first look costs the fast stacks lag: the tuning changes the figures', () => {
    const stacks = [chain(0.5), chain(0.6), chain(1), chain(1.2)];
    const shipped = replay(stacks, 2);
    const late = replay(stacks, 2, { ...DEFAULT_CREATE_TUNING, firstLookShare: 1.5 });
    expect(late.noticeLagSecondsMedian).toBeGreaterThan(shipped.noticeLagSecondsMedian);
    expect(late.makespanSeconds).toBeGreaterThan(shipped.makespanSeconds);
  });

  it('reports the bench figures: bound, ratio, and per-target transitions and calls from the checks', () => {
    const stacks = [chain(1, 0), chain(1, 1), chain(0.8, 2)];
    const figures = replay(stacks, 1);
    const total = stacks.reduce((sum, s) => sum + s.seconds, 0);
    expect(figures.lowerBoundSeconds).toBeCloseTo(total);
    expect(figures.makespanSeconds).toBeGreaterThan(total);
    expect(figures.makespanRatio).toBeCloseTo(figures.makespanSeconds / total);
    expect(figures.transitionsPerTargetMedian).toBe(4 + 3 * figures.checksMedian);
    expect(figures.cfnCallsPerTargetMedian).toBe(2 + figures.checksMedian);
  });

  it('refuses an empty recording, naming what is missing', () => {
    expect(() => replay([], 1)).toThrow('replay needs at least one stack timeline');
  });
});

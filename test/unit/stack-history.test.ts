import {
  measuredOrPrior,
  parseStackSeconds,
  recordStackSeconds,
  stackSecondsDocument,
} from '../../src/core/stack-history';
import type { TargetResult } from '../../src/core/target-result';

const result = (
  outcome: string,
  durationSeconds: number | undefined,
  accountId = '111111111111',
): TargetResult =>
  ({
    accountId,
    region: 'eu-west-1',
    stack: 'logging',
    outcome,
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
  }) as TargetResult;

const names = (stack: string | undefined) => (stack === 'logging' ? 'stackfleet-logging' : undefined);
const KEY = '111111111111/eu-west-1/stackfleet-logging';

describe('recordStackSeconds keeps only the times of operations that ran to their end', () => {
  it.each([
    ['CREATED', 120, 120],
    ['UPDATED', 45, 45],
    ['NO_CHANGE', 0, 300],
    ['FAILED', 30, 300],
    ['BLOCKED', undefined, 300],
    ['ABORTED', 10, 300],
  ])('%s (%s s) leaves %s s', (outcome, seconds, expected) => {
    expect(recordStackSeconds({ [KEY]: 300 }, [result(outcome, seconds)], names)[KEY]).toBe(expected);
  });

  it('skips results whose stack the rollout does not name', () => {
    const out = recordStackSeconds({}, [{ ...result('CREATED', 9), stack: 'other' }], names);
    expect(out).toEqual({});
  });
});

describe('measuredOrPrior', () => {
  const history = {
    [KEY]: 600,
    '222222222222/eu-west-1/stackfleet-logging': 100,
    '333333333333/eu-west-1/stackfleet-logging': 200,
  };
  const prior = () => 17;
  it('uses the target own measure, else the stack median elsewhere, else the prior', () => {
    const seconds = measuredOrPrior(history, prior);
    expect(seconds('stackfleet-logging', '111111111111', 'eu-west-1')).toBe(600);
    expect(seconds('stackfleet-logging', '444444444444', 'eu-west-1')).toBe(200);
    expect(seconds('stackfleet-config', '111111111111', 'eu-west-1')).toBe(17);
  });
});

describe('parseStackSeconds', () => {
  it.each([
    ['nothing', undefined, {}],
    ['not JSON', '{oops', {}],
    ['negative and non-numbers dropped', '{"seconds":{"a":-1,"b":"x","c":5}}', { c: 5 }],
  ])('%s', (_label, text, expected) => {
    expect(parseStackSeconds(text)).toEqual(expected);
  });

  it('reads what stackSecondsDocument writes', () => {
    const doc = stackSecondsDocument({ [KEY]: 42 }, new Date(0));
    expect(parseStackSeconds(JSON.stringify(doc))).toEqual({ [KEY]: 42 });
  });
});

import {
  EVENT_FIRST_SHARE,
  EVENT_MARGIN_SECONDS,
  EVENT_UPDATE_SECONDS,
  eventWaitSeconds,
  MAX_EVENT_WAIT_SECONDS,
} from '../../src/core/event-wait';
import { eventsFlowingAt, eventsFlowingKey } from '../../src/core/stack-waits';
import { MIN_WAIT_SECONDS } from '../../src/core/wait-policy';

describe('eventWaitSeconds: how long "Wait for stack event" waits before Check stack polls', () => {
  it.each([
    [
      'a create right after Deploy stack waits past nearly every end of its template',
      { elapsedSeconds: 0, checks: 0, expectedSeconds: 100, pollSeconds: 60 },
      Math.ceil(EVENT_FIRST_SHARE * 100 + EVENT_MARGIN_SECONDS),
    ],
    [
      'the first wait counts the seconds already spent',
      { elapsedSeconds: 30, checks: 0, expectedSeconds: 100, pollSeconds: 10 },
      Math.ceil(EVENT_FIRST_SHARE * 100 + EVENT_MARGIN_SECONDS - 30),
    ],
    [
      "where the region's events have not been seen lately, the first wait is the poll's",
      { elapsedSeconds: 0, checks: 0, expectedSeconds: 100, pollSeconds: 60, eventsFlowing: false },
      60,
    ],
    [
      'an update (no prior) waits the fixed update wait',
      { elapsedSeconds: 0, checks: 0, pollSeconds: 20 },
      EVENT_UPDATE_SECONDS,
    ],
    [
      'after a check it waits as long as polling would, so a lost event costs nothing more',
      { elapsedSeconds: 200, checks: 1, expectedSeconds: 100, pollSeconds: 37 },
      37,
    ],
    [
      'never shorter than the poll',
      { elapsedSeconds: 0, checks: 0, expectedSeconds: 10, pollSeconds: 90 },
      90,
    ],
    [
      'never shorter than the wait policy minimum',
      { elapsedSeconds: 500, checks: 0, expectedSeconds: 10, pollSeconds: 1 },
      MIN_WAIT_SECONDS,
    ],
    [
      'never longer than the cap (a lost event is noticed within it)',
      { elapsedSeconds: 0, checks: 0, expectedSeconds: 5000, pollSeconds: 60 },
      MAX_EVENT_WAIT_SECONDS,
    ],
    [
      'cut to the budget left (plus one second so the timeout is noticed by the check)',
      { elapsedSeconds: 0, checks: 0, expectedSeconds: 100, pollSeconds: 60, remainingBudgetSeconds: 40 },
      41,
    ],
    [
      'at least one second even with no budget left (Step Functions refuses 0)',
      { elapsedSeconds: 0, checks: 0, pollSeconds: 5, remainingBudgetSeconds: -20 },
      1,
    ],
  ])('%s', (_name, context, expected) => {
    expect(eventWaitSeconds(context)).toBe(expected);
  });
});

describe('eventsFlowingAt: whether a region counts as having its events forwarded', () => {
  const now = new Date('2026-12-02T06:00:00Z');
  it.each([
    ['an event an hour ago', JSON.stringify({ lastEventAt: '2026-12-02T05:00:00Z' }), true],
    [
      'the last event longer ago than EVENTS_FLOWING_SECONDS',
      JSON.stringify({ lastEventAt: '2026-12-01T23:00:00Z' }),
      false,
    ],
    ['no marker', undefined, false],
    ['a marker that is not JSON', 'garbage', false],
    ['a marker without a time', '{}', false],
  ])('%s', (_name, text, flowing) => {
    expect(eventsFlowingAt(text, now)).toBe(flowing);
  });
  it('refuses a key for something that is not a region', () => {
    expect(() => eventsFlowingKey('../x')).toThrow(
      'region must be a region name such as eu-west-1. Received: ../x',
    );
    expect(eventsFlowingKey('eu-west-1')).toBe('stack-waits/_events-flowing/eu-west-1.json');
  });
});

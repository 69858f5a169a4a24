/**
 * How the UI's responses list reads one respond-to-tampering execution (src/ui/responses-rows.ts):
 * the event from the execution's input, what was done from its output, and an outcome a person
 * triaging can act on. Table-driven over the ways a response ends.
 */
import { type ResponseOutcome, responseRowOf } from '../../src/ui/responses-rows';

const event = {
  id: 'ev-1',
  account: '222222222222',
  region: 'eu-west-1',
  source: 'aws.cloudtrail',
  'detail-type': 'AWS API Call via CloudTrail',
  detail: {
    eventName: 'StopLogging',
    eventSource: 'cloudtrail.amazonaws.com',
    eventTime: '2026-12-02T04:00:00Z',
    sourceIPAddress: '203.0.113.7',
    userAgent: 'aws-cli/2.x',
    userIdentity: {
      type: 'IAMUser',
      arn: 'arn:aws:iam::222222222222:user/mallory',
      accountId: '222222222222',
      userName: 'mallory',
    },
    requestParameters: { name: 'StackFleet-baseline' },
  },
};
const summary = (status: string) => ({ executionArn: 'arn:x', name: 'r1', status, startDate: 1 });

describe('responseRowOf', () => {
  it.each<[string, string, unknown, ResponseOutcome]>([
    ['restored and alerted', 'SUCCEEDED', { restore: { restored: 'trail X logging again' } }, 'HANDLED'],
    [
      'a step that could not be done',
      'SUCCEEDED',
      { restoreFailure: { step: 'Restore logging', Error: 'AccessDenied', Cause: 'no role' } },
      'ACTION_NEEDED',
    ],
    ['a duplicate delivery', 'SUCCEEDED', { incident: { duplicate: true } }, 'DUPLICATE'],
    ['still running', 'RUNNING', undefined, 'RUNNING'],
    ['the execution failed', 'FAILED', undefined, 'FAILED'],
  ])('%s: %s -> %s', (_what, status, output, outcome) => {
    expect(responseRowOf(summary(status), event, output).outcome).toBe(outcome);
  });

  it('reads who, what and where from the input, even without an output', () => {
    expect(responseRowOf(summary('RUNNING'), event, undefined)).toMatchObject({
      account: '222222222222',
      region: 'eu-west-1',
      eventName: 'StopLogging',
      eventTime: '2026-12-02T04:00:00Z',
      principal: 'IAM user mallory (arn:aws:iam::222222222222:user/mallory)',
      failures: [],
    });
  });

  it('says why nothing was contained when containment did not run, and lists what could not be done', () => {
    const row = responseRowOf(summary('SUCCEEDED'), event, {
      incident: { count: 1, decision: { action: 'none', reason: 'first offence (1 incident)' } },
      containment: { contained: null },
      recordFailure: null,
      containFailure: { step: 'Contain the principal', Error: 'AccessDenied', Cause: 'denied' },
    });
    expect(row.contained).toBe('nothing: first offence (1 incident)');
    expect(row.incidentCount).toBe(1);
    expect(row.failures).toEqual(['Contain the principal: AccessDenied (denied)']);
  });
});

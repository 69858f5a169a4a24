/**
 * The pure logic of the tampering response: reading every CloudTrail userIdentity shape (CloudTrail
 * User Guide, cloudtrail-event-reference-user-identity; the federated-user and Identity Center
 * records are fixtures in the shapes that guide documents, since the sandbox has no
 * GetFederationToken or Identity Center), deciding containment, and the alert text.
 */
import { composeAlert } from '../../src/core/tamper/alert';
import {
  containmentPolicy,
  decideContainment,
  parseContainmentMode,
} from '../../src/core/tamper/containment';
import { readTamperEvent } from '../../src/core/tamper/read-event';

const A = '222222222222';

function eventWith(userIdentity: unknown, overrides: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: 'evt-1',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.cloudtrail',
    account: A,
    region: 'eu-west-1',
    detail: {
      eventSource: 'cloudtrail.amazonaws.com',
      eventName: 'StopLogging',
      eventTime: '2026-11-01T12:00:00Z',
      sourceIPAddress: '203.0.113.7',
      userAgent: 'aws-cli/2.15',
      requestParameters: { name: `arn:aws:cloudtrail:eu-west-1:${A}:trail/StackFleet-baseline` },
      userIdentity,
      ...overrides,
    },
  };
}

const identities = {
  user: {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLE',
    arn: `arn:aws:iam::${A}:user/mallory`,
    accountId: A,
    userName: 'mallory',
  },
  role: {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLE:ops-session',
    arn: `arn:aws:sts::${A}:assumed-role/Operator/ops-session`,
    accountId: A,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLE',
        arn: `arn:aws:iam::${A}:role/Operator`,
        accountId: A,
        userName: 'Operator',
      },
    },
  },
  federated: {
    type: 'FederatedUser',
    principalId: `${A}:bob`,
    arn: `arn:aws:sts::${A}:federated-user/bob`,
    accountId: A,
    sessionContext: {
      sessionIssuer: {
        type: 'IAMUser',
        principalId: 'AIDABROKER',
        arn: `arn:aws:iam::${A}:user/broker`,
        accountId: A,
        userName: 'broker',
      },
    },
  },
  identityCenter: {
    type: 'AssumedRole',
    arn: `arn:aws:sts::${A}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com`,
    accountId: A,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        arn: `arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`,
        accountId: A,
        userName: 'AWSReservedSSO_Admin_0123456789abcdef',
      },
    },
  },
  root: { type: 'Root', principalId: A, arn: `arn:aws:iam::${A}:root`, accountId: A },
  service: { type: 'AWSService', invokedBy: 'cloudformation.amazonaws.com' },
  stackfleet: {
    type: 'AssumedRole',
    arn: `arn:aws:sts::${A}:assumed-role/StackFleetExecution/deploy`,
    accountId: A,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        arn: `arn:aws:iam::${A}:role/StackFleetExecution`,
        accountId: A,
        userName: 'StackFleetExecution',
      },
    },
  },
};

describe('reading a tampering event', () => {
  it.each([
    [
      'an IAM user',
      identities.user,
      { kind: 'iam-user', userName: 'mallory', key: `arn:aws:iam::${A}:user/mallory` },
    ],
    [
      'an assumed-role session, keyed by its role',
      identities.role,
      {
        kind: 'assumed-role',
        roleName: 'Operator',
        sessionName: 'ops-session',
        key: `arn:aws:iam::${A}:role/Operator`,
      },
    ],
    [
      'a federated user, keyed by the IAM user that issued it',
      identities.federated,
      { kind: 'federated-user', userName: 'broker', key: `arn:aws:iam::${A}:user/broker` },
    ],
    [
      'an IAM Identity Center user',
      identities.identityCenter,
      { kind: 'identity-center', sessionName: 'alice@example.com' },
    ],
    ['root', identities.root, { kind: 'root', key: `arn:aws:iam::${A}:root` }],
    ['an AWS service', identities.service, { kind: 'aws-service', service: 'cloudformation.amazonaws.com' }],
  ])('reads %s', (_title, identity, expected) => {
    const event = readTamperEvent(eventWith(identity));
    expect(event.principal).toMatchObject(expected);
    expect(event).toMatchObject({
      eventId: 'evt-1',
      account: A,
      region: 'eu-west-1',
      eventName: 'StopLogging',
      sourceIp: '203.0.113.7',
      userAgent: 'aws-cli/2.15',
      target: { kind: 'trail', name: 'StackFleet-baseline' },
      problems: [],
    });
  });

  it('keeps an identity of an unknown type, and says what was unknown', () => {
    const event = readTamperEvent(eventWith({ type: 'SAMLUser', arn: 'arn:aws:sts::x' }));
    expect(event.principal.kind).toBe('unknown');
    expect(event.problems).toEqual([
      expect.stringContaining('detail.userIdentity.type is not one stackfleet knows. Received: "SAMLUser"'),
    ]);
  });

  it.each([
    ['null', null, /The event must be an object/],
    ['a string', 'StopLogging', /The event must be an object/],
    ['an event without detail', { id: 'x', account: A }, /detail is missing/],
    [
      'an event of another detail-type',
      { ...eventWith(identities.user), 'detail-type': 'Scheduled Event' },
      /detail-type must be "AWS API Call via CloudTrail". Received: "Scheduled Event"/,
    ],
    [
      'a bad account',
      { ...eventWith(identities.user), account: 'acct' },
      /account must be 12 digits. Received: "acct"/,
    ],
    [
      'a call that is not tampering',
      eventWith(identities.user, { eventName: 'DescribeTrails' }),
      /not a tampering call stackfleet responds to. Received: DescribeTrails/,
    ],
  ])('never throws on %s: it lists the problem', (_title, input, problem) => {
    const event = readTamperEvent(input);
    expect(event.problems.join('\n')).toMatch(problem);
  });

  it('reads the recorder of a Config call', () => {
    const event = readTamperEvent(
      eventWith(identities.user, {
        eventSource: 'config.amazonaws.com',
        eventName: 'StopConfigurationRecorder',
        requestParameters: { configurationRecorderName: 'default' },
      }),
    );
    expect(event.target).toEqual({ kind: 'recorder', name: 'default' });
  });
});

describe('deciding containment', () => {
  const principal = (identity: unknown) => readTamperEvent(eventWith(identity)).principal;
  it.each([
    ['off contains nobody', 'off', identities.user, 5, 'none', /containment is off/],
    ['a first offence is recorded only', 'repeat-offenders', identities.user, 1, 'none', /first offence/],
    [
      'a repeat offender user gets the deny-all policy',
      'repeat-offenders',
      identities.user,
      2,
      'deny-user',
      /repeat offence \(2 incidents\)/,
    ],
    [
      'always contains on the first offence',
      'always',
      identities.user,
      1,
      'deny-user',
      /containment is always/,
    ],
    [
      'a role session is revoked on its role',
      'always',
      identities.role,
      1,
      'revoke-role-sessions',
      /sessions of role Operator/,
    ],
    [
      'a federated user is contained through its IAM user',
      'always',
      identities.federated,
      1,
      'deny-user',
      /IAM user broker/,
    ],
    ['root is never contained', 'always', identities.root, 3, 'none', /root user cannot be contained/],
    [
      'a stackfleet role is never contained',
      'always',
      identities.stackfleet,
      3,
      'none',
      /StackFleetExecution is a stackfleet role/,
    ],
    [
      'Identity Center is contained in Identity Center',
      'always',
      identities.identityCenter,
      3,
      'none',
      /IAM Identity Center/,
    ],
    [
      'a service is not contained',
      'always',
      identities.service,
      3,
      'none',
      /cloudformation.amazonaws.com acted/,
    ],
  ] as const)('%s', (_title, mode, identity, count, action, reason) => {
    const decision = decideContainment({ mode, principal: principal(identity), incidentCount: count });
    expect(decision.action).toBe(action);
    expect(decision.reason).toMatch(reason);
  });

  it('never contains a principal on the allow-list, and says so', () => {
    const decision = decideContainment({
      mode: 'always',
      principal: principal(identities.user),
      incidentCount: 4,
      allowList: [`arn:aws:iam::${A}:user/mal*`],
    });
    expect(decision).toEqual({
      action: 'none',
      reason: `on the allow-list (arn:aws:iam::${A}:user/mal*): alerted, never contained`,
    });
  });

  it('revokes with the aws:TokenIssueTime deny of AWSRevokeOlderSessions, dated now', () => {
    const policy = containmentPolicy(
      { action: 'revoke-role-sessions', roleName: 'Operator', accountId: A, reason: '' },
      '2026-11-01T12:00:00.000Z',
    );
    expect(policy?.name).toBe('AWSRevokeOlderSessions');
    expect(JSON.parse(policy?.document ?? '{}').Statement[0]).toEqual({
      Effect: 'Deny',
      Action: ['*'],
      Resource: ['*'],
      Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-01T12:00:00.000Z' } },
    });
  });

  it('refuses a containment setting it does not know, naming it', () => {
    expect(parseContainmentMode(undefined)).toBe('repeat-offenders');
    expect(() => parseContainmentMode('sometimes')).toThrow(
      'containment must be one of off, repeat-offenders, always. Received: "sometimes"',
    );
  });
});

describe('the alert', () => {
  it('says who, what, where, when, what was restored and contained, and the count', () => {
    const event = readTamperEvent(eventWith(identities.user));
    const { subject, message } = composeAlert({
      event,
      restored: 'logging started again',
      contained: 'deny-all policy StackFleetContainment on IAM user mallory',
      incidentCount: 2,
    });
    expect(subject).toBe(`CloudTrail tampering: StopLogging in ${A} eu-west-1`);
    expect(message).toContain(`Who:   IAM user mallory (arn:aws:iam::${A}:user/mallory)`);
    expect(message).toContain('What:  StopLogging on trail StackFleet-baseline');
    expect(message).toContain('When:  2026-11-01T12:00:00Z from 203.0.113.7 (aws-cli/2.15)');
    expect(message).toContain('Restored:  logging started again');
    expect(message).toContain('Incidents for this principal: 2');
  });

  it('marks what could not be done, with the reason', () => {
    const event = readTamperEvent(eventWith(identities.user));
    const { subject, message } = composeAlert({
      event,
      failures: [
        {
          step: 'Restore logging',
          error: 'ResponderRoleMissing',
          cause: 'no role StackFleetTamperResponder in 222222222222',
        },
      ],
    });
    expect(subject.startsWith('[ACTION NEEDED] ')).toBe(true);
    expect(message).toContain(
      'Restore logging: ResponderRoleMissing: no role StackFleetTamperResponder in 222222222222',
    );
    expect(message).toContain('Restored:  nothing (see below)');
  });
});

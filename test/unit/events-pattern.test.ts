/**
 * EventBridge pattern matching, case by case from the EventBridge User Guide: "Creating event
 * patterns" (eb-event-patterns: arrays, null and empty strings, nested fields) and "Content
 * filtering in Amazon EventBridge event patterns" (eb-create-pattern-operators: prefix, suffix,
 * equals-ignore-case, anything-but, numeric, exists, cidr, wildcard, $or).
 */
import {
  InvalidEventPatternError,
  matchesEventPattern,
  parseEventPattern,
} from '../../src/sandbox/services/events/pattern';

const stopLogging = {
  version: '0',
  id: 'e-1',
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.cloudtrail',
  account: '222222222222',
  region: 'us-east-1',
  resources: [],
  detail: {
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    sourceIPAddress: '203.0.113.7',
    userIdentity: { type: 'IAMUser', userName: 'mallory', accountId: '222222222222' },
    requestParameters: { name: 'StackFleet-baseline' },
    errorCode: null,
    tags: ['a', 'b'],
    size: 42,
    empty: '',
  },
};

type Case = [title: string, pattern: object, expected: boolean];

const cases: Case[] = [
  [
    'the baseline tampering rule matches StopLogging',
    {
      source: ['aws.cloudtrail'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['cloudtrail.amazonaws.com'], eventName: ['StopLogging', 'DeleteTrail'] },
    },
    true,
  ],
  ['a different event name does not match', { detail: { eventName: ['DeleteTrail'] } }, false],
  ['a field the event lacks does not match', { detail: { nothing: ['x'] } }, false],
  ['a nested pattern on a scalar field does not match', { source: { x: ['y'] } }, false],
  ['null matches a null value', { detail: { errorCode: [null] } }, true],
  ['null does not match a missing field', { detail: { missing: [null] } }, false],
  ['an empty string matches an empty string', { detail: { empty: [''] } }, true],
  ['event arrays match when they intersect', { detail: { tags: ['b', 'z'] } }, true],
  ['event arrays without a common element do not match', { detail: { tags: ['z'] } }, false],
  ['numbers compare as numbers', { detail: { size: [42.0] } }, true],
  ['a number does not match its string', { detail: { size: ['42'] } }, false],
  ['prefix', { detail: { eventName: [{ prefix: 'Stop' }] } }, true],
  ['prefix is case sensitive', { detail: { eventName: [{ prefix: 'stop' }] } }, false],
  [
    'prefix with equals-ignore-case',
    { detail: { eventName: [{ prefix: { 'equals-ignore-case': 'stop' } }] } },
    true,
  ],
  ['suffix', { detail: { eventName: [{ suffix: 'Logging' }] } }, true],
  [
    'suffix with equals-ignore-case',
    { detail: { eventName: [{ suffix: { 'equals-ignore-case': 'LOGGING' } }] } },
    true,
  ],
  ['equals-ignore-case', { detail: { eventName: [{ 'equals-ignore-case': 'stoplogging' }] } }, true],
  ['anything-but a value', { detail: { eventName: [{ 'anything-but': 'StartLogging' }] } }, true],
  ['anything-but the value itself', { detail: { eventName: [{ 'anything-but': 'StopLogging' }] } }, false],
  [
    'anything-but a list',
    { detail: { eventName: [{ 'anything-but': ['StopLogging', 'DeleteTrail'] }] } },
    false,
  ],
  ['anything-but does not match a missing field', { detail: { missing: [{ 'anything-but': 'x' }] } }, false],
  ['anything-but prefix', { detail: { eventName: [{ 'anything-but': { prefix: 'Start' } }] } }, true],
  ['anything-but suffix', { detail: { eventName: [{ 'anything-but': { suffix: 'Logging' } }] } }, false],
  ['anything-but wildcard', { detail: { eventName: [{ 'anything-but': { wildcard: 'Stop*' } }] } }, false],
  [
    'anything-but equals-ignore-case',
    { detail: { eventName: [{ 'anything-but': { 'equals-ignore-case': 'STOPLOGGING' } }] } },
    false,
  ],
  ['numeric range inside', { detail: { size: [{ numeric: ['>', 0, '<=', 42] }] } }, true],
  ['numeric range outside', { detail: { size: [{ numeric: ['>', 42] }] } }, false],
  ['numeric equality', { detail: { size: [{ numeric: ['=', 42] }] } }, true],
  ['numeric does not match a string', { detail: { eventName: [{ numeric: ['>', 0] }] } }, false],
  ['exists true on a present leaf', { detail: { sourceIPAddress: [{ exists: true }] } }, true],
  ['exists true on a missing field', { detail: { missing: [{ exists: true }] } }, false],
  ['exists false on a missing field', { detail: { missing: [{ exists: false }] } }, true],
  ['exists false on a present field', { detail: { eventName: [{ exists: false }] } }, false],
  ['exists works on leaves only, not objects', { detail: { userIdentity: [{ exists: true }] } }, false],
  ['cidr contains the source IP', { detail: { sourceIPAddress: [{ cidr: '203.0.113.0/24' }] } }, true],
  ['cidr outside the range', { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/8' }] } }, false],
  ['wildcard', { detail: { requestParameters: { name: [{ wildcard: '*-baseline' }] } } }, true],
  ['wildcard in the middle', { detail: { eventName: [{ wildcard: 'S*ing' }] } }, true],
  ['wildcard that does not fit', { detail: { eventName: [{ wildcard: 'Start*' }] } }, false],
  [
    '$or: one branch matches',
    {
      source: ['aws.cloudtrail'],
      $or: [{ detail: { eventName: ['DeleteTrail'] } }, { detail: { userIdentity: { type: ['IAMUser'] } } }],
    },
    true,
  ],
  [
    '$or: no branch matches',
    {
      $or: [{ detail: { eventName: ['DeleteTrail'] } }, { account: ['111111111111'] }],
    },
    false,
  ],
  [
    '$or with the rest of the pattern failing',
    {
      source: ['aws.config'],
      $or: [{ detail: { eventName: ['StopLogging'] } }, { account: ['222222222222'] }],
    },
    false,
  ],
  [
    'several alternatives: a filter or a literal',
    { detail: { eventName: [{ prefix: 'Delete' }, 'StopLogging'] } },
    true,
  ],
];

describe('EventBridge pattern matching', () => {
  it.each(cases)('%s', (_title, pattern, expected) => {
    expect(matchesEventPattern(parseEventPattern(pattern), stopLogging)).toBe(expected);
  });

  it('matches an array of objects in the event by any element', () => {
    const pattern = parseEventPattern({ detail: { resources: { type: ['AWS::CloudTrail::Trail'] } } });
    const event = {
      detail: { resources: [{ type: 'AWS::S3::Bucket' }, { type: 'AWS::CloudTrail::Trail' }] },
    };
    expect(matchesEventPattern(pattern, event)).toBe(true);
    expect(matchesEventPattern(pattern, { detail: { resources: [{ type: 'AWS::S3::Bucket' }] } })).toBe(
      false,
    );
  });
});

describe('EventBridge pattern validation', () => {
  const invalid: Array<[string, unknown, RegExp]> = [
    ['text that is not JSON', '{source: x', /not valid JSON/],
    ['a top level that is not an object', '["aws.cloudtrail"]', /not an object/],
    ['a leaf that is not an array', { source: 'aws.cloudtrail' }, /Match value must be/],
    ['an empty array', { source: [] }, /Empty arrays are not allowed at source/],
    [
      'an unknown filter',
      { source: [{ startsWith: 'aws' }] },
      /Unrecognized match type startsWith at source/,
    ],
    ['a prefix that is not a string', { source: [{ prefix: 3 }] }, /"prefix" match pattern must be a string/],
    [
      'exists that is not a boolean',
      { source: [{ exists: 'yes' }] },
      /exists match pattern must be either true or false/,
    ],
    [
      'a numeric operator AWS does not know',
      { size: [{ numeric: ['!=', 3] }] },
      /Unrecognized numeric range operator: "!="/,
    ],
    [
      'a numeric bound that is not a number',
      { size: [{ numeric: ['>', '3'] }] },
      /Value of > must be numeric/,
    ],
    ['a malformed CIDR', { ip: [{ cidr: '10.0.0.0/33' }] }, /Malformed CIDR "10.0.0.0\/33"/],
    ['consecutive wildcards', { name: [{ wildcard: 'a**b' }] }, /Consecutive wildcard characters/],
    ['$or with one branch', { $or: [{ a: ['b'] }] }, /"\$or" must be an array of at least two objects/],
    [
      'mixed anything-but list',
      { a: [{ 'anything-but': ['x', 1] }] },
      /all values must be strings or all numbers/,
    ],
  ];
  it.each(invalid)('refuses %s, naming where', (_title, pattern, message) => {
    expect(() => parseEventPattern(pattern as object)).toThrow(InvalidEventPatternError);
    expect(() => parseEventPattern(pattern as object)).toThrow(message);
  });
});

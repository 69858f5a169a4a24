/**
 * Condition operators, one row per rule of the IAM User Guide (reference_policies_elements_condition_operators,
 * reference_policies_multi-value-conditions). Each row compiles a Condition element and evaluates
 * it against a request context.
 */
import { holds, type Row } from './cases/condition-harness';

describe('string operators', () => {
  it.each<Row>([
    [
      'StringEquals is case-sensitive',
      { StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } },
      { 'aws:PrincipalOrgID': 'o-ABC' },
      false,
    ],
    [
      'StringEquals matches exactly',
      { StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } },
      { 'aws:PrincipalOrgID': 'o-abc' },
      true,
    ],
    [
      'values of one key OR',
      { StringEquals: { 'sts:ExternalId': ['a1', 'b2'] } },
      { 'sts:ExternalId': 'b2' },
      true,
    ],
    [
      'StringEquals does not take wildcards',
      { StringEquals: { 'aws:SourceAccount': '1111*' } },
      { 'aws:SourceAccount': '111111111111' },
      false,
    ],
    [
      'StringNotEquals: equal to none',
      { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] } },
      { 'aws:RequestedRegion': 'us-east-1' },
      true,
    ],
    [
      'StringNotEquals: equal to one',
      { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] } },
      { 'aws:RequestedRegion': 'eu-west-1' },
      false,
    ],
    [
      'StringEqualsIgnoreCase',
      { StringEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Platform' } },
      { 'aws:PrincipalTag/team': 'PLATFORM' },
      true,
    ],
    [
      'StringNotEqualsIgnoreCase',
      { StringNotEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Platform' } },
      { 'aws:PrincipalTag/team': 'platform' },
      false,
    ],
    [
      'StringLike',
      { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
      { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
      true,
    ],
    [
      'StringLike is case-sensitive',
      { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
      { 'kms:ViaService': 'S3.eu-west-1.amazonaws.com' },
      false,
    ],
    ['StringNotLike', { StringNotLike: { 's3:prefix': 'private/*' } }, { 's3:prefix': 'public/x' }, true],
    [
      'condition key names are case-insensitive',
      { StringEquals: { 'AWS:principalorgid': 'o-abc' } },
      { 'aws:PrincipalOrgID': 'o-abc' },
      true,
    ],
    [
      'operators AND',
      {
        StringEquals: { 'aws:PrincipalOrgID': 'o-abc' },
        StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/x' },
      },
      { 'aws:PrincipalOrgID': 'o-abc', 'aws:PrincipalArn': 'arn:aws:iam::1:role/y' },
      false,
    ],
    [
      'keys of one operator AND',
      { StringEquals: { 'aws:PrincipalOrgID': 'o-abc', 'sts:ExternalId': 'e-1' } },
      { 'aws:PrincipalOrgID': 'o-abc', 'sts:ExternalId': 'e-2' },
      false,
    ],
  ])('%s', (_name, block, context, expected) => {
    expect(holds(block, context)).toBe(expected);
  });
});

describe('missing keys ("the values do not match and the condition is false"; negated operators are true)', () => {
  it.each<Row>([
    [
      'StringEquals on a missing key is false',
      { StringEquals: { 'aws:SourceAccount': '111111111111' } },
      {},
      false,
    ],
    [
      'StringNotEquals on a missing key is true',
      { StringNotEquals: { 'aws:SourceAccount': '111111111111' } },
      {},
      true,
    ],
    ['StringNotLike on a missing key is true', { StringNotLike: { 'aws:SourceArn': 'arn:*' } }, {}, true],
    [
      'ArnNotLike on a missing key is true',
      { ArnNotLike: { 'aws:SourceArn': 'arn:aws:sns:*:*:*' } },
      {},
      true,
    ],
    ['ArnLike on a missing key is false', { ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:*:*' } }, {}, false],
    ['NumericLessThan on a missing key is false', { NumericLessThan: { 's3:max-keys': '10' } }, {}, false],
    ['Bool on a missing key is false', { Bool: { 'aws:MultiFactorAuthPresent': 'true' } }, {}, false],
    ['IpAddress on a missing key is false', { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, {}, false],
    [
      'NotIpAddress on a missing key is true',
      { NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
      {},
      true,
    ],
    [
      '...IfExists on a missing key is true',
      { StringEqualsIfExists: { 'aws:SourceAccount': '111111111111' } },
      {},
      true,
    ],
    [
      '...IfExists on a present key still tests it',
      { StringEqualsIfExists: { 'aws:SourceAccount': '111111111111' } },
      { 'aws:SourceAccount': '222222222222' },
      false,
    ],
    [
      'ArnLikeIfExists',
      { ArnLikeIfExists: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:111111111111:trail/*' } },
      {},
      true,
    ],
    [
      'a key set to undefined counts as absent',
      { StringEquals: { 'aws:SourceAccount': '111111111111' } },
      { 'aws:SourceAccount': undefined },
      false,
    ],
  ])('%s', (_name, block, context, expected) => {
    expect(holds(block, context)).toBe(expected);
  });
});

describe('set operators (reference_policies_multi-value-conditions)', () => {
  it.each<Row>([
    [
      'ForAnyValue: one request value matches',
      { 'ForAnyValue:StringEquals': { 'aws:CalledVia': 'cloudformation.amazonaws.com' } },
      { 'aws:CalledVia': ['athena.amazonaws.com', 'cloudformation.amazonaws.com'] },
      true,
    ],
    [
      'ForAnyValue: none matches',
      { 'ForAnyValue:StringEquals': { 'aws:CalledVia': 'cloudformation.amazonaws.com' } },
      { 'aws:CalledVia': ['athena.amazonaws.com'] },
      false,
    ],
    [
      'ForAnyValue on a missing key is false',
      { 'ForAnyValue:StringEquals': { 'aws:CalledVia': 'cloudformation.amazonaws.com' } },
      {},
      false,
    ],
    [
      'ForAnyValue on an empty set is false',
      { 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'team' } },
      { 'aws:TagKeys': [] },
      false,
    ],
    [
      'ForAllValues: every request value matches',
      { 'ForAllValues:StringLike': { 'aws:TagKeys': ['team', 'cost*'] } },
      { 'aws:TagKeys': ['team', 'costcenter'] },
      true,
    ],
    [
      'ForAllValues: one does not',
      { 'ForAllValues:StringLike': { 'aws:TagKeys': ['team', 'cost*'] } },
      { 'aws:TagKeys': ['team', 'owner'] },
      false,
    ],
    [
      'ForAllValues on a missing key is true',
      { 'ForAllValues:StringEquals': { 'aws:TagKeys': 'team' } },
      {},
      true,
    ],
    [
      'ForAllValues on an empty set is true',
      { 'ForAllValues:StringEquals': { 'aws:TagKeys': 'team' } },
      { 'aws:TagKeys': [] },
      true,
    ],
    [
      'ForAnyValue:StringNotEquals: some value is not listed',
      { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['team'] } },
      { 'aws:TagKeys': ['team', 'owner'] },
      true,
    ],
    [
      'ForAllValues:StringNotEquals: no value is listed',
      { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } },
      { 'aws:TagKeys': ['team', 'secret'] },
      false,
    ],
    [
      'a set operator on a single-valued key applies to its one value',
      { 'ForAnyValue:StringEquals': { 'aws:PrincipalOrgID': 'o-abc' } },
      { 'aws:PrincipalOrgID': 'o-abc' },
      true,
    ],
    [
      'a plain operator on a multivalued key: any value matches',
      { StringEquals: { 'aws:CalledVia': 'cloudformation.amazonaws.com' } },
      { 'aws:CalledVia': ['athena.amazonaws.com', 'cloudformation.amazonaws.com'] },
      true,
    ],
    [
      'a plain negated operator on a multivalued key: no value matches',
      { StringNotEquals: { 'aws:CalledVia': 'cloudformation.amazonaws.com' } },
      { 'aws:CalledVia': ['athena.amazonaws.com', 'cloudformation.amazonaws.com'] },
      false,
    ],
  ])('%s', (_name, block, context, expected) => {
    expect(holds(block, context)).toBe(expected);
  });
});

describe('numeric, date, bool, binary, IP, ARN and Null operators', () => {
  it.each<Row>([
    ['NumericEquals', { NumericEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': 10 }, true],
    ['NumericNotEquals', { NumericNotEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': '11' }, true],
    ['NumericLessThan', { NumericLessThan: { 's3:max-keys': '10' } }, { 's3:max-keys': '10' }, false],
    [
      'NumericLessThanEquals',
      { NumericLessThanEquals: { 's3:max-keys': '10' } },
      { 's3:max-keys': '10' },
      true,
    ],
    [
      'NumericGreaterThan with decimals',
      { NumericGreaterThan: { 'aws:MultiFactorAuthAge': '3600.5' } },
      { 'aws:MultiFactorAuthAge': '3601' },
      true,
    ],
    [
      'NumericGreaterThanEquals',
      { NumericGreaterThanEquals: { 'aws:MultiFactorAuthAge': '3600' } },
      { 'aws:MultiFactorAuthAge': '3599' },
      false,
    ],
    [
      'a non-number matches no numeric value',
      { NumericEquals: { 's3:max-keys': '10' } },
      { 's3:max-keys': 'ten' },
      false,
    ],
    [
      'DateLessThan (ISO 8601)',
      { DateLessThan: { 'aws:CurrentTime': '2026-12-01T00:00:00Z' } },
      { 'aws:CurrentTime': '2026-11-30T23:59:59Z' },
      true,
    ],
    [
      'DateGreaterThan (epoch seconds in the request)',
      { DateGreaterThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } },
      { 'aws:CurrentTime': 1767225601 },
      true,
    ],
    [
      'DateEquals across formats',
      { DateEquals: { 'aws:EpochTime': '1767225600' } },
      { 'aws:EpochTime': '2026-01-01T00:00:00Z' },
      true,
    ],
    [
      'DateNotEquals',
      { DateNotEquals: { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' } },
      { 'aws:TokenIssueTime': '2026-01-02T00:00:00Z' },
      true,
    ],
    [
      'DateLessThanEquals',
      { DateLessThanEquals: { 'aws:CurrentTime': '2026-01-01' } },
      { 'aws:CurrentTime': '2026-01-01T00:00:00Z' },
      true,
    ],
    [
      'DateGreaterThanEquals',
      { DateGreaterThanEquals: { 'aws:CurrentTime': '2026-01-02T00:00:00Z' } },
      { 'aws:CurrentTime': '2026-01-01T00:00:00Z' },
      false,
    ],
    [
      'Bool false matches a false request value',
      { Bool: { 'aws:SecureTransport': 'false' } },
      { 'aws:SecureTransport': false },
      true,
    ],
    [
      'Bool false does not match true',
      { Bool: { 'aws:SecureTransport': 'false' } },
      { 'aws:SecureTransport': true },
      false,
    ],
    [
      'Bool with a JSON boolean in the policy',
      { Bool: { 'aws:SecureTransport': true } },
      { 'aws:SecureTransport': 'true' },
      true,
    ],
    [
      'BinaryEquals compares bytes',
      { BinaryEquals: { 'x:key': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } },
      { 'x:key': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' },
      true,
    ],
    [
      'BinaryEquals on other bytes',
      { BinaryEquals: { 'x:key': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } },
      { 'x:key': 'b3RoZXI=' },
      false,
    ],
    [
      'IpAddress IPv4 range',
      { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
      { 'aws:SourceIp': '203.0.113.77' },
      true,
    ],
    [
      'IpAddress outside the range',
      { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
      { 'aws:SourceIp': '203.0.114.1' },
      false,
    ],
    [
      'IpAddress bare address is /32',
      { IpAddress: { 'aws:SourceIp': '203.0.113.5' } },
      { 'aws:SourceIp': '203.0.113.6' },
      false,
    ],
    [
      'IpAddress IPv6 range',
      { IpAddress: { 'aws:SourceIp': '2001:DB8:1234:5678::/64' } },
      { 'aws:SourceIp': '2001:db8:1234:5678:abcd::1' },
      true,
    ],
    [
      'IpAddress IPv6 outside',
      { IpAddress: { 'aws:SourceIp': '2001:DB8:1234:5678::/64' } },
      { 'aws:SourceIp': '2001:db8:1234:5679::1' },
      false,
    ],
    [
      'an IPv4 range never holds an IPv6 address',
      { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } },
      { 'aws:SourceIp': '::1' },
      false,
    ],
    [
      'NotIpAddress',
      { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } },
      { 'aws:SourceIp': '203.0.113.1' },
      true,
    ],
    [
      'ArnEquals behaves as ArnLike',
      { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:*:111111111111:alerts' } },
      { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:111111111111:alerts' },
      true,
    ],
    [
      'ArnNotEquals',
      { ArnNotEquals: { 'aws:SourceArn': 'arn:aws:sns:*:111111111111:alerts' } },
      { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:222222222222:alerts' },
      true,
    ],
    [
      'ArnNotLike with a matching value',
      { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/StackFleet-*' } },
      { 'aws:PrincipalArn': 'arn:aws:iam::2:role/StackFleet-Exec' },
      false,
    ],
    ['Null true: the key is absent', { Null: { 'aws:TokenIssueTime': 'true' } }, {}, true],
    [
      'Null true: the key is present',
      { Null: { 'aws:TokenIssueTime': 'true' } },
      { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' },
      false,
    ],
    [
      'Null false: the key is present',
      { Null: { 'aws:SourceAccount': 'false' } },
      { 'aws:SourceAccount': '111111111111' },
      true,
    ],
    ['Null false: the key is absent', { Null: { 'aws:SourceAccount': 'false' } }, {}, false],
  ])('%s', (_name, block, context, expected) => {
    expect(holds(block, context)).toBe(expected);
  });

  it('an unknown operator matches nothing', () => {
    expect(
      holds(
        { StringEqualz: { 'aws:SourceAccount': '111111111111' } },
        { 'aws:SourceAccount': '111111111111' },
      ),
    ).toBe(false);
    expect(holds({ StringEqualz: { 'aws:SourceAccount': '111111111111' } }, {})).toBe(false);
  });
});

/**
 * IAM's four wildcard flavours decide whether a statement covers a request at all; a sandbox that
 * matched more widely than AWS would let rehearsals pass that production refuses.
 */
import {
  compileGlob,
  matchesAction,
  matchesArn,
  matchesResource,
  matchesStringLike,
  parseGlob,
} from '../../../src/sandbox/iam/wildcard';

describe('actions (IAM User Guide, reference_policies_elements_action: "case insensitive")', () => {
  it.each([
    ['s3:GetObject', 's3:GetObject', true],
    ['s3:getobject', 'S3:GetObject', true],
    ['s3:Get*', 's3:GetObjectVersion', true],
    ['s3:Get*', 's3:PutObject', false],
    ['s3:*Object', 's3:DeleteObject', true],
    ['iam:*AccessKey*', 'iam:CreateAccessKey', true],
    ['s3:GetObjec?', 's3:GetObject', true],
    ['s3:GetObjec?', 's3:GetObjects', false],
    ['*', 'kms:Decrypt', true],
    ['s3:*', 'sts:AssumeRole', false],
    ['sts:AssumeRole', 'sts:AssumeRoleWithSAML', false],
  ])('%s against %s -> %s', (pattern, action, expected) => {
    expect(matchesAction(pattern, action)).toBe(expected);
  });
});

describe('Resource element (reference_policies_elements_resource)', () => {
  it.each([
    // case-sensitive
    ['arn:aws:s3:::Bucket/*', 'arn:aws:s3:::bucket/key', false],
    ['arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket/key', true],
    // "The asterisk (*) character can expand to replace everything within a segment, including ... (/)"
    [
      'arn:aws:s3:::amzn-s3-demo-bucket/*/test/*',
      'arn:aws:s3:::amzn-s3-demo-bucket/1///test///object.jpg',
      true,
    ],
    [
      'arn:aws:s3:::amzn-s3-demo-bucket/*/test/*',
      'arn:aws:s3:::amzn-s3-demo-bucket/1-test/object.jpg',
      false,
    ],
    ['arn:aws:s3:::amzn-s3-demo-bucket/*/test/*', 'arn:aws:s3:::amzn-s3-demo-bucket/test/object.jpg', false],
    // after the fifth colon anything goes, colons included
    ['arn:aws:s3:::*/templates/*', 'arn:aws:s3:::admin-artifacts/templates/v1:baseline.yaml', true],
    [
      'arn:aws:logs:eu-west-1:111111111111:log-group:*',
      'arn:aws:logs:eu-west-1:111111111111:log-group:trail:*',
      true,
    ],
    // a `*` ending a segment "can expand to match beyond the colon boundaries"
    ['arn:aws:kms:*:111111111111:key/*', 'arn:aws:kms:eu-west-1:111111111111:key/1234', true],
    [
      'arn:aws:cloudformation:*:111111111111:stack/StackFleet-*/*',
      'arn:aws:cloudformation:us-east-1:111111111111:stack/StackFleet-baseline/abc',
      true,
    ],
    [
      'arn:aws:cloudformation:*:111111111111:stack/StackFleet-*/*',
      'arn:aws:cloudformation:us-east-1:222222222222:stack/StackFleet-baseline/abc',
      false,
    ],
    // a `*` inside a segment does not cross a colon
    ['arn:aws:iam::1*1:role/R', 'arn:aws:iam::1:2:1:role/R', false],
    ['arn:aws:sns:eu-?est-1:111111111111:alerts', 'arn:aws:sns:eu-west-1:111111111111:alerts', true],
    ['*', 'arn:aws:s3:::anything', true],
    ['arn:aws:s3:::bucket', 'arn:aws:s3:::bucket/key', false],
  ])('%s against %s -> %s', (pattern, resource, expected) => {
    expect(matchesResource(pattern, resource)).toBe(expected);
  });
});

describe('ArnLike / ArnEquals ("Each of the six colon-delimited components ... checked separately")', () => {
  it.each([
    // the guide's own example: StringLike would match, ArnLike does not
    [
      'arn:aws:someservice:*:111122223333:finance/*',
      'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt',
      false,
    ],
    ['arn:aws:iam::*:role/StackFleet-Execution', 'arn:aws:iam::222222222222:role/StackFleet-Execution', true],
    [
      'arn:aws:iam::111111111111:role/stackfleet/*',
      'arn:aws:iam::111111111111:role/stackfleet/admin/Deploy',
      true,
    ],
    ['arn:aws:iam::111111111111:role/stackfleet/*', 'arn:aws:iam::111111111111:role/other/Deploy', false],
    [
      'arn:aws:cloudtrail:*:111111111111:trail/*',
      'arn:aws:cloudtrail:eu-west-1:111111111111:trail/baseline',
      true,
    ],
    [
      'arn:aws:logs:eu-west-1:111111111111:log-group:*',
      'arn:aws:logs:eu-west-1:111111111111:log-group:trail:log-stream:x',
      true,
    ],
    ['arn:aws:iam::111111111111:role/R', 'arn:aws:iam::111111111111:role/r', false],
    ['*', 'arn:aws:iam::111111111111:role/R', true],
  ])('%s against %s -> %s', (pattern, arn, expected) => {
    expect(matchesArn(pattern, arn)).toBe(expected);
  });

  it('differs from StringLike exactly where the guide says it does', () => {
    const pattern = 'arn:aws:someservice:*:111122223333:finance/*';
    const value = 'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt';
    expect(matchesStringLike(pattern, value)).toBe(true);
    expect(matchesArn(pattern, value)).toBe(false);
  });
});

describe('StringLike (case-sensitive, * and ? anywhere)', () => {
  it.each([
    ['s3.*.amazonaws.com', 's3.eu-west-1.amazonaws.com', true],
    ['s3.*.amazonaws.com', 'S3.eu-west-1.amazonaws.com', false],
    ['s3.*.amazonaws.com', 'ec2.eu-west-1.amazonaws.com', false],
    ['rollouts/*', 'rollouts/2026/manifest.json', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['', '', true],
  ])('%s against %s -> %s', (pattern, value, expected) => {
    expect(matchesStringLike(pattern, value)).toBe(expected);
  });
});

describe('compiled patterns', () => {
  it('treat a literal * token (from ${*} or a variable value) as a character, not a wildcard', () => {
    const literalStar = compileGlob(['arn:aws:s3:::b/a*b'], 'resource');
    expect(literalStar('arn:aws:s3:::b/a*b')).toBe(true);
    expect(literalStar('arn:aws:s3:::b/axxb')).toBe(false);
    expect(compileGlob(parseGlob('arn:aws:s3:::b/a*b'), 'resource')('arn:aws:s3:::b/axxb')).toBe(true);
  });

  it('escape regular-expression characters in literals', () => {
    expect(matchesStringLike('a.b(c)+[d]', 'a.b(c)+[d]')).toBe(true);
    expect(matchesStringLike('a.b', 'axb')).toBe(false);
  });

  it('are compiled once: the same pattern gives the same matcher', () => {
    expect(compileGlob(parseGlob('s3:Get*'), 'action')).toBe(compileGlob(parseGlob('s3:Get*'), 'action'));
  });
});

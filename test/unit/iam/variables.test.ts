/**
 * Policy variables in condition values (IAM User Guide, reference_policies_variables): substituted
 * from the request, literal in old policy versions, with defaults, escapes, and no value for
 * absent or multivalued keys.
 */
import { contextView } from '../../../src/sandbox/iam/context';
import { parseTemplate, resolveText } from '../../../src/sandbox/iam/variables';
import { ONE, STAR } from '../../../src/sandbox/iam/wildcard';
import { holds, type Row, user } from './cases/condition-harness';

describe('policy variables in condition values (reference_policies_variables)', () => {
  it.each<Row>([
    [
      '${aws:username} is the user name',
      { StringLike: { 's3:prefix': 'home/${aws:username}/*' } },
      { 's3:prefix': 'home/Adele/notes' },
      true,
    ],
    [
      '${aws:username} of another user',
      { StringLike: { 's3:prefix': 'home/${aws:username}/*' } },
      { 's3:prefix': 'home/David/notes' },
      false,
    ],
    [
      '${aws:PrincipalTag/team}',
      { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } },
      { 'aws:ResourceTag/team': 'platform', 'aws:PrincipalTag/team': 'platform' },
      true,
    ],
    [
      'a variable without a value matches nothing',
      { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } },
      { 'aws:ResourceTag/team': '' },
      false,
    ],
    [
      'a variable without a value: its default',
      { StringEquals: { 'aws:ResourceTag/team': "${aws:PrincipalTag/team, 'none'}" } },
      { 'aws:ResourceTag/team': 'none' },
      true,
    ],
    [
      "a default may hold a quote as ''",
      { StringEquals: { 'x:k': "${x:absent, 'it''s'}" } },
      { 'x:k': "it's" },
      true,
    ],
    [
      '${*} is a literal asterisk in StringLike',
      { StringLike: { 'x:k': 'a${*}b' } },
      { 'x:k': 'axxb' },
      false,
    ],
    ['${*} matches a literal asterisk', { StringLike: { 'x:k': 'a${*}b' } }, { 'x:k': 'a*b' }, true],
    ['${?} and ${$}', { StringEquals: { 'x:k': '${?}${$}' } }, { 'x:k': '?$' }, true],
    [
      'a substituted value is never a wildcard',
      { StringLike: { 'x:k': '${x:pattern}' } },
      { 'x:k': 'anything', 'x:pattern': '*' },
      false,
    ],
    [
      'a multivalued key has no variable value',
      { StringEquals: { 'x:k': '${aws:CalledVia}' } },
      { 'x:k': 'cloudformation.amazonaws.com', 'aws:CalledVia': ['cloudformation.amazonaws.com'] },
      false,
    ],
    [
      'variables in ArnLike',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:${aws:PrincipalAccount}:trail/*' } },
      { 'aws:SourceArn': 'arn:aws:cloudtrail:eu-west-1:111111111111:trail/t' },
      true,
    ],
    [
      'no variables in Numeric operators',
      { NumericEquals: { 'x:n': '${x:m}' } },
      { 'x:n': '5', 'x:m': '5' },
      false,
    ],
  ])('%s', (_name, block, context, expected) => {
    expect(holds(block, context)).toBe(expected);
  });

  it('a 2008-10-17 (or version-less) policy reads ${...} literally', () => {
    const block = { StringEquals: { 's3:prefix': 'home/${aws:username}' } };
    expect(holds(block, { 's3:prefix': 'home/Adele' }, false)).toBe(false);
    expect(holds(block, { 's3:prefix': 'home/${aws:username}' }, false)).toBe(true);
  });

  it('a negated operator whose only value has no variable value matches every request value', () => {
    // The value matches nothing, so the request's value equals none of the policy's values.
    expect(holds({ StringNotEquals: { 'x:k': '${x:absent}' } }, { 'x:k': 'v' })).toBe(true);
  });
});

describe('parseTemplate', () => {
  const opts = { variables: true, wildcards: true };
  const resolve = (text: string, context: Record<string, string>) =>
    resolveText(
      parseTemplate(text, { ...opts, wildcards: false }),
      contextView({ principal: user, action: 'x:Y', resource: '*', context }),
    );

  it("ignores spaces around the key and the default (`${ key , 'default' }`)", () => {
    expect(resolve("home/${ aws:PrincipalTag/team , 'none' }/", {})).toBe('home/none/');
    expect(resolve("home/${ aws:PrincipalTag/team , 'none' }/", { 'aws:PrincipalTag/team': 'ops' })).toBe(
      'home/ops/',
    );
  });

  it('reads key names case-insensitively', () => {
    expect(resolve('${AWS:PRINCIPALTAG/Team}', { 'aws:principaltag/team': 'ops' })).toBe('ops');
  });

  it('keeps a closing brace inside a quoted default', () => {
    expect(resolve("${x:absent, 'a}b'}", {})).toBe('a}b');
  });

  it('reads an unclosed ${ as literal text', () => {
    expect(resolve('a${x:k', { 'x:k': 'v' })).toBe('a${x:k');
  });

  it('splits wildcards around variables and keeps ${*} literal', () => {
    expect(parseTemplate('a*${x:k}?${*}', opts).tokens).toEqual(['a', STAR, { key: 'x:k' }, ONE, '*']);
  });

  it('fills aws:username from an IAM user ARN and aws:PrincipalAccount from the account', () => {
    expect(resolve('${aws:username}@${aws:PrincipalAccount}', {})).toBe('Adele@111111111111');
  });
});

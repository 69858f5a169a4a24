/**
 * parsePolicy refuses what IAM refuses, with IAM's words, and names the field and the value; a
 * document the sandbox stored that AWS would refuse is a rehearsal AWS would not run.
 */
import { MalformedPolicyDocumentError } from '../../../src/sandbox/iam/errors';
import { parsePolicy } from '../../../src/sandbox/iam/policy';

const allowAll = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' } as const;

function refusal(input: unknown, options = {}): MalformedPolicyDocumentError {
  try {
    parsePolicy(input as never, 'role Deploy inline policy Test', options);
  } catch (error) {
    if (error instanceof MalformedPolicyDocumentError) return error;
    throw error;
  }
  throw new Error('expected parsePolicy to refuse the document');
}

describe('normalising', () => {
  it('turns a single statement and string elements into lists', () => {
    const policy = parsePolicy(
      {
        Version: '2012-10-17',
        Statement: {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { AWS: 'arn:aws:iam::111111111111:root', Service: ['cloudformation.amazonaws.com'] },
          Condition: {
            StringEquals: { 'sts:ExternalId': 'x', 'aws:PrincipalOrgID': ['o-1', 'o-2'] },
            Bool: { 'aws:SecureTransport': true },
          },
        },
      },
      'trust',
      { kind: 'resource' },
    );
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['sts:AssumeRole'],
          Principal: { AWS: ['arn:aws:iam::111111111111:root'], Service: ['cloudformation.amazonaws.com'] },
          Condition: {
            StringEquals: { 'sts:ExternalId': ['x'], 'aws:PrincipalOrgID': ['o-1', 'o-2'] },
            Bool: { 'aws:SecureTransport': ['true'] },
          },
        },
      ],
    });
  });

  it('keeps "*" as the Principal', () => {
    const policy = parsePolicy({ Statement: [{ ...allowAll, Principal: '*' }] }, 'bucket policy', {
      kind: 'resource',
    });
    expect(policy.Statement[0]!.Principal).toBe('*');
  });

  it('parses JSON text and the same text only once', () => {
    const text = JSON.stringify({ Version: '2012-10-17', Statement: [allowAll] });
    const first = parsePolicy(text, 'a');
    expect(first.Statement[0]!.Action).toEqual(['s3:GetObject']);
    expect(parsePolicy(text, 'b')).toBe(first);
  });

  it('parses the same object only once, per kind', () => {
    const doc = { Version: '2012-10-17', Statement: [allowAll] };
    expect(parsePolicy(doc, 'a', { kind: 'identity' })).toBe(parsePolicy(doc, 'b', { kind: 'identity' }));
    expect(() => parsePolicy(doc, 'c', { kind: 'resource' })).toThrow(MalformedPolicyDocumentError);
  });
});

describe("refusals with IAM's MalformedPolicyDocument messages", () => {
  it.each<[string, unknown, object, string, string]>([
    ['text that is not JSON', '{"Statement": [', {}, 'Syntax errors in policy.', 'the document'],
    ['a JSON array', '[]', {}, 'Syntax errors in policy.', 'the document'],
    ['no Statement', { Version: '2012-10-17' }, {}, 'Syntax errors in policy.', 'Statement'],
    ['an empty Statement list', { Statement: [] }, {}, 'Syntax errors in policy.', 'Statement'],
    [
      'an unknown top-level element',
      { Statement: [allowAll], Statements: [] },
      {},
      'Syntax errors in policy.',
      'Statements',
    ],
    [
      'a Version IAM does not know',
      { Version: '2012-10-18', Statement: [allowAll] },
      {},
      'Syntax errors in policy.',
      'Version',
    ],
    [
      'a missing Effect',
      { Statement: [{ Action: 's3:*', Resource: '*' }] },
      {},
      'Syntax errors in policy.',
      'Statement[0].Effect',
    ],
    [
      'an Effect that is neither Allow nor Deny',
      { Statement: [{ ...allowAll, Effect: 'Permit' }] },
      {},
      'Syntax errors in policy.',
      'Statement[0].Effect',
    ],
    [
      'a lower-case effect',
      { Statement: [{ ...allowAll, Effect: 'allow' }] },
      {},
      'The policy failed legacy parsing',
      'Statement[0].Effect',
    ],
    [
      'both Action and NotAction',
      { Statement: [{ ...allowAll, NotAction: 's3:PutObject' }] },
      {},
      'Syntax errors in policy.',
      'Statement[0]',
    ],
    [
      'both Resource and NotResource',
      { Statement: [{ ...allowAll, NotResource: 'arn:aws:s3:::x' }] },
      {},
      'Syntax errors in policy.',
      'Statement[0]',
    ],
    [
      'an unknown statement element',
      { Statement: [{ ...allowAll, Actions: 's3:*' }] },
      {},
      'Syntax errors in policy.',
      'Statement[0].Actions',
    ],
    [
      'an Action that is an object',
      { Statement: [{ ...allowAll, Action: { s3: 'GetObject' } }] },
      {},
      'Syntax errors in policy.',
      'Statement[0].Action',
    ],
    [
      'an unknown condition operator',
      { Statement: [{ ...allowAll, Condition: { StringEqualz: { 'aws:SourceAccount': '1' } } }] },
      {},
      'Syntax errors in policy.',
      'Statement[0].Condition.StringEqualz',
    ],
    [
      'a condition value that is an object',
      { Statement: [{ ...allowAll, Condition: { StringEquals: { 'aws:SourceAccount': { a: 1 } } } }] },
      {},
      'Syntax errors in policy.',
      'Statement[0].Condition.StringEquals.aws:SourceAccount',
    ],
    [
      'a date that is not a date',
      { Statement: [{ ...allowAll, Condition: { DateLessThan: { 'aws:CurrentTime': 'tomorrow' } } }] },
      {},
      'The policy failed legacy parsing',
      'Statement[0].Condition.DateLessThan.aws:CurrentTime',
    ],
    [
      'no Action',
      { Statement: [{ Effect: 'Allow', Resource: '*' }] },
      {},
      'Policy statement must contain actions.',
      'Statement[0].Action',
    ],
    [
      'an empty Action list',
      { Statement: [{ ...allowAll, Action: [] }] },
      {},
      'Policy statement must contain actions.',
      'Statement[0].Action',
    ],
    [
      'an action without a service prefix',
      { Statement: [{ ...allowAll, Action: 'GetObject' }] },
      {},
      'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
      'Statement[0].Action[0]',
    ],
    [
      'an action with two colons',
      { Statement: [{ ...allowAll, Action: 's3:Get:Object' }] },
      {},
      'Actions/Condition can contain only one colon.',
      'Statement[0].Action[0]',
    ],
    [
      'a resource that is not an ARN',
      { Statement: [{ ...allowAll, Resource: 'my-bucket' }] },
      {},
      'Resource my-bucket must be in ARN format or "*".',
      'Statement[0].Resource',
    ],
    [
      'a Principal in an identity policy',
      { Statement: [{ ...allowAll, Principal: { AWS: '111111111111' } }] },
      { kind: 'identity' },
      'Policy document should not specify a principal.',
      'Statement[0].Principal',
    ],
    [
      'a NotPrincipal in an identity policy',
      { Statement: [{ ...allowAll, NotPrincipal: { AWS: '111111111111' } }] },
      { kind: 'identity' },
      'Policy document should not specify a principal.',
      'Statement[0].NotPrincipal',
    ],
    [
      'an identity statement without Resource',
      { Statement: [{ Effect: 'Allow', Action: 's3:*' }] },
      { kind: 'identity' },
      'Policy statement must contain resources.',
      'Statement[0].Resource',
    ],
    [
      'a resource policy statement without Principal',
      { Statement: [allowAll] },
      { kind: 'resource' },
      'Missing required field Principal',
      'Statement[0].Principal',
    ],
    [
      'an unknown principal type',
      { Statement: [{ ...allowAll, Principal: { User: 'x' } }] },
      { kind: 'resource' },
      'Invalid principal in policy',
      'Statement[0].Principal.User',
    ],
    [
      'both Principal and NotPrincipal',
      { Statement: [{ ...allowAll, Principal: '*', NotPrincipal: '*' }] },
      { kind: 'resource' },
      'Syntax errors in policy.',
      'Statement[0]',
    ],
    [
      'repeated Sids',
      {
        Statement: [
          { ...allowAll, Sid: 'A' },
          { ...allowAll, Sid: 'A' },
        ],
      },
      { kind: 'identity' },
      'Statement IDs (SID) in a single policy must be unique.',
      'Statement[1].Sid',
    ],
    [
      'a managed policy of Version 2008-10-17',
      { Version: '2008-10-17', Statement: [allowAll] },
      { kind: 'identity', managed: true },
      'Policy document must be version 2012-10-17 or greater.',
      'Version',
    ],
  ])('%s', (_name, input, options, awsMessage, field) => {
    const error = refusal(input, options);
    expect(error.awsMessage).toBe(awsMessage);
    expect(error.field).toBe(field);
    expect(error.code).toBe('MalformedPolicyDocument');
    expect(error.name).toBe('MalformedPolicyDocumentError');
    expect(error.message).toContain(`MalformedPolicyDocument: ${awsMessage}`);
    expect(error.message).toContain('role Deploy inline policy Test');
  });

  it('names the value it received', () => {
    const error = refusal({ Statement: [{ ...allowAll, Effect: 'Permit' }] });
    expect(error.received).toBe('Permit');
    expect(error.message).toContain('Received: "Permit"');
  });

  it('accepts both versions IAM knows, and none', () => {
    for (const Version of ['2012-10-17', '2008-10-17', undefined]) {
      expect(parsePolicy({ Version, Statement: [allowAll] } as never, 'v').Statement).toHaveLength(1);
    }
  });

  it('accepts an unknown operator with no keys, as IAM does', () => {
    expect(
      parsePolicy({ Statement: [{ ...allowAll, Condition: { Whatever: {} } }] }, 'c').Statement,
    ).toHaveLength(1);
  });

  it('accepts every documented operator with set prefixes and IfExists', () => {
    const Condition = {
      'ForAnyValue:StringLike': { 'aws:TagKeys': 'a*' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['a'] },
      StringNotEqualsIfExists: { 'aws:SourceAccount': '1' },
      ArnLikeIfExists: { 'aws:SourceArn': 'arn:*' },
      NumericLessThanEquals: { 's3:max-keys': 10 },
      DateGreaterThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' },
      IpAddress: { 'aws:SourceIp': '10.0.0.0/8' },
      Null: { 'aws:TokenIssueTime': 'true' },
      BinaryEquals: { 'x:b': 'QQ==' },
      Bool: { 'aws:SecureTransport': false },
    };
    expect(
      parsePolicy({ Statement: [{ ...allowAll, Condition }] }, 'c').Statement[0]!.Condition,
    ).toBeDefined();
  });
});

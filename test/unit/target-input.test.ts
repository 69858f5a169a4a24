import { InvalidInputError } from '../../src/core/errors';
import { clientRequestToken, executionRoleArn, roleSessionName } from '../../src/core/names';
import { cloudFormationRoleArn, parseS3Url, parseTargetInput } from '../../src/core/target-input';
import { deployTargetInput } from '../helpers/deploy-fixtures';

const valid = deployTargetInput();

function refusal(change: Record<string, unknown>): InvalidInputError {
  try {
    parseTargetInput({ ...valid, ...change });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error(`accepted ${JSON.stringify(change)}`);
}

describe('deploy-target input', () => {
  it('accepts the contract example and tolerates extra keys from the engine and the workflow', () => {
    const parsed = parseTargetInput({
      ...valid,
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID:
        'arn:aws:states:us-east-1:111111111111:execution:rollout:ro-1',
      stack: { status: 'IN_PROGRESS' },
    });
    expect(parsed).toEqual({
      ...valid,
      cloudFormationRoleName: 'StackFleetCloudFormation',
      stackEvents: false,
    });
    expect(parsed).not.toHaveProperty('stack');
  });

  it('fills defaults and writes numbers and booleans in parameters as strings', () => {
    const { parameters, tags, capabilities, externalId, timeoutSeconds, ...rest } = valid;
    const parsed = parseTargetInput({ ...rest, parameters: { Retention: 90, Enabled: true } });
    expect(parsed.parameters).toEqual({ Retention: '90', Enabled: 'true' });
    expect(parsed.tags).toEqual({});
    expect(parsed.capabilities).toEqual([]);
    expect(parsed.timeoutSeconds).toBe(3600);
    expect(parsed.stackEvents).toBe(false);
    expect(parsed).not.toHaveProperty('externalId');
  });

  it.each([
    [
      'stack events flag as a string',
      { stackEvents: 'yes' },
      'stackEvents',
      'stackEvents must be true or false. Received: yes',
    ],
    [
      'malformed account id',
      { accountId: '12ab' },
      'accountId',
      'accountId must be 12 digits. Received: 12ab',
    ],
    ['account id as a number', { accountId: 123456789012 }, 'accountId', 'Received: 123456789012'],
    [
      'unknown region',
      { region: 'eu-west-9' },
      'region',
      'region must be an AWS region code such as eu-west-1. Received: eu-west-9',
    ],
    [
      'http template URL',
      { templateUrl: 'http://b.s3.amazonaws.com/t.yaml?versionId=1' },
      'templateUrl',
      'must use https',
    ],
    [
      'non-S3 template URL',
      { templateUrl: 'https://example.com/t.yaml?versionId=1' },
      'templateUrl',
      'must point at S3',
    ],
    [
      'unpinned template URL',
      { templateUrl: 'https://b.s3.amazonaws.com/t.yaml' },
      'templateUrl',
      'versionId',
    ],
    [
      'template URL that is not a URL',
      { templateUrl: 'baseline.yaml' },
      'templateUrl',
      'Received: baseline.yaml',
    ],
    ['stack name starting with a digit', { stackName: '1baseline' }, 'stackName', 'Received: 1baseline'],
    ['stack name with an underscore', { stackName: 'base_line' }, 'stackName', 'must start with a letter'],
    ['stack name over 128 characters', { stackName: `a${'b'.repeat(128)}` }, 'stackName', 'at most 128'],
    [
      'role session name over 64 characters',
      { rolloutId: `ro-${'x'.repeat(60)}` },
      'rolloutId',
      'the role session name "stackfleet-ro-xxx',
    ],
    ['rollout id with a space', { rolloutId: 'ro 1' }, 'rolloutId', 'Received: ro 1'],
    [
      'unknown mode',
      { mode: 'destroy' },
      'mode',
      'mode must be one of deploy, preview, drift. Received: destroy',
    ],
    ['missing template version', { templateVersion: undefined }, 'templateVersion', 'Received: nothing'],
    ['role name with a path', { executionRoleName: 'path/Role' }, 'executionRoleName', 'no path'],
    ['external id too short', { externalId: 'x' }, 'externalId', 'Received: x'],
    [
      'unknown capability',
      { capabilities: ['CAPABILITY_EVERYTHING'] },
      'capabilities',
      'Received: CAPABILITY_EVERYTHING',
    ],
    [
      'parameter that is an object',
      { parameters: { A: { b: 1 } } },
      'parameters.A',
      'parameters.A must be a string',
    ],
    ['reserved tag prefix', { tags: { 'aws:owner': 'x' } }, 'tags.aws:owner', 'reserved aws: prefix'],
    [
      'tag on stackfleet keys',
      { tags: { 'stackfleet:rollout-id': 'x' } },
      'tags.stackfleet:rollout-id',
      'stackfleet: prefix',
    ],
    ['timeout below a minute', { timeoutSeconds: 5 }, 'timeoutSeconds', 'from 60 to 86400. Received: 5'],
    ['fractional timeout', { timeoutSeconds: 90.5 }, 'timeoutSeconds', 'Received: 90.5'],
  ])('refuses a %s, naming the field and the value', (_case, change, field, message) => {
    const error = refusal(change);
    expect(error.name).toBe('InvalidInput');
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  it.each([
    'https://bucket.s3.amazonaws.com/t.yaml?versionId=1',
    'https://bucket.s3-us-west-2.amazonaws.com/t.yaml?versionId=1',
    'https://s3.eu-west-1.amazonaws.com/bucket/t.yaml?versionId=1',
    'https://bucket.s3.cn-north-1.amazonaws.com.cn/t.yaml?versionId=1',
  ])('accepts the S3 URL form %s', (templateUrl) => {
    expect(parseTargetInput({ ...valid, templateUrl }).templateUrl).toBe(templateUrl);
  });

  it('passes the bootstrap CloudFormation service role by default, another one when named, none when null', () => {
    const arn = (change: Record<string, unknown>) =>
      cloudFormationRoleArn(parseTargetInput({ ...valid, ...change }));
    expect(arn({})).toBe('arn:aws:iam::123456789012:role/StackFleetCloudFormation');
    expect(arn({ cloudFormationRoleName: 'BaselineDeployer' })).toBe(
      'arn:aws:iam::123456789012:role/BaselineDeployer',
    );
    expect(arn({ cloudFormationRoleName: null })).toBeUndefined();
    expect(arn({ cloudFormationRoleName: '' })).toBeUndefined();
    expect(refusal({ cloudFormationRoleName: 'a/b' }).message).toContain(
      'cloudFormationRoleName must be an IAM role name',
    );
  });

  it('refuses something that is not an object', () => {
    expect(() => parseTargetInput('deploy')).toThrow('input must be an object. Received: deploy');
  });
});

describe('S3 template locations', () => {
  it.each([
    [
      'https://my-bucket.s3.us-east-1.amazonaws.com/templates/baseline.yaml?versionId=abc',
      'my-bucket',
      'templates/baseline.yaml',
      'abc',
    ],
    [
      'https://my.dotted.bucket.s3-us-west-2.amazonaws.com/a%20b.yaml?versionId=1',
      'my.dotted.bucket',
      'a b.yaml',
      '1',
    ],
    ['https://s3.eu-west-1.amazonaws.com/bucket/dir/t.json', 'bucket', 'dir/t.json', undefined],
  ])('%s is bucket %s, key %s, version %s', (url, bucket, key, versionId) => {
    expect(parseS3Url(url)).toMatchObject({ bucket, key, ...(versionId ? { versionId } : {}) });
  });

  it('knows the bucket region from the host, when the host says it', () => {
    expect(parseS3Url('https://b.s3.eu-west-1.amazonaws.com/k')?.region).toBe('eu-west-1');
    expect(parseS3Url('https://b.s3-us-west-2.amazonaws.com/k')?.region).toBe('us-west-2');
    expect(parseS3Url('https://s3.dualstack.us-gov-west-1.amazonaws.com/b/k')?.region).toBe('us-gov-west-1');
    expect(parseS3Url('https://b.s3.amazonaws.com/k')?.region).toBeUndefined();
  });

  it('is undefined for URLs that are not S3 objects', () => {
    expect(parseS3Url('https://example.com/t.yaml')).toBeUndefined();
    expect(parseS3Url('https://bucket.s3.amazonaws.com/')).toBeUndefined();
    expect(parseS3Url('not a url')).toBeUndefined();
  });
});

describe('derived names', () => {
  it('session names carry the rollout id', () => {
    expect(roleSessionName('ro-20261127-1a2b3c')).toBe('stackfleet-ro-20261127-1a2b3c');
  });

  it('role ARNs use the partition of the region', () => {
    expect(executionRoleArn('123456789012', 'R', 'eu-west-1')).toBe('arn:aws:iam::123456789012:role/R');
    expect(executionRoleArn('123456789012', 'R', 'cn-north-1')).toBe('arn:aws-cn:iam::123456789012:role/R');
    expect(executionRoleArn('123456789012', 'R', 'us-gov-west-1')).toBe(
      'arn:aws-us-gov:iam::123456789012:role/R',
    );
  });

  it('client request tokens are deterministic, distinct per operation and target, and within 128 [a-zA-Z0-9-]', () => {
    const a = clientRequestToken('update', 'ro-1', '123456789012', 'eu-west-1');
    expect(a).toBe(clientRequestToken('update', 'ro-1', '123456789012', 'eu-west-1'));
    expect(a).not.toBe(clientRequestToken('create', 'ro-1', '123456789012', 'eu-west-1'));
    expect(a).not.toBe(clientRequestToken('update', 'ro-1', '123456789012', 'eu-west-2'));
    const long = clientRequestToken(
      'continue-rollback',
      `ro.${'x'.repeat(200)}`,
      '123456789012',
      'ap-southeast-3',
    );
    const longer = clientRequestToken(
      'continue-rollback',
      `ro.${'x'.repeat(201)}`,
      '123456789012',
      'ap-southeast-3',
    );
    for (const token of [a, long]) expect(token).toMatch(/^[a-zA-Z0-9-]{1,128}$/);
    expect(long).not.toBe(longer);
  });
});

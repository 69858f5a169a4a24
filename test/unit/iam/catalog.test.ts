/**
 * The Service Authorization Reference lookups: services map API operations to these actions, and a
 * misspelt action in a mapping would silently never match a policy.
 */
import { actionDetails, isKnownAction, resourceArnFormat } from '../../../src/sandbox/iam/catalog';

describe('isKnownAction', () => {
  it.each([
    's3:GetObject',
    'sts:AssumeRole',
    'cloudformation:CreateStack',
    'kms:Decrypt',
    'iam:PassRole',
    'organizations:ListAccounts',
  ])('%s is an AWS action', (action) => {
    expect(isKnownAction(action)).toBe(true);
  });

  it('reads action names case-insensitively, as IAM does', () => {
    expect(isKnownAction('S3:getobject')).toBe(true);
  });

  it.each([
    's3:GetObjekt',
    'stss:AssumeRole',
    'kms:Decrypt:Now',
    's3',
    's3:',
    ':GetObject',
    '../../package:json',
  ])('%s is not', (action) => {
    expect(isKnownAction(action)).toBe(false);
  });
});

describe('actionDetails', () => {
  it('gives the access level, resource types with ARN formats, and condition keys', () => {
    const details = actionDetails('s3:GetObject');
    expect(details).toMatchObject({ service: 's3', name: 'GetObject', accessLevel: 'Read' });
    expect(details!.resourceTypes).toContainEqual(
      expect.objectContaining({
        name: 'object',
        arnFormat: 'arn:${Partition}:s3:::${BucketName}/${ObjectName}',
      }),
    );
    expect(details!.conditionKeys).toContain('s3:ResourceAccount');
  });

  it("spells the action as AWS does, whatever the caller's case", () => {
    expect(actionDetails('sts:assumerole')?.name).toBe('AssumeRole');
    expect(actionDetails('iam:passrole')?.accessLevel).toBe('Write');
  });

  it('returns the same object on every lookup', () => {
    expect(actionDetails('kms:Decrypt')).toBe(actionDetails('kms:Decrypt'));
  });

  it('is undefined for an unknown action', () => {
    expect(actionDetails('kms:Decrypted')).toBeUndefined();
  });
});

describe('resourceArnFormat', () => {
  it.each([
    ['kms', 'key', 'arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}'],
    ['iam', 'role', 'arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}'],
    [
      'cloudformation',
      'stack',
      'arn:${Partition}:cloudformation:${Region}:${Account}:stack/${StackName}/${Id}',
    ],
  ])('%s %s', (service, type, format) => {
    expect(resourceArnFormat(service, type)).toBe(format);
  });

  it('is undefined for an unknown type or service', () => {
    expect(resourceArnFormat('kms', 'door')).toBeUndefined();
    expect(resourceArnFormat('nope', 'key')).toBeUndefined();
  });
});

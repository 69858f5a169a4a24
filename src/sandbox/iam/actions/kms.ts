/**
 * KMS permissions asked on behalf of a caller through another service (S3, SNS): the key policy is
 * the resource policy in 'kms' mode (KMS Developer Guide, key-policies: no IAM policy grants access
 * to a key unless its key policy allows it, directly or by enabling IAM policies of the account),
 * with kms:ViaService, kms:CallerAccount and the service's encryption context.
 */
import { AwsError } from '../../types';
import type { AuthorizationSpec } from '../authorize';
import { kmsKeyFacts } from '../kms-keys';
import type { ActionEnv } from './types';

/**
 * The spec for `action` on a key named by ARN, id or alias, asked through `service` (`s3`, `sns`)
 * in the caller's region, with encryption context `ctx` (`kms:EncryptionContext:<key>` keys).
 */
export function kmsViaServiceSpec(
  env: ActionEnv,
  action: string,
  keyIdOrArn: string,
  service: string,
  encryptionContext: Record<string, string> = {},
): AuthorizationSpec {
  const key = kmsKeyFacts(env.world, keyIdOrArn, env.region, env.caller.accountId);
  if (key.policy === undefined) {
    // S3 and SNS pass KMS's answer on: a key that does not exist (S3 API reference, error codes: KMS.NotFoundException).
    throw new AwsError(
      'KMS.NotFoundException',
      `Invalid keyId '${keyIdOrArn}': the key does not exist in the sandbox.`,
      400,
    );
  }
  const context: AuthorizationSpec['context'] = {
    'kms:ViaService': `${service}.${env.region}.amazonaws.com`,
    'kms:CallerAccount': env.caller.accountId,
    'kms:EncryptionContextKeys': Object.keys(encryptionContext),
  };
  for (const [k, v] of Object.entries(encryptionContext)) context[`kms:EncryptionContext:${k}`] = v;
  for (const [k, v] of Object.entries(key.tags)) context[`aws:ResourceTag/${k}`] = v;
  const spec: AuthorizationSpec = {
    action,
    resource: key.arn,
    resourceAccountId: key.accountId,
    resourcePolicyMode: 'kms',
    resourcePolicy: key.policy,
    context,
  };
  return spec;
}

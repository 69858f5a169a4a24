import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag';

/** Key prefixes inside the artifact bucket; the functions and state machines use the same ones. */
export const ArtifactPrefixes = {
  /** Published templates, read cross-account by CloudFormation through the execution roles. */
  templates: 'templates/',
  /** Per-rollout manifests, Distributed Map results and summaries. */
  rollouts: 'rollouts/',
  /**
   * The stack-event token store (src/core/stack-waits.ts STACK_WAIT_PREFIX): one small object per
   * watched stack operation, removed when used; the lifecycle rule removes what was not.
   */
  stackWaits: 'stack-waits/',
} as const;

export interface ArtifactStoreProps {
  /**
   * Organisation whose execution roles may read templates (CloudFormation fetches TemplateURL
   * with the caller's credentials, i.e. the execution role in the target account).
   */
  readonly organizationId: string;
  /** Name of the execution role in the target accounts. */
  readonly executionRoleName: string;
  /**
   * Days before a non-current object version is deleted. Templates are addressed by version id,
   * so keep this longer than the oldest rollout you may want to re-run.
   * @default 365
   */
  readonly noncurrentVersionRetentionDays?: number;
  /**
   * What happens to the buckets and key when the stack is deleted.
   * @default RemovalPolicy.RETAIN (templates and rollout history are audit evidence)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The artifact bucket (templates, manifests, results, summaries) with its customer-managed key
 * and the access-log bucket. One key also encrypts the notification topic, so one key policy
 * says who may read anything stackfleet stores.
 */
export class ArtifactStore extends Construct {
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ArtifactStoreProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    // Grant S3 log delivery through a bucket policy, not the legacy ACL, so ACLs stay disabled.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    this.key = new kms.Key(this, 'Key', {
      description: 'stackfleet artifacts and notifications',
      enableKeyRotation: true,
      removalPolicy,
    });

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(730) }],
      removalPolicy,
    });
    acknowledgeNag(
      this.accessLogBucket,
      'This is the server access log destination; logging it into itself would loop.',
      'AwsSolutions-S1',
    );

    this.bucket = new s3.Bucket(this, 'Bucket', {
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'artifacts/',
      lifecycleRules: [
        {
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionRetentionDays ?? 365),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        // Records expire in hours (their expiresAt, checked by every reader); leftovers go after a day.
        {
          prefix: ArtifactPrefixes.stackWaits,
          expiration: Duration.days(1),
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
      removalPolicy,
    });

    // Target accounts' execution roles read templates (CloudFormation uses their credentials).
    const executionRoles = {
      StringEquals: { 'aws:PrincipalOrgID': props.organizationId },
      ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::*:role/${props.executionRoleName}` },
    };
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ExecutionRolesReadTemplates',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.bucket.arnForObjects(`${ArtifactPrefixes.templates}*`)],
        conditions: executionRoles,
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ExecutionRolesDecryptTemplatesThroughS3',
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          ...executionRoles,
          StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' },
        },
      }),
    );
  }
}

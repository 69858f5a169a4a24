/**
 * S3 (REST/XML): buckets with versioning, default encryption and bucket policies, and the object
 * and multipart operations stackfleet and the AWS CLI use to hold templates, target manifests and
 * results. Buckets are global and owned by the creating account; CloudFormation reads
 * TemplateURLs through `world.readObject` (see `readObjectFromState`).
 */
import type { RestResult } from '../protocols/rest-xml';
import { childText, escapeXml } from '../protocols/xml';
import { AwsError, type ServiceEmulator } from '../types';
import { own, setOwn } from '../world';
import { bucketConfigOperations } from './s3-bucket-config';
import { bucketFor, isoDate, NS, readXmlBody, xml } from './s3-common';
import { multipartOperations } from './s3-multipart';
import { objectOperations } from './s3-objects';
import { s3State } from './s3-state';

export {
  bucketEncryptionOf,
  bucketOwnerOf,
  bucketPolicyOf,
  objectEncryptionOf,
  parseS3Url,
  readObjectFromState,
  type S3Bucket,
  type S3Encryption,
  type S3ObjectVersion,
  type S3State,
  s3State,
} from './s3-state';

const BUCKET_NAME = /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function createS3Service(): ServiceEmulator {
  return {
    signingName: 's3',
    protocol: 'rest-xml',
    operations: {
      ListBuckets(_p, ctx): RestResult {
        const state = s3State(ctx.world);
        const mine = Object.entries(state.buckets)
          .filter(([, b]) => b.owner === ctx.caller.accountId)
          .sort(([a], [b]) => (a < b ? -1 : 1));
        const items = mine
          .map(
            ([name, b]) =>
              `<Bucket><Name>${escapeXml(name)}</Name><CreationDate>${isoDate(b.createdAt)}</CreationDate><BucketRegion>${b.region}</BucketRegion></Bucket>`,
          )
          .join('');
        return xml(
          `<ListAllMyBucketsResult xmlns="${NS}"><Owner><ID>${ctx.caller.accountId}</ID></Owner><Buckets>${items}</Buckets></ListAllMyBucketsResult>`,
        );
      },
      CreateBucket(p, ctx): RestResult {
        const name = String(p.Bucket ?? '');
        if (!BUCKET_NAME.test(name) || name.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(name)) {
          throw new AwsError('InvalidBucketName', `The specified bucket is not valid. Received: ${name}`);
        }
        const doc = readXmlBody(p.Body as Buffer);
        const constraint = doc ? childText(doc, 'LocationConstraint') : undefined;
        // AWS refuses a regional endpoint without a LocationConstraint; the sandbox is lenient and
        // puts the bucket in the region the request was sent to.
        const region = constraint || ctx.region;
        if (constraint && constraint !== ctx.region) {
          throw new AwsError(
            'IllegalLocationConstraintException',
            `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to (${ctx.region}).`,
          );
        }
        const state = s3State(ctx.world);
        const existing = own(state.buckets, name);
        if (existing) {
          if (existing.owner === ctx.caller.accountId) {
            throw new AwsError(
              'BucketAlreadyOwnedByYou',
              'Your previous request to create the named bucket succeeded and you already own it.',
              409,
            );
          }
          throw new AwsError(
            'BucketAlreadyExists',
            'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
            409,
          );
        }
        // The creating account owns the bucket (s3:ResourceAccount); see bucketOwnerOf.
        setOwn(state.buckets, name, {
          owner: ctx.caller.accountId,
          region,
          createdAt: ctx.now(),
          objects: {},
        });
        return { headers: { location: `/${name}` } };
      },
      HeadBucket(p, ctx): RestResult {
        const bucket = bucketFor(ctx, p.Bucket);
        return { headers: { 'x-amz-bucket-region': bucket.region } };
      },
      DeleteBucket(p, ctx): RestResult {
        const bucket = bucketFor(ctx, p.Bucket);
        if (Object.keys(bucket.objects).length > 0) {
          throw new AwsError('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409);
        }
        delete s3State(ctx.world).buckets[String(p.Bucket)];
        return { statusCode: 204 };
      },
      ...bucketConfigOperations,
      ...objectOperations,
      ...multipartOperations,
    },
  };
}

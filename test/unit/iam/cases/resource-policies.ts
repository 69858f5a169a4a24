/** Resource-based policies in the same account and across accounts, and service principals in bucket policies. */
import {
  ADMIN,
  ALLOW,
  allow,
  anonymous,
  artifactBucketPolicy,
  bucket,
  denyStatement,
  deployer,
  deployerRole,
  executionSession,
  explicit,
  fullAccess,
  implicit,
  inAdminBucket,
  ORG,
  OUTSIDER,
  object,
  policy,
  type Row,
  readTemplates,
  request,
  s3Only,
  service,
  TARGET,
  trailBucket,
  trailBucketPolicy,
  trailSource,
  user,
} from './fixtures';

export const resourcePoliciesCases: Row[] = [
  // ---- resource-based policies in the same account ----
  {
    name: '[logic] same account: a bucket policy naming the role session allows without any identity policy',
    request: request(deployer, 's3:GetObject', object),
    policies: {
      resourcePolicy: policy(allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: deployer.arn } })),
    },
    expected: ALLOW,
  },
  {
    name: '[logic] same account: a grant to the role session is not limited by boundary or session policy',
    request: request(deployer, 's3:GetObject', object),
    policies: {
      resourcePolicy: policy(allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: deployer.arn } })),
      permissionsBoundary: policy(allow('kms:*')),
      sessionPolicies: [policy(allow('kms:*'))],
    },
    expected: ALLOW,
  },
  {
    name: '[logic] same account: a bucket policy naming the IAM user allows without identity policy or boundary',
    request: request(user(ADMIN, 'Adele'), 's3:GetObject', object),
    policies: {
      resourcePolicy: policy(
        allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: `arn:aws:iam::${ADMIN}:user/Adele` } }),
      ),
      permissionsBoundary: policy(allow('kms:*')),
    },
    expected: ALLOW,
  },
  {
    name: '[logic] same account: a bucket policy naming the role ARN allows without an identity policy',
    request: request(deployer, 's3:GetObject', object),
    policies: {
      resourcePolicy: policy(allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: deployerRole } })),
    },
    expected: ALLOW,
  },
  {
    name: '[logic] same account: a grant to the role ARN "is limited by an implicit deny in a ... session policy"',
    request: request(deployer, 's3:GetObject', object),
    policies: {
      resourcePolicy: policy(allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: deployerRole } })),
      sessionPolicies: [policy(allow('kms:*'))],
    },
    expected: implicit('session policy'),
  },
  {
    name: '[logic] same account: a grant to the role ARN is limited by an implicit deny in a permissions boundary',
    request: request(deployer, 's3:GetObject', object),
    policies: {
      resourcePolicy: policy(allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: deployerRole } })),
      permissionsBoundary: policy(allow('kms:*')),
    },
    expected: implicit('permissions boundary'),
  },
  {
    name: '[elements Principal] naming the account delegates to its IAM policies: no identity Allow, no access',
    request: request(deployer, 's3:GetObject', object),
    policies: {
      resourcePolicy: policy(
        allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: `arn:aws:iam::${ADMIN}:root` } }),
      ),
    },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[logic] an explicit deny in the bucket policy (aws:SecureTransport false) beats an identity Allow',
    request: request(deployer, 's3:GetObject', trailBucket.concat('/x'), { 'aws:SecureTransport': false }),
    policies: { resourcePolicy: trailBucketPolicy, identityPolicies: [fullAccess] },
    expected: explicit('resource-based policy', 'DenyInsecureTransport'),
  },
  {
    name: '[logic] a public grant ("Principal": "*") allows a principal of the account without policies',
    request: request(deployer, 's3:GetObject', object),
    policies: { resourcePolicy: policy(allow('s3:GetObject', `${bucket}/*`, { Principal: '*' })) },
    expected: ALLOW,
  },
  {
    name: '[logic] an anonymous request is allowed only by a public grant',
    request: request(anonymous, 's3:GetObject', object),
    policies: { resourcePolicy: policy(allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: '*' } })) },
    expected: ALLOW,
  },
  {
    name: '[logic] an anonymous request without a public grant',
    request: request(anonymous, 's3:GetObject', object),
    policies: { resourcePolicy: artifactBucketPolicy },
    expected: implicit('resource-based policy'),
  },
  {
    name: '[elements NotPrincipal] a Deny spares a role session only when its session, role and account are listed',
    request: request(deployer, 's3:GetObject', object),
    policies: {
      identityPolicies: [s3Only],
      resourcePolicy: policy(
        denyStatement('s3:*', '*', {
          Sid: 'OnlyDeployer',
          NotPrincipal: { AWS: [deployerRole, `arn:aws:iam::${ADMIN}:root`] },
        }),
      ),
    },
    expected: explicit('resource-based policy', 'OnlyDeployer'),
  },
  {
    name: '[elements NotPrincipal] with session, role and account listed the Deny does not apply',
    request: request(deployer, 's3:GetObject', object),
    policies: {
      identityPolicies: [s3Only],
      resourcePolicy: policy(
        denyStatement('s3:*', '*', {
          NotPrincipal: { AWS: [deployer.arn, deployerRole, `arn:aws:iam::${ADMIN}:root`] },
        }),
      ),
    },
    expected: ALLOW,
  },

  // ---- cross-account ----
  {
    name: '[cross] the bucket policy leaves out the account: denied despite the identity Allow',
    request: request(
      executionSession,
      's3:GetObject',
      object,
      { ...inAdminBucket, 'aws:PrincipalOrgID': ORG },
      ADMIN,
    ),
    policies: {
      identityPolicies: [readTemplates],
      resourcePolicy: policy(allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: OUTSIDER } })),
    },
    expected: implicit('resource-based policy'),
  },
  {
    name: '[cross] no bucket policy at all: denied across accounts',
    request: request(executionSession, 's3:GetObject', object, inAdminBucket, ADMIN),
    policies: { identityPolicies: [readTemplates] },
    expected: implicit('resource-based policy'),
  },
  {
    name: "[cross] the bucket policy allows the account but the requester's identity policy does not",
    request: request(executionSession, 's3:GetObject', object, inAdminBucket, ADMIN),
    policies: {
      identityPolicies: [],
      resourcePolicy: policy(allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: TARGET } })),
    },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[cross] both sides allow',
    request: request(executionSession, 's3:GetObject', object, inAdminBucket, ADMIN),
    policies: {
      identityPolicies: [readTemplates],
      resourcePolicy: policy(allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: TARGET } })),
    },
    expected: ALLOW,
  },
  {
    name: '[cross] a grant naming the session directly still needs the identity Allow across accounts',
    request: request(executionSession, 's3:GetObject', object, inAdminBucket, ADMIN),
    policies: {
      resourcePolicy: policy(
        allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: executionSession.arn } }),
      ),
    },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[cross] the artifact bucket: aws:PrincipalOrgID and aws:PrincipalArn (derived from the role) match',
    request: request(
      executionSession,
      's3:GetObject',
      object,
      { ...inAdminBucket, 'aws:PrincipalOrgID': ORG },
      ADMIN,
    ),
    policies: { identityPolicies: [readTemplates], resourcePolicy: artifactBucketPolicy },
    expected: ALLOW,
  },
  {
    name: '[cross] the artifact bucket refuses a principal of another organisation',
    request: request(
      executionSession,
      's3:GetObject',
      object,
      { ...inAdminBucket, 'aws:PrincipalOrgID': 'o-other' },
      ADMIN,
    ),
    policies: { identityPolicies: [readTemplates], resourcePolicy: artifactBucketPolicy },
    expected: implicit('resource-based policy'),
  },
  {
    name: "[condition keys] s3:ResourceAccount: the execution role reads templates only from the admin account's buckets",
    request: request(
      executionSession,
      's3:GetObject',
      'arn:aws:s3:::evil/templates/x',
      { 's3:ResourceAccount': OUTSIDER, 'aws:PrincipalOrgID': ORG },
      OUTSIDER,
    ),
    policies: {
      identityPolicies: [readTemplates],
      resourcePolicy: policy(allow('s3:GetObject', '*', { Principal: '*' })),
    },
    expected: implicit('identity-based policy'),
  },

  // ---- service principals in bucket policies ----
  {
    name: '[elements Principal] CloudTrail delivers with aws:SourceAccount and aws:SourceArn matching',
    request: request(
      service('cloudtrail.amazonaws.com'),
      's3:PutObject',
      `${trailBucket}/AWSLogs/${TARGET}/CloudTrail/x.json.gz`,
      trailSource,
    ),
    policies: { resourcePolicy: trailBucketPolicy },
    expected: ALLOW,
  },
  {
    name: "[elements Principal] CloudTrail delivering for another account's trail (aws:SourceArn differs)",
    request: request(
      service('cloudtrail.amazonaws.com'),
      's3:PutObject',
      `${trailBucket}/AWSLogs/${TARGET}/CloudTrail/x.json.gz`,
      {
        ...trailSource,
        'aws:SourceArn': `arn:aws:cloudtrail:eu-west-1:${OUTSIDER}:trail/other`,
      },
    ),
    policies: { resourcePolicy: trailBucketPolicy },
    expected: implicit('resource-based policy'),
  },
  {
    name: '[elements Principal] {"Service": ...} names only that service',
    request: request(
      service('config.amazonaws.com'),
      's3:PutObject',
      `${trailBucket}/AWSLogs/${TARGET}/CloudTrail/x.json.gz`,
      trailSource,
    ),
    policies: { resourcePolicy: trailBucketPolicy },
    expected: implicit('resource-based policy'),
  },
  {
    name: '[elements Principal] a service principal over plain HTTP meets the bucket policy Deny',
    request: request(
      service('cloudtrail.amazonaws.com'),
      's3:PutObject',
      `${trailBucket}/AWSLogs/${TARGET}/CloudTrail/x.json.gz`,
      {
        ...trailSource,
        'aws:SecureTransport': false,
      },
    ),
    policies: { resourcePolicy: trailBucketPolicy },
    expected: explicit('resource-based policy', 'DenyInsecureTransport'),
  },
  {
    name: '[elements Principal] a service principal is not matched by an account principal',
    request: request(service('cloudtrail.amazonaws.com'), 's3:PutObject', `${trailBucket}/x`),
    policies: { resourcePolicy: policy(allow('s3:PutObject', '*', { Principal: { AWS: TARGET } })) },
    expected: implicit('resource-based policy'),
  },
];

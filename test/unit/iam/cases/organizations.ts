/** Service control policies and resource control policies (Organizations User Guide, orgs_manage_policies_scps / _rcps). */
import {
  ADMIN,
  ALLOW,
  allow,
  artifactBucketPolicy,
  bucket,
  denyStatement,
  deployer,
  executionSession,
  explicit,
  fullAccess,
  implicit,
  inAdminBucket,
  ORG,
  OUTSIDER,
  object,
  orgPerimeterRcp,
  policy,
  type Row,
  readTemplates,
  regionGuard,
  request,
  root,
  s3Only,
  service,
  session,
  TARGET,
  trailBucket,
  trailBucketPolicy,
  trailSource,
} from './fixtures';

export const organizationsCases: Row[] = [
  // ---- service control policies ----
  {
    name: '[SCP] a level with no Allow for the action denies (every level must allow)',
    request: request(
      executionSession,
      'cloudformation:CreateStack',
      `arn:aws:cloudformation:eu-west-1:${TARGET}:stack/baseline/x`,
    ),
    policies: { scps: [[fullAccess], [policy(allow('s3:*'))]], identityPolicies: [fullAccess] },
    expected: implicit('service control policy'),
  },
  {
    name: '[SCP] Allow at every level, then the identity policy decides',
    request: request(
      executionSession,
      'cloudformation:CreateStack',
      `arn:aws:cloudformation:eu-west-1:${TARGET}:stack/baseline/x`,
    ),
    policies: { scps: [[fullAccess], [fullAccess], [fullAccess]], identityPolicies: [fullAccess] },
    expected: ALLOW,
  },
  {
    name: '[SCP] SCPs grant nothing: an SCP Allow without an identity Allow denies',
    request: request(
      executionSession,
      'cloudformation:CreateStack',
      `arn:aws:cloudformation:eu-west-1:${TARGET}:stack/baseline/x`,
    ),
    policies: { scps: [[fullAccess]], identityPolicies: [] },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[SCP] an explicit deny of a region via aws:RequestedRegion',
    request: request(
      executionSession,
      'cloudformation:CreateStack',
      `arn:aws:cloudformation:us-east-1:${TARGET}:stack/b/x`,
      {
        'aws:RequestedRegion': 'us-east-1',
      },
    ),
    policies: { scps: [[regionGuard]], identityPolicies: [fullAccess] },
    expected: explicit('service control policy', 'DenyOutsideEu'),
  },
  {
    name: '[SCP] the same SCP lets an allowed region through',
    request: request(
      executionSession,
      'cloudformation:CreateStack',
      `arn:aws:cloudformation:eu-west-1:${TARGET}:stack/b/x`,
      {
        'aws:RequestedRegion': 'eu-west-1',
      },
    ),
    policies: { scps: [[regionGuard]], identityPolicies: [fullAccess] },
    expected: ALLOW,
  },
  {
    name: "[SCP] SCPs don't affect the management account",
    request: request(session(ADMIN, 'Admin', 'x', { inManagementAccount: true }), 'ec2:RunInstances', '*', {
      'aws:RequestedRegion': 'us-east-1',
    }),
    policies: { scps: [[regionGuard]], identityPolicies: [fullAccess] },
    expected: ALLOW,
  },
  {
    name: "[SCP] SCPs don't restrict service-linked roles",
    request: request(
      session(TARGET, 'aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig', 'Config', {
        serviceLinkedRole: true,
      }),
      'config:PutEvaluations',
      '*',
      { 'aws:RequestedRegion': 'us-east-1' },
    ),
    policies: { scps: [[regionGuard]], identityPolicies: [fullAccess] },
    expected: ALLOW,
  },
  {
    name: "[SCP] SCPs restrict a member account's root user",
    request: request(root(TARGET), 's3:DeleteBucket', 'arn:aws:s3:::x', {
      'aws:RequestedRegion': 'us-east-1',
    }),
    policies: { scps: [[regionGuard]] },
    expected: explicit('service control policy', 'DenyOutsideEu'),
  },
  {
    name: '[SCP] SCPs do not apply to service principals',
    request: request(
      service('cloudtrail.amazonaws.com'),
      's3:PutObject',
      `${trailBucket}/AWSLogs/${TARGET}/x.json.gz`,
      {
        ...trailSource,
        'aws:RequestedRegion': 'us-east-1',
      },
    ),
    policies: { scps: [[regionGuard]], resourcePolicy: trailBucketPolicy },
    expected: ALLOW,
  },
  {
    name: '[SCP] an SCP deny beats a resource policy allow',
    request: request(
      executionSession,
      's3:GetObject',
      object,
      { 'aws:RequestedRegion': 'us-east-1', 'aws:PrincipalOrgID': ORG },
      ADMIN,
    ),
    policies: {
      scps: [[regionGuard]],
      resourcePolicy: artifactBucketPolicy,
      identityPolicies: [readTemplates],
    },
    expected: explicit('service control policy', 'DenyOutsideEu'),
  },

  // ---- resource control policies ----
  {
    name: "[RCP] an RCP deny of principals outside the organisation beats the bucket's allow",
    request: request(session(OUTSIDER, 'Reader'), 's3:GetObject', object, {}, ADMIN),
    policies: {
      rcps: [[orgPerimeterRcp]],
      resourcePolicy: policy(allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: OUTSIDER } })),
      identityPolicies: [s3Only],
    },
    expected: explicit('resource control policy', 'EnforceOrgIdentities'),
  },
  {
    name: '[RCP] aws:PrincipalIsAWSService (always in the context) exempts a service principal from the perimeter',
    request: request(
      service('cloudtrail.amazonaws.com'),
      's3:PutObject',
      `${trailBucket}/AWSLogs/${TARGET}/x.json.gz`,
      trailSource,
    ),
    policies: { rcps: [[orgPerimeterRcp]], resourcePolicy: trailBucketPolicy },
    expected: ALLOW,
  },
  {
    name: '[RCP] "Resources and entities not restricted by RCPs": service-linked roles',
    request: request(
      session(TARGET, 'aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig', 'Config', {
        serviceLinkedRole: true,
      }),
      's3:GetObject',
      object,
      inAdminBucket,
      ADMIN,
    ),
    policies: {
      rcps: [[orgPerimeterRcp]],
      resourcePolicy: policy(allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: TARGET } })),
      identityPolicies: [fullAccess],
    },
    expected: ALLOW,
  },
  {
    name: '[RCP] the same RCP lets a principal of the organisation through',
    request: request(
      executionSession,
      's3:GetObject',
      object,
      { ...inAdminBucket, 'aws:PrincipalOrgID': ORG },
      ADMIN,
    ),
    policies: {
      rcps: [
        [
          policy(
            allow('*', '*', { Principal: '*' }),
            denyStatement('s3:*', '*', {
              Principal: '*',
              Condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': ORG } },
            }),
          ),
        ],
      ],
      resourcePolicy: artifactBucketPolicy,
      identityPolicies: [readTemplates],
    },
    expected: ALLOW,
  },
  {
    name: '[RCP] every RCP level must allow',
    request: request(deployer, 's3:GetObject', object),
    policies: {
      rcps: [
        [policy(allow('*', '*', { Principal: '*' }))],
        [policy(allow('kms:*', '*', { Principal: '*' }))],
      ],
      identityPolicies: [s3Only],
    },
    expected: implicit('resource control policy'),
  },
];

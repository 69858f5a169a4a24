/** Identity-based policies, permissions boundaries and session policies (reference_policies_evaluation-logic). */
import {
  ADMIN,
  ALLOW,
  allow,
  bucket,
  denyStatement,
  deployer,
  executionSession,
  explicit,
  federated,
  fullAccess,
  implicit,
  inAdminBucket,
  object,
  policy,
  type Row,
  request,
  s3Only,
  TARGET,
  user,
} from './fixtures';

export const identityCases: Row[] = [
  // ---- identity-based policies, action and resource matching ----
  {
    name: '[logic] an identity-based Allow allows',
    request: request(deployer, 's3:GetObject', object),
    policies: { identityPolicies: [policy(allow('s3:GetObject', `${bucket}/*`))] },
    expected: ALLOW,
  },
  {
    name: '[logic] "By default, all requests are implicitly denied"',
    request: request(deployer, 's3:GetObject', object),
    policies: {},
    expected: implicit('identity-based policy'),
  },
  {
    name: '[logic] "An explicit deny in any policy overrides any allows" (identity-based)',
    request: request(deployer, 's3:DeleteObject', object),
    policies: { identityPolicies: [s3Only, policy(denyStatement('s3:Delete*', '*', { Sid: 'NoDeletes' }))] },
    expected: explicit('identity-based policy', 'NoDeletes'),
  },
  {
    name: '[logic] an Allow for another action does not allow',
    request: request(deployer, 's3:PutObject', object),
    policies: { identityPolicies: [policy(allow('s3:GetObject', '*'))] },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[elements Action] action names are case-insensitive',
    request: request(deployer, 's3:GetObject', object),
    policies: { identityPolicies: [policy(allow('S3:getobject', `${bucket}/*`))] },
    expected: ALLOW,
  },
  {
    name: '[elements Resource] resource ARNs are case-sensitive',
    request: request(deployer, 's3:GetObject', object),
    policies: { identityPolicies: [policy(allow('s3:GetObject', 'arn:aws:s3:::Admin-Artifacts/*'))] },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[elements NotAction] Allow with NotAction allows what it does not list',
    request: request(deployer, 's3:GetObject', object),
    policies: { identityPolicies: [policy({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })] },
    expected: ALLOW,
  },
  {
    name: '[elements NotAction] and not what it lists',
    request: request(deployer, 'iam:CreateUser', `arn:aws:iam::${ADMIN}:user/x`),
    policies: { identityPolicies: [policy({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })] },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[elements NotResource] Deny with NotResource denies every other resource',
    request: request(deployer, 's3:GetObject', 'arn:aws:s3:::elsewhere/k'),
    policies: {
      identityPolicies: [
        s3Only,
        policy({ Effect: 'Deny', Sid: 'OnlyArtifacts', Action: 's3:*', NotResource: `${bucket}/*` }),
      ],
    },
    expected: explicit('identity-based policy', 'OnlyArtifacts'),
  },
  {
    name: '[elements NotResource] but not the resource it names',
    request: request(deployer, 's3:GetObject', object),
    policies: {
      identityPolicies: [s3Only, policy({ Effect: 'Deny', Action: 's3:*', NotResource: `${bucket}/*` })],
    },
    expected: ALLOW,
  },
  {
    name: '[variables] ${aws:username} in Resource allows the user her own prefix',
    request: request(user(ADMIN, 'Adele'), 's3:PutObject', `${bucket}/home/Adele/notes.txt`),
    policies: { identityPolicies: [policy(allow('s3:PutObject', `${bucket}/home/\${aws:username}/*`))] },
    expected: ALLOW,
  },
  {
    name: "[variables] ${aws:username} in Resource does not reach another user's prefix",
    request: request(user(ADMIN, 'Adele'), 's3:PutObject', `${bucket}/home/David/notes.txt`),
    policies: { identityPolicies: [policy(allow('s3:PutObject', `${bucket}/home/\${aws:username}/*`))] },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[variables] a role session has no aws:username: the Resource with it matches nothing',
    request: request(deployer, 's3:PutObject', `${bucket}/home/run/notes.txt`),
    policies: { identityPolicies: [policy(allow('s3:PutObject', `${bucket}/home/\${aws:username}/*`))] },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[variables] a 2008-10-17 policy reads ${aws:username} literally',
    request: request(user(ADMIN, 'Adele'), 's3:PutObject', `${bucket}/home/Adele/notes.txt`),
    policies: {
      identityPolicies: [
        { Version: '2008-10-17', Statement: [allow('s3:PutObject', `${bucket}/home/\${aws:username}/*`)] },
      ],
    },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[variables] ${aws:PrincipalTag/team} in Resource',
    request: request(deployer, 's3:GetObject', `${bucket}/teams/platform/x`, {
      'aws:PrincipalTag/team': 'platform',
    }),
    policies: {
      identityPolicies: [policy(allow('s3:GetObject', `${bucket}/teams/\${aws:PrincipalTag/team}/*`))],
    },
    expected: ALLOW,
  },

  // ---- permissions boundaries ----
  {
    name: '[logic boundaries] a boundary without the action limits an identity Allow',
    request: request(executionSession, 'iam:CreateRole', `arn:aws:iam::${TARGET}:role/StackFleet-X`),
    policies: { identityPolicies: [fullAccess], permissionsBoundary: s3Only },
    expected: implicit('permissions boundary'),
  },
  {
    name: '[logic boundaries] identity policy and boundary both allow',
    request: request(executionSession, 's3:GetObject', object, inAdminBucket, ADMIN),
    policies: {
      identityPolicies: [fullAccess],
      permissionsBoundary: s3Only,
      resourcePolicy: policy(allow('s3:GetObject', '*', { Principal: { AWS: TARGET } })),
    },
    expected: ALLOW,
  },
  {
    name: '[logic boundaries] a boundary grants nothing by itself',
    request: request(executionSession, 's3:ListBucket', 'arn:aws:s3:::target-bucket'),
    policies: { identityPolicies: [], permissionsBoundary: s3Only },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[logic] an explicit deny in the permissions boundary',
    request: request(executionSession, 'iam:DeleteRole', `arn:aws:iam::${TARGET}:role/x`),
    policies: {
      identityPolicies: [fullAccess],
      permissionsBoundary: policy(allow('*'), denyStatement('iam:Delete*', '*', { Sid: 'NoIamDeletes' })),
    },
    expected: explicit('permissions boundary', 'NoIamDeletes'),
  },

  // ---- session policies ----
  {
    name: '[logic session] a session policy limits the role: intersection of role policy and session policy',
    request: request(deployer, 's3:PutObject', object),
    policies: { identityPolicies: [s3Only], sessionPolicies: [policy(allow('s3:GetObject'))] },
    expected: implicit('session policy'),
  },
  {
    name: '[logic session] the session policy allows what the role allows',
    request: request(deployer, 's3:GetObject', object),
    policies: { identityPolicies: [s3Only], sessionPolicies: [policy(allow('s3:GetObject'))] },
    expected: ALLOW,
  },
  {
    name: '[logic session] inline and managed session policies together',
    request: request(deployer, 's3:PutObject', object),
    policies: {
      identityPolicies: [s3Only],
      sessionPolicies: [policy(allow('s3:GetObject')), policy(allow('s3:PutObject'))],
    },
    expected: ALLOW,
  },
  {
    name: '[logic] an explicit deny in a session policy',
    request: request(deployer, 's3:DeleteObject', object),
    policies: {
      identityPolicies: [s3Only],
      sessionPolicies: [policy(allow('s3:*'), denyStatement('s3:DeleteObject', '*', { Sid: 'ReadMostly' }))],
    },
    expected: explicit('session policy', 'ReadMostly'),
  },
  {
    name: '[logic session] a federated user (GetFederationToken) without a session policy has no permissions',
    request: request(federated(ADMIN, 'ops'), 's3:GetObject', object),
    policies: { identityPolicies: [s3Only] },
    expected: implicit('session policy'),
  },
  {
    name: "[logic session] a federated user's session policy within the user's policies",
    request: request(federated(ADMIN, 'ops'), 's3:GetObject', object),
    policies: { identityPolicies: [s3Only], sessionPolicies: [policy(allow('s3:Get*'))] },
    expected: ALLOW,
  },
];

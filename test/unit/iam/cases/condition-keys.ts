/** The global and service condition keys issue 14 lists, and the missing-key rules in whole evaluations. */
import {
  ADMIN,
  ALLOW,
  allow,
  bucket,
  denyStatement,
  executionSession,
  explicit,
  implicit,
  inAdminBucket,
  ORG,
  object,
  policy,
  type Row,
  readTemplates,
  request,
  s3Only,
  service,
  session,
  TARGET,
} from './fixtures';

export const conditionKeysCases: Row[] = [
  // ---- global and service condition keys from issue 14 ----
  {
    name: '[condition keys] aws:CalledVia (ForAnyValue:StringEquals): only through CloudFormation',
    request: request(executionSession, 'iam:CreateRole', `arn:aws:iam::${TARGET}:role/StackFleet-X`, {
      'aws:CalledVia': ['cloudformation.amazonaws.com'],
    }),
    policies: {
      identityPolicies: [
        policy(
          allow('iam:CreateRole', '*', {
            Condition: { 'ForAnyValue:StringEquals': { 'aws:CalledVia': 'cloudformation.amazonaws.com' } },
          }),
        ),
      ],
    },
    expected: ALLOW,
  },
  {
    name: '[condition keys] aws:CalledVia absent on a direct call: ForAnyValue is false',
    request: request(executionSession, 'iam:CreateRole', `arn:aws:iam::${TARGET}:role/StackFleet-X`),
    policies: {
      identityPolicies: [
        policy(
          allow('iam:CreateRole', '*', {
            Condition: { 'ForAnyValue:StringEquals': { 'aws:CalledVia': 'cloudformation.amazonaws.com' } },
          }),
        ),
      ],
    },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[condition keys] iam:PassedToService: passing the CloudFormation role to CloudFormation',
    request: request(
      executionSession,
      'iam:PassRole',
      `arn:aws:iam::${TARGET}:role/StackFleet-CloudFormation`,
      { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
    ),
    policies: {
      identityPolicies: [
        policy(
          allow('iam:PassRole', `arn:aws:iam::${TARGET}:role/StackFleet-CloudFormation`, {
            Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
          }),
        ),
      ],
    },
    expected: ALLOW,
  },
  {
    name: '[condition keys] iam:PassedToService: not to Lambda',
    request: request(
      executionSession,
      'iam:PassRole',
      `arn:aws:iam::${TARGET}:role/StackFleet-CloudFormation`,
      { 'iam:PassedToService': 'lambda.amazonaws.com' },
    ),
    policies: {
      identityPolicies: [
        policy(
          allow('iam:PassRole', '*', {
            Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
          }),
        ),
      ],
    },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[condition keys] iam:PermissionsBoundary: CreateRole only with the boundary attached',
    request: request(
      session(TARGET, 'StackFleet-CloudFormation'),
      'iam:CreateRole',
      `arn:aws:iam::${TARGET}:role/StackFleet-X`,
      {
        'iam:PermissionsBoundary': `arn:aws:iam::${TARGET}:policy/StackFleet-Boundary`,
      },
    ),
    policies: {
      identityPolicies: [
        policy(
          allow('iam:CreateRole', '*', {
            Condition: {
              StringEquals: {
                'iam:PermissionsBoundary': `arn:aws:iam::${TARGET}:policy/StackFleet-Boundary`,
              },
            },
          }),
        ),
      ],
    },
    expected: ALLOW,
  },
  {
    name: '[condition keys] iam:PermissionsBoundary: a role created without one',
    request: request(
      session(TARGET, 'StackFleet-CloudFormation'),
      'iam:CreateRole',
      `arn:aws:iam::${TARGET}:role/StackFleet-X`,
    ),
    policies: {
      identityPolicies: [
        policy(
          allow('iam:CreateRole', '*', {
            Condition: {
              StringEquals: {
                'iam:PermissionsBoundary': `arn:aws:iam::${TARGET}:policy/StackFleet-Boundary`,
              },
            },
          }),
        ),
      ],
    },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[condition keys] cloudformation:RoleArn: stacks only with the CloudFormation service role',
    request: request(
      executionSession,
      'cloudformation:CreateStack',
      `arn:aws:cloudformation:eu-west-1:${TARGET}:stack/StackFleet-baseline/x`,
      {
        'cloudformation:RoleArn': `arn:aws:iam::${TARGET}:role/StackFleet-CloudFormation`,
      },
    ),
    policies: {
      identityPolicies: [
        policy(
          allow('cloudformation:CreateStack', `arn:aws:cloudformation:*:${TARGET}:stack/StackFleet-*/*`, {
            Condition: {
              StringEquals: {
                'cloudformation:RoleArn': `arn:aws:iam::${TARGET}:role/StackFleet-CloudFormation`,
              },
            },
          }),
        ),
      ],
    },
    expected: ALLOW,
  },
  {
    name: '[condition keys] cloudformation:RoleArn absent (no RoleARN passed)',
    request: request(
      executionSession,
      'cloudformation:CreateStack',
      `arn:aws:cloudformation:eu-west-1:${TARGET}:stack/StackFleet-baseline/x`,
    ),
    policies: {
      identityPolicies: [
        policy(
          allow('cloudformation:CreateStack', '*', {
            Condition: {
              StringEquals: {
                'cloudformation:RoleArn': `arn:aws:iam::${TARGET}:role/StackFleet-CloudFormation`,
              },
            },
          }),
        ),
      ],
    },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[condition keys] aws:RequestTag/... and aws:TagKeys (ForAllValues:StringEquals) on tagging',
    request: request(executionSession, 'sns:TagResource', `arn:aws:sns:eu-west-1:${TARGET}:alerts`, {
      'aws:RequestTag/owner': 'stackfleet',
      'aws:TagKeys': ['owner'],
    }),
    policies: {
      identityPolicies: [
        policy(
          allow('sns:TagResource', '*', {
            Condition: {
              StringEquals: { 'aws:RequestTag/owner': 'stackfleet' },
              'ForAllValues:StringEquals': { 'aws:TagKeys': ['owner', 'purpose'] },
            },
          }),
        ),
      ],
    },
    expected: ALLOW,
  },
  {
    name: '[condition keys] aws:TagKeys with a key not in the list (ForAllValues)',
    request: request(executionSession, 'sns:TagResource', `arn:aws:sns:eu-west-1:${TARGET}:alerts`, {
      'aws:RequestTag/owner': 'stackfleet',
      'aws:TagKeys': ['owner', 'costcenter'],
    }),
    policies: {
      identityPolicies: [
        policy(
          allow('sns:TagResource', '*', {
            Condition: {
              StringEquals: { 'aws:RequestTag/owner': 'stackfleet' },
              'ForAllValues:StringEquals': { 'aws:TagKeys': ['owner', 'purpose'] },
            },
          }),
        ),
      ],
    },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[condition keys] aws:ResourceTag/team equal to ${aws:PrincipalTag/team}',
    request: request(
      executionSession,
      'cloudformation:UpdateStack',
      `arn:aws:cloudformation:eu-west-1:${TARGET}:stack/x/y`,
      { 'aws:ResourceTag/team': 'platform', 'aws:PrincipalTag/team': 'platform' },
    ),
    policies: {
      identityPolicies: [
        policy(
          allow('cloudformation:UpdateStack', '*', {
            Condition: { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } },
          }),
        ),
      ],
    },
    expected: ALLOW,
  },
  {
    name: '[condition keys] aws:ResourceOrgID: only resources of the organisation',
    request: request(executionSession, 's3:GetObject', 'arn:aws:s3:::elsewhere/x', {
      'aws:ResourceOrgID': 'o-other',
    }),
    policies: {
      identityPolicies: [
        s3Only,
        policy(
          denyStatement('s3:*', '*', {
            Sid: 'StayInOrg',
            Condition: { StringNotEquals: { 'aws:ResourceOrgID': ORG } },
          }),
        ),
      ],
    },
    expected: explicit('identity-based policy', 'StayInOrg'),
  },
  {
    name: '[condition keys] key names in conditions are case-insensitive',
    request: request(service('logging.s3.amazonaws.com'), 's3:PutObject', 'arn:aws:s3:::access-logs/x', {
      'aws:SourceAccount': TARGET,
    }),
    policies: {
      resourcePolicy: policy(
        allow('s3:PutObject', 'arn:aws:s3:::access-logs/*', {
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Condition: { StringEquals: { 'AWS:SOURCEACCOUNT': TARGET } },
        }),
      ),
    },
    expected: ALLOW,
  },
  {
    name: '[condition keys] a missing key with a negated operator in a Deny: the Deny applies',
    request: request(executionSession, 's3:GetObject', object, inAdminBucket, ADMIN),
    policies: {
      identityPolicies: [readTemplates],
      resourcePolicy: policy(
        allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: TARGET } }),
        denyStatement('s3:*', '*', {
          Sid: 'OrgOnly',
          Principal: '*',
          Condition: { StringNotEquals: { 'aws:PrincipalOrgID': ORG } },
        }),
      ),
    },
    expected: explicit('resource-based policy', 'OrgOnly'),
  },
  {
    name: '[operators IfExists] "a negated condition operator like StringNotEqualsIfExists ... is still denied even if the tag is missing"',
    request: request(executionSession, 's3:GetObject', object, inAdminBucket, ADMIN),
    policies: {
      identityPolicies: [readTemplates],
      resourcePolicy: policy(
        allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: TARGET } }),
        denyStatement('s3:*', '*', {
          Sid: 'OrgOnlyIfExists',
          Principal: '*',
          Condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': ORG } },
        }),
      ),
    },
    expected: explicit('resource-based policy', 'OrgOnlyIfExists'),
  },
  {
    name: '[operators IfExists] in an Allow, a request without the key passes ("evaluate the condition element as true")',
    request: request(executionSession, 's3:GetObject', object, inAdminBucket, ADMIN),
    policies: {
      identityPolicies: [readTemplates],
      resourcePolicy: policy(
        allow('s3:GetObject', `${bucket}/*`, {
          Principal: { AWS: TARGET },
          Condition: { StringEqualsIfExists: { 'aws:PrincipalOrgID': ORG } },
        }),
      ),
    },
    expected: ALLOW,
  },
  {
    name: '[operators] the same Allow without IfExists refuses the request without the key',
    request: request(executionSession, 's3:GetObject', object, inAdminBucket, ADMIN),
    policies: {
      identityPolicies: [readTemplates],
      resourcePolicy: policy(
        allow('s3:GetObject', `${bucket}/*`, {
          Principal: { AWS: TARGET },
          Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
        }),
      ),
    },
    expected: implicit('resource-based policy'),
  },
];

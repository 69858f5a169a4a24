/**
 * Denials read as AWS writes them (IAM User Guide, troubleshoot_access-denied, "Access denied error
 * message examples"), because a target's readable failure reason is this text.
 */
import { evaluate } from '../../../src/sandbox/iam/evaluate';
import { denialMessage } from '../../../src/sandbox/iam/messages';
import type { AuthorizationRequest, Decision } from '../../../src/sandbox/iam/types';

const sessionRequest: AuthorizationRequest = {
  principal: {
    kind: 'role-session',
    arn: 'arn:aws:sts::123456789012:assumed-role/R/S',
    accountId: '123456789012',
    roleArn: 'arn:aws:iam::123456789012:role/R',
  },
  action: 's3:GetObject',
  resource: 'arn:aws:s3:::b/k',
  context: {},
};
const head =
  'User: arn:aws:sts::123456789012:assumed-role/R/S is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k';

describe('denialMessage', () => {
  it.each<[string, Decision, string]>([
    [
      'implicit, identity-based',
      { effect: 'Deny', explicit: false, policyKind: 'identity-based policy' },
      `${head} because no identity-based policy allows the s3:GetObject action`,
    ],
    [
      'explicit, identity-based ("with an explicit deny in an identity-based policy")',
      { effect: 'Deny', explicit: true, policyKind: 'identity-based policy' },
      `${head} with an explicit deny in an identity-based policy`,
    ],
    [
      'implicit, resource-based',
      { effect: 'Deny', explicit: false, policyKind: 'resource-based policy' },
      `${head} because no resource-based policy allows the s3:GetObject action`,
    ],
    [
      'explicit, resource-based',
      { effect: 'Deny', explicit: true, policyKind: 'resource-based policy', sid: 'DenyInsecureTransport' },
      `${head} with an explicit deny in a resource-based policy`,
    ],
    [
      'implicit, permissions boundary',
      { effect: 'Deny', explicit: false, policyKind: 'permissions boundary' },
      `${head} because no permissions boundary allows the s3:GetObject action`,
    ],
    [
      'explicit, permissions boundary',
      { effect: 'Deny', explicit: true, policyKind: 'permissions boundary' },
      `${head} with an explicit deny in a permissions boundary`,
    ],
    [
      'implicit, session policy',
      { effect: 'Deny', explicit: false, policyKind: 'session policy' },
      `${head} because no session policy allows the s3:GetObject action`,
    ],
    [
      'explicit, SCP',
      { effect: 'Deny', explicit: true, policyKind: 'service control policy' },
      `${head} with an explicit deny in a service control policy`,
    ],
    [
      'implicit, SCP: "always includes the phrase ... explicit deny ..., even if the denial is implicit"',
      { effect: 'Deny', explicit: false, policyKind: 'service control policy' },
      `${head} with an explicit deny in a service control policy`,
    ],
    [
      'explicit, RCP',
      { effect: 'Deny', explicit: true, policyKind: 'resource control policy' },
      `${head} with an explicit deny in a resource control policy`,
    ],
  ])('%s', (_name, decision, expected) => {
    expect(denialMessage(sessionRequest, decision)).toBe(expected);
  });

  it('leaves out " on resource:" for actions on "*", as the guide\'s ListRepositories example does', () => {
    const request: AuthorizationRequest = {
      principal: { kind: 'user', arn: 'arn:aws:iam::123456789012:user/JohnDoe', accountId: '123456789012' },
      action: 'codecommit:ListRepositories',
      resource: '*',
      context: {},
    };
    expect(denialMessage(request, evaluate(request, {}))).toBe(
      'User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: codecommit:ListRepositories because no identity-based policy allows the codecommit:ListRepositories action',
    );
  });

  it('says nothing for an allowed request', () => {
    expect(denialMessage(sessionRequest, { effect: 'Allow' })).toBeUndefined();
  });

  it('words a real evaluation: a trust policy that does not trust the caller', () => {
    const request: AuthorizationRequest = {
      ...sessionRequest,
      action: 'sts:AssumeRole',
      resource: 'arn:aws:iam::210987654321:role/StackFleet-Execution',
      resourceAccountId: '210987654321',
    };
    const decision = evaluate(request, {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' },
        ],
      },
      identityPolicies: [
        { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] },
      ],
    });
    expect(denialMessage(request, decision)).toBe(
      'User: arn:aws:sts::123456789012:assumed-role/R/S is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::210987654321:role/StackFleet-Execution because no resource-based policy allows the sts:AssumeRole action',
    );
  });
});

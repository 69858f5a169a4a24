/**
 * The public entry point the integrator wires into the sandbox's services: a stored policy, a
 * request, a decision and the message the caller reads, all through `src/sandbox/iam`.
 */
import {
  type AuthorizationRequest,
  awsManagedPolicy,
  denialMessage,
  evaluate,
  isKnownAction,
  MalformedPolicyDocumentError,
  parsePolicy,
} from '../../../src/sandbox/iam';

const request: AuthorizationRequest = {
  principal: {
    kind: 'role-session',
    arn: 'arn:aws:sts::222222222222:assumed-role/StackFleet-Execution/deploy',
    accountId: '222222222222',
    roleArn: 'arn:aws:iam::222222222222:role/StackFleet-Execution',
  },
  action: 'cloudformation:CreateStack',
  resource: 'arn:aws:cloudformation:eu-west-1:222222222222:stack/StackFleet-baseline/1',
  context: { 'aws:RequestedRegion': 'eu-west-1' },
};

describe('src/sandbox/iam', () => {
  it('decides with a stored inline policy and an AWS managed policy, and words the denial', () => {
    expect(isKnownAction(request.action)).toBe(true);
    const readOnly = awsManagedPolicy('arn:aws:iam::aws:policy/ReadOnlyAccess')!;
    const decision = evaluate(request, { identityPolicies: [readOnly] });
    expect(denialMessage(request, decision)).toBe(
      'User: arn:aws:sts::222222222222:assumed-role/StackFleet-Execution/deploy is not authorized to perform: cloudformation:CreateStack on resource: arn:aws:cloudformation:eu-west-1:222222222222:stack/StackFleet-baseline/1 because no identity-based policy allows the cloudformation:CreateStack action',
    );
    const inline = parsePolicy(
      '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"cloudformation:CreateStack","Resource":"arn:aws:cloudformation:*:222222222222:stack/StackFleet-*/*"}}',
      'role StackFleet-Execution inline policy DriveBaselineStacks',
      { kind: 'identity' },
    );
    expect(evaluate(request, { identityPolicies: [readOnly, inline] })).toEqual({ effect: 'Allow' });
  });

  it('refuses a malformed policy when it is stored', () => {
    expect(() =>
      parsePolicy('{"Statement":{"Effect":"Allow","Action":"s3:*"}}', 'x', { kind: 'identity' }),
    ).toThrow(MalformedPolicyDocumentError);
  });
});

/**
 * Access-denied messages in AWS's words (IAM User Guide, troubleshoot_access-denied, "Access denied
 * error message examples"): "Most access denied error messages appear in the format `User user is
 * not authorized to perform action on resource because context`", with "the phrase `with an
 * explicit deny in a type policy`" for an explicit deny and "`because no type policy allows the
 * action action`" for an implicit one. The guide's examples leave " on resource: ..." out for
 * actions on no particular resource (`codecommit:ListRepositories because no VPC endpoint policy
 * allows ...`), as AWS does for `*`. And: "When an SCP denies access, the error message always
 * includes the phrase `due to an explicit deny in a Service Control Policy`, even if the denial is
 * implicit" - its examples read "with an explicit deny in a service control policy"; an RCP denial
 * is worded the same way (RCPs hold only the AWS-managed RCPFullAWSAccess allow, so any RCP denial
 * is in practice a Deny statement).
 */
import type { AuthorizationRequest, Decision, PolicyKind } from './types';

/** "an identity-based policy", "a permissions boundary": the article AWS puts before each kind. */
function withArticle(kind: PolicyKind): string {
  return `${kind === 'identity-based policy' ? 'an' : 'a'} ${kind}`;
}

/**
 * The message AWS gives for a denied request, e.g. `User: arn:aws:sts::123:assumed-role/R/S is not
 * authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k because no identity-based
 * policy allows the s3:GetObject action`. For an allowed request there is no message.
 */
export function denialMessage(request: AuthorizationRequest, decision: Decision): string | undefined {
  if (decision.effect === 'Allow') return undefined;
  const onResource = request.resource === '*' ? '' : ` on resource: ${request.resource}`;
  const head = `User: ${request.principal.arn} is not authorized to perform: ${request.action}${onResource}`;
  const orgPolicy =
    decision.policyKind === 'service control policy' || decision.policyKind === 'resource control policy';
  if (decision.explicit || orgPolicy)
    return `${head} with an explicit deny in ${withArticle(decision.policyKind)}`;
  return `${head} because no ${decision.policyKind} allows the ${request.action} action`;
}

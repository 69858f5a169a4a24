/**
 * The sandbox's IAM policy evaluation: parse and check documents as IAM does, decide requests as
 * AWS's evaluation logic does, word denials as AWS does, and look up AWS's action catalogue and
 * managed policies. Pure apart from the two data lookups, which read installed packages on first use.
 */
export { type ActionDetails, actionDetails, isKnownAction, resourceArnFormat } from './catalog';
export { MalformedPolicyDocumentError } from './errors';
export { evaluate } from './evaluate';
export { awsManagedPolicy } from './managed-policies';
export { denialMessage } from './messages';
export {
  type NormalizedPolicy,
  type NormalizedPrincipal,
  type NormalizedStatement,
  type ParsePolicyOptions,
  type PolicyDocumentKind,
  parsePolicy,
} from './policy';
export type * from './types';

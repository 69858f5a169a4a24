/**
 * The contract of the sandbox's IAM policy evaluation (`src/sandbox/iam/`): policy documents as
 * AWS writes them, the request being authorized, the policies that apply to it, and the decision.
 * The evaluator (evaluate.ts) is pure: it knows nothing of accounts, stacks or services; the
 * authorizer (authorize.ts) collects the policies and the request context for each sandbox call.
 *
 * The logic follows AWS's "Policy evaluation logic" (IAM User Guide, reference_policies_evaluation-logic)
 * and "Cross-account policy evaluation logic" (reference_policies_evaluation-logic-cross-account).
 */

/** A condition value as written in a policy: a string, or a list; numbers and booleans as JSON allows. */
export type ConditionValue = string | number | boolean;

/** `{ "StringEquals": { "aws:PrincipalOrgID": "o-123" } }`: operator -> key -> value(s). */
export type ConditionBlock = Record<string, Record<string, ConditionValue | ConditionValue[]>>;

/** The Principal element: `"*"`, or a map of `AWS` / `Service` / `Federated` / `CanonicalUser` to one or more values. */
export type PrincipalBlock = '*' | Record<string, string | string[]>;

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: PrincipalBlock;
  NotPrincipal?: PrincipalBlock;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

/** Who makes the request, as policies see it. */
export type PrincipalKind =
  /** An account's root user. */
  | 'root'
  /** An IAM user. */
  | 'user'
  /** A role session (`arn:aws:sts::A:assumed-role/R/S`). */
  | 'role-session'
  /** A federated user session (GetFederationToken: `arn:aws:sts::A:federated-user/N`). */
  | 'federated-user'
  /** An AWS service principal acting on its own behalf (`cloudtrail.amazonaws.com`). */
  | 'service'
  /** An unauthenticated request. */
  | 'anonymous';

export interface RequestPrincipal {
  kind: PrincipalKind;
  /** The ARN AWS names in denials (the session ARN for role sessions, the service name for services). */
  arn: string;
  /** The principal's account (absent for services and anonymous). */
  accountId?: string;
  /** For role sessions: the role's ARN with its path (`arn:aws:iam::A:role/path/R`), what trust and resource policies name. */
  roleArn?: string;
  /** For services: `cloudtrail.amazonaws.com`. */
  service?: string;
  /**
   * Whether the principal is the organisation's management account (or a principal in it). SCPs
   * never apply there; this flag lets the authorizer say so without the evaluator knowing organisations.
   */
  inManagementAccount?: boolean;
  /** Service-linked roles are not restricted by SCPs. */
  serviceLinkedRole?: boolean;
  /**
   * For sessions from AssumeRoleWithSAML / AssumeRoleWithWebIdentity: the identity provider a
   * trust policy's `{"Federated": ...}` names (`arn:aws:iam::A:saml-provider/P`,
   * `cognito-identity.amazonaws.com`). Added for the evaluator; absent elsewhere.
   */
  federatedProvider?: string;
}

/**
 * The request context: condition keys and their values (`aws:PrincipalOrgID`, `s3:ResourceAccount`,
 * `kms:EncryptionContext:aws:cloudtrail:arn`). Key names are matched case-insensitively, as AWS does;
 * a key that is absent is absent (conditions on it follow AWS's rules for missing keys). Multi-valued
 * keys (`aws:CalledVia`, `aws:TagKeys`) are arrays.
 */
export type RequestContextValues = Record<string, string | string[] | boolean | number | undefined>;

export interface AuthorizationRequest {
  principal: RequestPrincipal;
  /** `service:Action`, e.g. `s3:GetObject`. */
  action: string;
  /** The resource ARN, or `*` for actions without a resource type. */
  resource: string;
  /** The account that owns the resource (decides same-account vs cross-account). Absent: the principal's. */
  resourceAccountId?: string;
  context: RequestContextValues;
}

/** How a resource-based policy takes part (the services differ). */
export type ResourcePolicyMode =
  /**
   * S3 bucket policies, SNS topic policies, EventBridge bus policies: in the same account an allow
   * in either the identity policies or the resource policy is enough; across accounts both must allow.
   */
  | 'standard'
  /**
   * KMS key policies: nothing is allowed unless the key policy allows it, directly or by allowing the
   * account (its root principal), which lets IAM policies of that account grant access (KMS Developer
   * Guide, "Key policies in AWS KMS" / "Allows access to the AWS account and enables IAM policies").
   */
  | 'kms'
  /**
   * Role trust policies on sts:AssumeRole (and sts:TagSession, sts:SetSourceIdentity): the trust policy
   * must allow; when it names the principal itself (its user or role ARN) no identity policy is
   * needed in the same account; when it names only the account, the principal's identity policies
   * must also allow; across accounts both must allow (IAM User Guide, "How IAM roles differ from
   * resource-based policies" and reference_policies_evaluation-logic-cross-account).
   * In every mode, a same-account grant to a role ARN (or to `"*"`) is still limited by the
   * session's permissions boundary and session policies; one to the user or session ARN is not
   * (reference_policies_evaluation-logic, "Resource-based policies").
   */
  | 'role-trust';

/** The policies that apply to one request, gathered by the authorizer. */
export interface ApplicablePolicies {
  /**
   * Service control policies by level of the organisation, from the root down to the principal's
   * account: every level must allow the action (an SCP on the root, on each OU and on the account).
   * Absent or empty: no SCPs apply (the management account, service principals, no organisation).
   */
  scps?: PolicyDocument[][];
  /** Resource control policies by level, for the resource's account (same rules as SCPs). */
  rcps?: PolicyDocument[][];
  /** The resource-based policy, if the resource has one (bucket policy, key policy, trust policy ...). */
  resourcePolicy?: PolicyDocument;
  resourcePolicyMode?: ResourcePolicyMode;
  /** Identity-based policies of the principal (inline and managed; for role sessions, the role's). */
  identityPolicies?: PolicyDocument[];
  /** The principal's permissions boundary (a user's or the session's role), if it has one. */
  permissionsBoundary?: PolicyDocument;
  /** Session policies passed when the session was created (AssumeRole `Policy` / `PolicyArns`). */
  sessionPolicies?: PolicyDocument[];
}

/** Which kind of policy decided a denial; the words AWS uses in its messages. */
export type PolicyKind =
  | 'service control policy'
  | 'resource control policy'
  | 'resource-based policy'
  | 'identity-based policy'
  | 'permissions boundary'
  | 'session policy';

export type Decision =
  | { effect: 'Allow' }
  | {
      effect: 'Deny';
      /** An explicit Deny statement matched, or nothing allowed (implicit). */
      explicit: boolean;
      /** The kind of policy that denied (for implicit denials: the first kind that did not allow). */
      policyKind: PolicyKind;
      /** Sid of the statement that denied, when explicit and it has one. */
      sid?: string;
    };

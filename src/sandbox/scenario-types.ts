/**
 * The shape of a sandbox scenario (YAML). Parsing and validation live in `scenario.ts`;
 * this file is the contract every emulator reads.
 */
export interface ScenarioAccount {
  id: string; // 12 digits
  name: string;
  email?: string;
  /** OU id the account sits in (`r-xxxx` root when absent). */
  parent?: string;
  /** Execution role present? default true for members. `deny` = exists but refuses AssumeRole. */
  executionRole?: 'present' | 'missing' | 'deny';
  /**
   * Whether the bootstrap deploys templates/tamper-responder.yaml here (default present); `missing`
   * rehearses an account where the tamper response cannot act.
   */
  tamperResponder?: 'present' | 'missing';
  /** Opt-in regions enabled for this account (in addition to the default ones). */
  optInRegionsEnabled?: string[];
  /** Status; SUSPENDED accounts are listed but not targeted. */
  status?: 'ACTIVE' | 'SUSPENDED';
  /** ExternalId this account's bootstrap was deployed with, when it differs from the scenario's. */
  externalId?: string;
}

export interface ScenarioOu {
  id: string; // ou-xxxx-xxxxxxxx
  name: string;
  parent?: string; // OU id or root id
}

/** A member account registered as a delegated administrator for a service (RegisterDelegatedAdministrator). */
export interface ScenarioDelegatedAdministrator {
  accountId: string;
  /** e.g. `member.org.stacksets.cloudformation.amazonaws.com`, `config.amazonaws.com`. */
  servicePrincipal: string;
}

/**
 * A service control policy of the organisation. The AWS managed `FullAWSAccess` (id
 * `p-FullAWSAccess`) exists besides these and is attached everywhere unless a scenario lists it
 * with the targets it should keep (`{ id: p-FullAWSAccess, targets: [...] }`).
 */
export interface ScenarioPolicy {
  /** `p-` and 8-128 of [0-9A-Za-z_]; derived from the name when the scenario gives none. */
  id: string;
  name: string;
  description?: string;
  type: 'SERVICE_CONTROL_POLICY';
  /** The policy document as JSON text, as DescribePolicy returns it. */
  content: string;
  /** Root, OU and account ids it is attached to. */
  targets: string[];
}

export interface ScenarioFaults {
  /** Fraction (0..1) of calls answered with Throttling, optionally per service. */
  throttle?: { rate: number; services?: string[]; operations?: string[] };
  /** Resources that fail in chosen targets. */
  resourceFailures?: Array<{
    accounts?: string[];
    regions?: string[];
    logicalId?: string;
    resourceType?: string;
    reason?: string;
    /**
     * Fail only on create, update, or both (default both); `delete` and `rollback` make
     * DELETE_FAILED / *_ROLLBACK_FAILED.
     */
    on?: 'create' | 'update' | 'any' | 'delete' | 'rollback';
    /** Fire only this many times (default: every time), e.g. a failure that a retry gets past. */
    times?: number;
  }>;
  /** Stacks that exist before the rollout, in a given status. */
  preexistingStacks?: Array<{
    account: string;
    region: string;
    stackName: string;
    status: 'ROLLBACK_COMPLETE' | 'UPDATE_ROLLBACK_FAILED' | 'CREATE_COMPLETE' | 'UPDATE_IN_PROGRESS';
  }>;
  /** Resources reported as drifted by drift detection. */
  drift?: Array<{ accounts?: string[]; regions?: string[]; logicalId: string; property?: string }>;
  /**
   * What happens to CloudFormation's Stack Status Change events on their way to the bus
   * (src/sandbox/cfn/stack-events.ts): the first rule naming an event's account and region applies.
   */
  stackEvents?: StackEventFaultRule[];
}

/** Odds (0..1) drawn per event, and delays, for the Stack Status Change events of some targets. */
export interface StackEventFaultRule {
  accounts?: string[];
  regions?: string[];
  /** The event never reaches the bus. */
  lose?: number;
  /** The event reaches the bus twice (a second later, same id). */
  duplicate?: number;
  /** The event reaches the bus only after the operation's next status change (when it has one). */
  reorder?: number;
  /** Extra seconds before it reaches the bus: a number, or [min, max] drawn per event. */
  delaySeconds?: number | [number, number];
}

/** How strictly the sandbox plays IAM, and deliberate breakage of the provisioned policies. */
export interface ScenarioIam {
  /** Evaluate policies on every request (default true). `false` exists for the benchmark's comparison only. */
  enforce?: boolean;
  /** Edits of provisioned policies, applied once after the world is prepared. */
  patches?: ScenarioIamPatch[];
}

/**
 * One edit of a provisioned policy. Exactly one target: the admin artifact bucket's policy
 * (`artifacts`) or another bucket's by name, the admin artifact key's policy, the role of an admin
 * function (a src/core/functions.ts id) or state machine (`rollout`, `deploy-target` ...), or any role.
 */
export interface ScenarioIamPatch {
  bucketPolicy?: string;
  keyPolicy?: 'artifacts';
  functionRole?: string;
  stateMachineRole?: string;
  role?: { account: string; name: string };
  /** For roles: edit the trust policy instead of the permission policies. */
  trust?: boolean;
  /** Statements appended to the policy (to the role's first inline policy for permissions). */
  addStatements?: Array<Record<string, unknown>>;
  /** Actions taken out of every statement that lists them (statements left empty go). */
  removeActions?: string[];
  /** Statements removed by Sid. */
  removeStatements?: string[];
}

export interface Scenario {
  /** Seed for every random choice (durations, throttling). */
  seed: number;
  organization: {
    id: string; // o-xxxxxxxxxx
    managementAccountId: string;
    rootId: string; // r-xxxx
    ous: ScenarioOu[];
    accounts: ScenarioAccount[];
    /**
     * Service principals with trusted access enabled (EnableAWSServiceAccess). The service of each
     * delegated administrator is included: AWS refuses a registration before service access.
     */
    enabledServicePrincipals?: string[];
    /** Registered delegated administrators: member accounts that may read the organisation. */
    delegatedAdministrators?: ScenarioDelegatedAdministrator[];
    /** Customer managed SCPs (and, optionally, where `p-FullAWSAccess` stays attached). */
    policies?: ScenarioPolicy[];
    /** Targets of `p-FullAWSAccess` when the scenario narrows them; absent: every root, OU and account. */
    fullAwsAccessTargets?: string[];
  };
  /** Regions enabled by default in every account. */
  regions: string[];
  /** Opt-in regions that exist (enabled only where an account lists them). */
  optInRegions: string[];
  /** Name of the role in each member account that stackfleet assumes. */
  executionRoleName: string;
  /** ExternalId the execution roles require (undefined = none required). */
  externalId?: string;
  /**
   * The account stackfleet's admin stack runs in (default: the management account). Another account
   * must be a delegated administrator to read the organisation, as on AWS.
   */
  adminAccountId?: string;
  /** IAM of the sandbox. */
  iam?: ScenarioIam;
  /**
   * CloudFormation quotas per account and region (src/sandbox/cfn/quotas.ts has the defaults):
   * `concurrentResources` is "Resources in concurrent stack operations" (DescribeAccountLimits'
   * ConcurrentResourcesLimit); an operation past it is refused with LimitExceededException.
   * `concurrentResourcesByAccount` gives some accounts their own value (quotas are adjustable per account).
   */
  cloudFormationQuotas?: {
    concurrentResources?: number;
    concurrentResourcesByAccount?: Record<string, number>;
  };
  /** Seconds a resource takes, per type; `default` for others. Each is [min, max] or a number. */
  durations: Record<string, number | [number, number]>;
  faults: ScenarioFaults;
  /**
   * Extra long-term access keys the sandbox accepts, each acting as the root of an account
   * (`test`/`test` is always the management account). Lets people give tools other identities.
   */
  accessKeys?: ScenarioAccessKey[];
  /** EventBridge delivery timing and at-least-once duplicates. */
  events?: ScenarioEvents;
  /** Things principals do at given minutes (e.g. a user stops the trail), played by `playScenarioActivity`. */
  activity?: ScenarioActivity[];
  /** The admin stack's tamper-response settings (CDK context), e.g. `containment: off`. */
  tamperResponse?: {
    containment?: 'off' | 'repeat-offenders' | 'always';
    /** Principal ARN patterns never contained (CDK context `containmentAllowList`). */
    allowList?: string[];
  };
}

/**
 * A long-term access key. Without `userName` it acts as the account's root; with one, as that IAM
 * user (created at open when missing, with `policy` as its inline policy `scenario`).
 */
export interface ScenarioAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  userName?: string;
  /** Inline policy document of the user (JSON object), when the scenario creates it. */
  policy?: Record<string, unknown>;
}

export interface ScenarioEvents {
  /** Milliseconds from an event on a bus to each target. @default 500 */
  deliveryDelayMs?: number;
  /** Milliseconds from a recorded API call to its CloudTrail event on the default bus. @default 30000 */
  cloudTrailDelayMs?: number;
  /** Fraction (0..1) of deliveries made twice (EventBridge delivers at least once). @default 0 */
  duplicateRate?: number;
}

/** Who acts in a scheduled activity. */
export type ScenarioActor = { user: string } | { role: string; sessionName?: string } | { root: true };

/** "At minute M, principal P does `action` in account A, region R." */
export interface ScenarioActivity {
  atMinute: number;
  account: string;
  region: string;
  as: ScenarioActor;
  /** A CloudTrail or Config call: StopLogging, DeleteTrail, StopConfigurationRecorder ... */
  action: string;
  /** The trail or recorder name. @default the baseline's (StackFleet-baseline / default) */
  name?: string;
}

import { ROLE_SESSION_PREFIX } from './names';
import type { StackSpec } from './stack-graph';
import { MAX_TARGET_TIMEOUT_SECONDS, MAX_USER_TAGS } from './target-input';

/**
 * The rollout request: what an operator (CLI YAML, console, schedule) asks the rollout state machine
 * to do, as written and after validation (its modes, defaults and limits). The checks that turn one
 * into the other are in rollout-validation.ts.
 */

/** What a rollout does to each target. */
export const RolloutModes = {
  /** Create or update the stack. */
  deploy: 'deploy',
  /** Change sets only; nothing changes. */
  preview: 'preview',
  /** Detect drift (and repair it when `repair` is set). */
  drift: 'drift',
} as const;
export type RolloutMode = (typeof RolloutModes)[keyof typeof RolloutModes];

/** Whether a value read from outside (an execution's input) names a mode. */
export function isRolloutMode(value: unknown): value is RolloutMode {
  return (Object.values(RolloutModes) as unknown[]).includes(value);
}

/** `targets.regions` value meaning "every region enabled in each account". */
export const ALL_ENABLED_REGIONS = 'ALL_ENABLED';

/** CloudFormation capabilities a rollout may acknowledge. */
export const StackCapabilities = {
  CAPABILITY_IAM: 'CAPABILITY_IAM',
  CAPABILITY_NAMED_IAM: 'CAPABILITY_NAMED_IAM',
  CAPABILITY_AUTO_EXPAND: 'CAPABILITY_AUTO_EXPAND',
} as const;
export type StackCapability = (typeof StackCapabilities)[keyof typeof StackCapabilities];

/** Defaults applied to optional fields (documented for the CLI's config reference). */
export const RolloutDefaults = {
  maxConcurrency: 10,
  failureTolerance: { count: 0 },
  timeoutSeconds: 3600,
  /** A small number: CloudFormation limits the resources in concurrent stack operations per account and region. */
  maxStacksPerTarget: 3,
} as const;

/** Limits a request is checked against. */
export const RolloutLimits = {
  /** The id becomes the STS session name `stackfleet-<id>`, which STS limits to 64 characters. */
  rolloutIdMaxLength: 64 - ROLE_SESSION_PREFIX.length,
  /** Distributed Map runs at most 10,000 children at once. */
  maxConcurrency: 10_000,
  minTimeoutSeconds: 60,
  /** The deploy-target workflow's per-target limit. */
  maxTimeoutSeconds: MAX_TARGET_TIMEOUT_SECONDS,
  /** CloudFormation's 50 minus the tags stackfleet adds itself. */
  maxTags: MAX_USER_TAGS,
  maxParameters: 200,
  /** Stacks in one rollout: each target's lanes carry every stack's settings through state. */
  maxStacks: 50,
  /** A target's stacks in flight at once. */
  maxStacksPerTarget: 10,
} as const;

/** S3 location of the template; `versionId` pins the exact object (resolved to the latest when absent). */
export interface TemplateLocation {
  bucket: string;
  key: string;
  versionId?: string;
}

/** Parameter values that apply only to some accounts and/or regions; later entries win. */
export interface ParameterOverride {
  accounts?: string[];
  regions?: string[];
  parameters: Record<string, string>;
}

/** Which accounts and regions the rollout reaches. */
export interface TargetSelection {
  /** Explicit 12-digit account ids. */
  accounts: string[];
  /** OU ids (`ou-...`), including every OU below them; the root id (`r-...`) means the whole organisation. */
  organizationalUnits: string[];
  excludeAccounts: string[];
  /** The management account is never targeted unless this is true (then it is added). */
  includeManagementAccount: boolean;
  /** Explicit regions, or every region enabled in each account. */
  regions: string[] | typeof ALL_ENABLED_REGIONS;
  excludeRegions: string[];
}

/** At most `count` failed targets, or at most `percent` % of them, before the rollout stops. */
export type FailureTolerance = { count: number } | { percent: number };

/** A target deployed (and required to succeed) before any other starts. */
export interface CanaryTarget {
  accountId: string;
  region: string;
}

/** What every rollout request holds, whichever form its stacks take. */
export interface RolloutCommon {
  rolloutId: string;
  mode: RolloutMode;
  tags: Record<string, string>;
  executionRoleName: string;
  externalId?: string;
  targets: TargetSelection;
  /** Stacks in flight at once across the rollout (one-template form: targets, one stack each). */
  maxConcurrency: number;
  failureTolerance: FailureTolerance;
  canaries: CanaryTarget[];
  /** Per stack (and per target in the one-template form). */
  timeoutSeconds: number;
  /** Drift mode only: repair drifted targets with drift-aware change sets. */
  repair: boolean;
  /** Wait for CloudFormation's Stack Status Change events (forwarded to the admin bus) instead of polling. */
  stackEvents: boolean;
}

/** The one-template form: one stack per target. */
export interface SingleStackRollout extends RolloutCommon {
  template: TemplateLocation;
  stackName: string;
  parameters: Record<string, string>;
  parameterOverrides: ParameterOverride[];
  capabilities: StackCapability[];
  stacks?: undefined;
}

/** The stacks form: a graph of stacks that each target walks on its own. */
export interface StackGraphRollout extends RolloutCommon {
  stacks: StackSpec[];
  /** At most this many of a target's stacks in flight at once (CloudFormation limits concurrent operations per account and region). */
  maxStacksPerTarget: number;
  template?: undefined;
  stackName?: undefined;
}

/** The rollout request after validation, with every default filled in. */
export type RolloutInput = SingleStackRollout | StackGraphRollout;

/** Whether a rollout uses the stacks form. */
export function isStackGraph(input: RolloutInput): input is StackGraphRollout {
  return input.stacks !== undefined;
}

/**
 * The request as callers write it (YAML/JSON). Optional fields get defaults; parameter values may be
 * numbers, booleans or lists (joined with commas for CommaDelimitedList parameters).
 */
export interface RolloutRequest {
  rolloutId?: string;
  mode: RolloutMode;
  /** The one-template form (or `stacks`). */
  template?: TemplateLocation;
  stackName?: string;
  /** The stacks form: see src/core/rollout-stacks.ts. */
  stacks?: unknown[];
  maxStacksPerTarget?: number;
  parameters?: Record<string, ParameterValue>;
  parameterOverrides?: Array<{
    accounts?: string[];
    regions?: string[];
    parameters: Record<string, ParameterValue>;
  }>;
  tags?: Record<string, string>;
  capabilities?: StackCapability[];
  executionRoleName: string;
  externalId?: string;
  targets: {
    accounts?: string[];
    organizationalUnits?: string[];
    excludeAccounts?: string[];
    includeManagementAccount?: boolean;
    regions?: string[] | typeof ALL_ENABLED_REGIONS;
    excludeRegions?: string[];
  };
  maxConcurrency?: number;
  failureTolerance?: FailureTolerance;
  canaries?: CanaryTarget[];
  timeoutSeconds?: number;
  repair?: boolean;
  stackEvents?: boolean;
}
export type ParameterValue = string | number | boolean | Array<string | number | boolean>;

/** One problem found in a request. */
export interface InputIssue {
  /** Dotted path of the field, e.g. `targets.accounts[2]`. */
  field: string;
  message: string;
}

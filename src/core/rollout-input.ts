import { InvalidInputError } from './errors';
import { ROLE_SESSION_PREFIX } from './names';
import { isKnownRegion, MAX_TARGET_TIMEOUT_SECONDS, MAX_USER_TAGS } from './target-input';

/**
 * The rollout request: what an operator (CLI YAML, console, schedule) asks the rollout state machine
 * to do, and its validation. Validation runs first in the state machine ("Validate input") so bad
 * input is refused before any stack is touched, and the CLI can run the same checks before starting
 * an execution. Every message names the field and the value received.
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

/** The rollout request after validation, with every default filled in. */
export interface RolloutInput {
  rolloutId: string;
  mode: RolloutMode;
  template: TemplateLocation;
  stackName: string;
  parameters: Record<string, string>;
  parameterOverrides: ParameterOverride[];
  tags: Record<string, string>;
  capabilities: StackCapability[];
  executionRoleName: string;
  externalId?: string;
  targets: TargetSelection;
  maxConcurrency: number;
  failureTolerance: FailureTolerance;
  canaries: CanaryTarget[];
  timeoutSeconds: number;
  /** Drift mode only: repair drifted targets with drift-aware change sets. */
  repair: boolean;
  /** Wait for CloudFormation's Stack Status Change events (forwarded to the admin bus) instead of polling. */
  stackEvents: boolean;
}

/**
 * The request as callers write it (YAML/JSON). Optional fields get defaults; parameter values may be
 * numbers, booleans or lists (joined with commas for CommaDelimitedList parameters).
 */
export interface RolloutRequest {
  rolloutId?: string;
  mode: RolloutMode;
  template: TemplateLocation;
  stackName: string;
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

/** Field names accepted at the top level; anything else is most likely a typo. */
const TOP_LEVEL_FIELDS = [
  'rolloutId',
  'mode',
  'template',
  'stackName',
  'parameters',
  'parameterOverrides',
  'tags',
  'capabilities',
  'executionRoleName',
  'externalId',
  'targets',
  'maxConcurrency',
  'failureTolerance',
  'canaries',
  'timeoutSeconds',
  'repair',
  'stackEvents',
  // Step Functions adds this when another execution starts the rollout.
  'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID',
] as const;
const TARGET_FIELDS = [
  'accounts',
  'organizationalUnits',
  'excludeAccounts',
  'includeManagementAccount',
  'regions',
  'excludeRegions',
] as const;

const PATTERNS = {
  rolloutId: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  accountId: /^\d{12}$/,
  organizationalUnit: /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/,
  region: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/,
  bucket: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  stackName: /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
  parameterKey: /^[A-Za-z0-9]{1,255}$/,
  roleName: /^[\w+=,.@-]{1,64}$/,
  externalId: /^[\w+=,.@:/-]{2,1224}$/,
} as const;

/** Shows a received value in a message: strings as they are, anything else as JSON, never too long. */
export function showValue(value: unknown): string {
  if (value === undefined) return '(nothing)';
  const text = typeof value === 'string' ? (value === '' ? '""' : value) : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects issues while reading a request; each reader returns the normalised value or undefined. */
class Checker {
  readonly issues: InputIssue[] = [];

  fail(field: string, message: string): undefined {
    this.issues.push({ field, message: `${field} ${message}` });
    return undefined;
  }

  string(field: string, value: unknown, pattern: RegExp, rule: string): string | undefined {
    if (typeof value !== 'string' || !pattern.test(value)) {
      const hint = typeof value === 'number' ? ' (quote it so YAML keeps it a string)' : '';
      return this.fail(field, `must be ${rule}${hint}. Received: ${showValue(value)}`);
    }
    return value;
  }

  accountId(field: string, value: unknown): string | undefined {
    return this.string(field, value, PATTERNS.accountId, 'an account id of 12 digits');
  }

  region(field: string, value: unknown): string | undefined {
    if (typeof value === 'string' && PATTERNS.region.test(value) && !isKnownRegion(value)) {
      return this.fail(
        field,
        `must be an AWS region stackfleet knows, such as eu-west-1. Received: ${value}`,
      );
    }
    return this.string(field, value, PATTERNS.region, 'an AWS region name such as eu-west-1');
  }

  list<T>(field: string, value: unknown, read: (f: string, v: unknown) => T | undefined): T[] | undefined {
    if (value === undefined) return [];
    if (!Array.isArray(value)) return this.fail(field, `must be a list. Received: ${showValue(value)}`);
    const out: T[] = [];
    value.forEach((item, index) => {
      const read1 = read(`${field}[${index}]`, item);
      if (read1 !== undefined && !out.includes(read1)) out.push(read1);
    });
    return out;
  }

  integer(field: string, value: unknown, min: number, max: number, fallback?: number): number | undefined {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return this.fail(
        field,
        `must be a whole number between ${min} and ${max}. Received: ${showValue(value)}`,
      );
    }
    return value;
  }

  boolean(field: string, value: unknown, fallback: boolean): boolean | undefined {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean')
      return this.fail(field, `must be true or false. Received: ${showValue(value)}`);
    return value;
  }

  unknownFields(field: string, value: Record<string, unknown>, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        // An empty or odd key would vanish in the path ("template."): show it quoted.
        const shown = key === '' || /[\s.[\]"]/.test(key) ? JSON.stringify(key) : key;
        const where = field ? `${field}.${shown}` : shown;
        this.fail(
          where,
          `is not a known field (known: ${allowed.filter((a) => !a.startsWith('AWS_')).join(', ')}).`,
        );
      }
    }
  }

  parameters(field: string, value: unknown): Record<string, string> | undefined {
    if (value === undefined) return {};
    if (!isPlainObject(value)) {
      return this.fail(field, `must be a map of parameter names to values. Received: ${showValue(value)}`);
    }
    const entries = Object.entries(value);
    if (entries.length > RolloutLimits.maxParameters) {
      return this.fail(
        field,
        `must have at most ${RolloutLimits.maxParameters} parameters. Received: ${entries.length}`,
      );
    }
    const out: Record<string, string> = {};
    for (const [key, raw] of entries) {
      if (!PATTERNS.parameterKey.test(key)) {
        this.fail(
          `${field}.${key}`,
          `is not a valid parameter name (letters and digits only). Received: ${showValue(key)}`,
        );
        continue;
      }
      const text = parameterText(raw);
      if (text === undefined) {
        this.fail(
          `${field}.${key}`,
          `must be a string, number, boolean or list of them. Received: ${showValue(raw)}`,
        );
        continue;
      }
      out[key] = text;
    }
    return out;
  }
}

function parameterText(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  if (Array.isArray(raw) && raw.every((item) => ['string', 'number', 'boolean'].includes(typeof item))) {
    return raw.map(String).join(',');
  }
  return undefined;
}

function readTemplate(c: Checker, value: unknown): TemplateLocation | undefined {
  if (!isPlainObject(value)) {
    return c.fail(
      'template',
      `must be an object with bucket, key and versionId. Received: ${showValue(value)}`,
    );
  }
  c.unknownFields('template', value, ['bucket', 'key', 'versionId']);
  const bucket = c.string(
    'template.bucket',
    value.bucket,
    PATTERNS.bucket,
    'an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)',
  );
  const keyOk =
    typeof value.key === 'string' &&
    value.key.length >= 1 &&
    value.key.length <= 1024 &&
    !value.key.startsWith('/');
  const key = keyOk
    ? (value.key as string)
    : c.fail(
        'template.key',
        `must be an S3 object key (1-1024 characters, no leading /). Received: ${showValue(value.key)}`,
      );
  let versionId: string | undefined;
  if (value.versionId !== undefined) {
    versionId =
      typeof value.versionId === 'string' && value.versionId.length > 0 && value.versionId.length <= 1024
        ? value.versionId
        : c.fail(
            'template.versionId',
            `must be an S3 version id (omit it to use the latest version). Received: ${showValue(value.versionId)}`,
          );
  }
  if (bucket === undefined || key === undefined) return undefined;
  return versionId === undefined ? { bucket, key } : { bucket, key, versionId };
}

function readTags(c: Checker, value: unknown): Record<string, string> | undefined {
  if (value === undefined) return {};
  if (!isPlainObject(value))
    return c.fail('tags', `must be a map of tag keys to values. Received: ${showValue(value)}`);
  const entries = Object.entries(value);
  if (entries.length > RolloutLimits.maxTags) {
    return c.fail(
      'tags',
      `must have at most ${RolloutLimits.maxTags} tags (CloudFormation allows 50; stackfleet adds its own). Received: ${entries.length}`,
    );
  }
  const out: Record<string, string> = {};
  for (const [key, raw] of entries) {
    if (
      key.length < 1 ||
      key.length > 128 ||
      key.toLowerCase().startsWith('aws:') ||
      key.startsWith('stackfleet:')
    ) {
      c.fail(
        `tags.${key}`,
        `must be a tag key of 1-128 characters not starting with aws: or stackfleet: (reserved). Received: ${showValue(key)}`,
      );
      continue;
    }
    if (typeof raw !== 'string' || raw.length > 256) {
      c.fail(`tags.${key}`, `must be a string of at most 256 characters. Received: ${showValue(raw)}`);
      continue;
    }
    out[key] = raw;
  }
  return out;
}

function readOverrides(c: Checker, value: unknown): ParameterOverride[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    return c.fail('parameterOverrides', `must be a list. Received: ${showValue(value)}`);
  const out: ParameterOverride[] = [];
  value.forEach((raw, index) => {
    const field = `parameterOverrides[${index}]`;
    if (!isPlainObject(raw)) {
      c.fail(
        field,
        `must be an object with accounts and/or regions and parameters. Received: ${showValue(raw)}`,
      );
      return;
    }
    c.unknownFields(field, raw, ['accounts', 'regions', 'parameters']);
    if (raw.accounts === undefined && raw.regions === undefined) {
      c.fail(
        field,
        `must name accounts, regions or both (use parameters for values that apply everywhere). Received: ${showValue(raw)}`,
      );
      return;
    }
    const accounts =
      raw.accounts === undefined
        ? undefined
        : c.list(`${field}.accounts`, raw.accounts, (f, v) => c.accountId(f, v));
    const regions =
      raw.regions === undefined
        ? undefined
        : c.list(`${field}.regions`, raw.regions, (f, v) => c.region(f, v));
    if (raw.parameters === undefined) {
      c.fail(
        `${field}.parameters`,
        `must be a map of parameter names to values. Received: ${showValue(raw.parameters)}`,
      );
      return;
    }
    const parameters = c.parameters(`${field}.parameters`, raw.parameters);
    if (parameters === undefined) return;
    const override: ParameterOverride = { parameters };
    if (accounts) override.accounts = accounts;
    if (regions) override.regions = regions;
    out.push(override);
  });
  return out;
}

function readTargets(c: Checker, value: unknown): TargetSelection | undefined {
  if (!isPlainObject(value)) {
    return c.fail(
      'targets',
      `must be an object with accounts and/or organizationalUnits and regions. Received: ${showValue(value)}`,
    );
  }
  c.unknownFields('targets', value, TARGET_FIELDS);
  const accounts = c.list('targets.accounts', value.accounts, (f, v) => c.accountId(f, v));
  const organizationalUnits = c.list('targets.organizationalUnits', value.organizationalUnits, (f, v) =>
    c.string(f, v, PATTERNS.organizationalUnit, 'an OU id (ou-xxxx-xxxxxxxx) or the root id (r-xxxx)'),
  );
  const excludeAccounts = c.list('targets.excludeAccounts', value.excludeAccounts, (f, v) =>
    c.accountId(f, v),
  );
  const includeManagementAccount = c.boolean(
    'targets.includeManagementAccount',
    value.includeManagementAccount,
    false,
  );
  let regions: string[] | typeof ALL_ENABLED_REGIONS | undefined;
  if (value.regions === undefined || value.regions === ALL_ENABLED_REGIONS) {
    regions = ALL_ENABLED_REGIONS;
  } else if (typeof value.regions === 'string') {
    regions = c.fail(
      'targets.regions',
      `must be a list of regions or "${ALL_ENABLED_REGIONS}". Received: ${showValue(value.regions)}`,
    );
  } else {
    regions = c.list('targets.regions', value.regions, (f, v) => c.region(f, v));
    if (regions && regions.length === 0) {
      regions = c.fail(
        'targets.regions',
        `must name at least one region, or be "${ALL_ENABLED_REGIONS}". Received: []`,
      );
    }
  }
  const excludeRegions = c.list('targets.excludeRegions', value.excludeRegions, (f, v) => c.region(f, v));
  if (accounts?.length === 0 && organizationalUnits?.length === 0 && includeManagementAccount === false) {
    c.fail(
      'targets',
      `must name accounts, organizationalUnits or includeManagementAccount: true. Received: ${showValue(value)}`,
    );
  }
  if (Array.isArray(regions) && excludeRegions && regions.every((r) => excludeRegions.includes(r))) {
    c.fail(
      'targets.excludeRegions',
      `excludes every region in targets.regions, so nothing would be deployed. Received: ${showValue(excludeRegions)}`,
    );
  }
  if (
    accounts === undefined ||
    organizationalUnits === undefined ||
    excludeAccounts === undefined ||
    includeManagementAccount === undefined ||
    regions === undefined ||
    excludeRegions === undefined
  ) {
    return undefined;
  }
  return {
    accounts,
    organizationalUnits,
    excludeAccounts,
    includeManagementAccount,
    regions,
    excludeRegions,
  };
}

function readTolerance(c: Checker, value: unknown): FailureTolerance | undefined {
  if (value === undefined) return { ...RolloutDefaults.failureTolerance };
  if (!isPlainObject(value)) {
    return c.fail(
      'failureTolerance',
      `must be { count: N } or { percent: P }. Received: ${showValue(value)}`,
    );
  }
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== 'count' && keys[0] !== 'percent')) {
    return c.fail(
      'failureTolerance',
      `must have exactly one of count or percent. Received: ${showValue(value)}`,
    );
  }
  if ('count' in value) {
    const count = c.integer('failureTolerance.count', value.count, 0, 100_000_000);
    return count === undefined ? undefined : { count };
  }
  // Distributed Map's ToleratedFailurePercentage is an integer from 0 to 100 (AWS statelint,
  // "ToleratedFailurePercentage": integer); 2.5 would be refused when the Map state runs.
  const percent = value.percent;
  if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100) {
    return c.fail(
      'failureTolerance.percent',
      `must be a whole percentage from 0 to 100. Received: ${showValue(percent)}`,
    );
  }
  return { percent };
}

function readCanaries(c: Checker, value: unknown): CanaryTarget[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    return c.fail('canaries', `must be a list of { accountId, region }. Received: ${showValue(value)}`);
  const out: CanaryTarget[] = [];
  value.forEach((raw, index) => {
    const field = `canaries[${index}]`;
    if (!isPlainObject(raw)) {
      c.fail(field, `must be an object { accountId, region }. Received: ${showValue(raw)}`);
      return;
    }
    c.unknownFields(field, raw, ['accountId', 'region']);
    const accountId = c.accountId(`${field}.accountId`, raw.accountId);
    const region = c.region(`${field}.region`, raw.region);
    if (accountId === undefined || region === undefined) return;
    if (!out.some((x) => x.accountId === accountId && x.region === region)) out.push({ accountId, region });
  });
  return out;
}

/**
 * The rollout id for a request without one: the execution name made safe, so scheduled executions
 * (which cannot vary their input) still get a fresh id and fresh child execution names per run.
 */
export function rolloutIdFromExecutionName(executionName: string): string {
  const cleaned = executionName
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, RolloutLimits.rolloutIdMaxLength);
  return cleaned || 'rollout';
}

/**
 * Checks a request and fills in defaults. Returns every issue found (so a person fixes them in one go)
 * and the normalised input when there are none.
 * @param defaultRolloutId used when the request has no rolloutId (the execution name in the state machine)
 */
export function validateRolloutInput(
  raw: unknown,
  defaultRolloutId?: string,
): { input?: RolloutInput; issues: InputIssue[] } {
  const c = new Checker();
  if (!isPlainObject(raw)) {
    c.fail('input', `must be a JSON object describing the rollout. Received: ${showValue(raw)}`);
    return { issues: c.issues };
  }
  c.unknownFields('', raw, TOP_LEVEL_FIELDS);

  let rolloutId: string | undefined;
  if (raw.rolloutId === undefined && defaultRolloutId !== undefined) {
    rolloutId = defaultRolloutId;
  } else if (
    typeof raw.rolloutId !== 'string' ||
    raw.rolloutId.length > RolloutLimits.rolloutIdMaxLength ||
    !PATTERNS.rolloutId.test(raw.rolloutId)
  ) {
    rolloutId = c.fail(
      'rolloutId',
      `must be 1-${RolloutLimits.rolloutIdMaxLength} letters, digits, dots, underscores or hyphens, starting with a letter or digit. Received: ${showValue(raw.rolloutId)}`,
    );
  } else {
    rolloutId = raw.rolloutId;
  }

  const modes = Object.values(RolloutModes) as string[];
  const mode =
    typeof raw.mode === 'string' && modes.includes(raw.mode)
      ? (raw.mode as RolloutMode)
      : c.fail('mode', `must be one of ${modes.join(', ')}. Received: ${showValue(raw.mode)}`);

  const template = readTemplate(c, raw.template);
  const stackName = c.string(
    'stackName',
    raw.stackName,
    PATTERNS.stackName,
    'a stack name: 1-128 letters, digits or hyphens, starting with a letter',
  );
  const parameters = c.parameters('parameters', raw.parameters);
  const parameterOverrides = readOverrides(c, raw.parameterOverrides);
  const tags = readTags(c, raw.tags);
  const allowedCapabilities = Object.values(StackCapabilities) as string[];
  const capabilities = c.list('capabilities', raw.capabilities, (f, v) =>
    typeof v === 'string' && allowedCapabilities.includes(v)
      ? (v as StackCapability)
      : c.fail(f, `must be one of ${allowedCapabilities.join(', ')}. Received: ${showValue(v)}`),
  );
  const executionRoleName = c.string(
    'executionRoleName',
    raw.executionRoleName,
    PATTERNS.roleName,
    'an IAM role name: 1-64 letters, digits or +=,.@_-',
  );
  let externalId: string | undefined;
  if (raw.externalId !== undefined) {
    externalId = c.string(
      'externalId',
      raw.externalId,
      PATTERNS.externalId,
      'an STS external id: 2-1224 letters, digits or +=,.@:/_-',
    );
  }
  const targets = readTargets(c, raw.targets);
  const maxConcurrency = c.integer(
    'maxConcurrency',
    raw.maxConcurrency,
    1,
    RolloutLimits.maxConcurrency,
    RolloutDefaults.maxConcurrency,
  );
  const failureTolerance = readTolerance(c, raw.failureTolerance);
  const canaries = readCanaries(c, raw.canaries);
  const timeoutSeconds = c.integer(
    'timeoutSeconds',
    raw.timeoutSeconds,
    RolloutLimits.minTimeoutSeconds,
    RolloutLimits.maxTimeoutSeconds,
    RolloutDefaults.timeoutSeconds,
  );
  const repair = c.boolean('repair', raw.repair, false);
  const stackEvents = c.boolean('stackEvents', raw.stackEvents, false);
  if (repair === true && mode !== undefined && mode !== RolloutModes.drift) {
    c.fail('repair', `only applies to mode drift. Received: repair true with mode ${mode}`);
  }

  if (targets && canaries) {
    canaries.forEach((canary, index) => {
      if (targets.excludeAccounts.includes(canary.accountId)) {
        c.fail(
          `canaries[${index}].accountId`,
          `is listed in targets.excludeAccounts, so it cannot be a canary. Received: ${canary.accountId}`,
        );
      }
      if (
        targets.excludeRegions.includes(canary.region) ||
        (Array.isArray(targets.regions) && !targets.regions.includes(canary.region))
      ) {
        c.fail(
          `canaries[${index}].region`,
          `must be one of the rollout's regions. Received: ${canary.region}`,
        );
      }
    });
  }

  if (
    c.issues.length > 0 ||
    rolloutId === undefined ||
    mode === undefined ||
    template === undefined ||
    stackName === undefined ||
    parameters === undefined ||
    parameterOverrides === undefined ||
    tags === undefined ||
    capabilities === undefined ||
    executionRoleName === undefined ||
    targets === undefined ||
    maxConcurrency === undefined ||
    failureTolerance === undefined ||
    canaries === undefined ||
    timeoutSeconds === undefined ||
    repair === undefined ||
    stackEvents === undefined
  ) {
    return { issues: c.issues };
  }
  const input: RolloutInput = {
    rolloutId,
    mode,
    template,
    stackName,
    parameters,
    parameterOverrides,
    tags,
    capabilities,
    executionRoleName,
    targets,
    maxConcurrency,
    failureTolerance,
    canaries,
    timeoutSeconds,
    repair,
    stackEvents,
  };
  if (externalId !== undefined) input.externalId = externalId;
  return { input, issues: [] };
}

/**
 * Validates a request and returns the normalised input, or throws `InvalidInput` naming the first
 * field at fault; the message lists every problem, one per line.
 */
export function parseRolloutInput(raw: unknown, defaultRolloutId?: string): RolloutInput {
  const { input, issues } = validateRolloutInput(raw, defaultRolloutId);
  const first = issues[0];
  if (first || !input) {
    const message =
      issues.length === 1
        ? (first?.message ?? 'invalid input')
        : `${issues.length} problems in the rollout input:\n${issues.map((i) => `- ${i.message}`).join('\n')}`;
    throw new InvalidInputError(first?.field ?? 'input', message);
  }
  return input;
}

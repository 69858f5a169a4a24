import { InvalidInputError } from './errors';
import {
  Checker,
  isPlainObject,
  PATTERNS,
  readCapabilities,
  readOverrides,
  readTags,
  readTemplate,
  showValue,
} from './input-checker';
import {
  ALL_ENABLED_REGIONS,
  type CanaryTarget,
  type FailureTolerance,
  type InputIssue,
  isStackGraph,
  type RolloutCommon,
  RolloutDefaults,
  type RolloutInput,
  RolloutLimits,
  type RolloutMode,
  RolloutModes,
  type SingleStackRollout,
  type TargetSelection,
} from './rollout-input';
import { PER_STACK_TOP_LEVEL_FIELDS, readStacks, stackRequestOf } from './rollout-stacks';

/**
 * Validation of the rollout request (src/core/rollout-input.ts): it runs first in the state machine
 * ("Validate input") so bad input is refused before any stack is touched, and the CLI runs the same
 * checks before starting an execution. Every message names the field and the value received.
 */

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
  'stacks',
  'maxStacksPerTarget',
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

/** The one-template form's stack fields (template, stackName, parameters, overrides, capabilities). */
function readSingleStack(
  c: Checker,
  raw: Record<string, unknown>,
): Omit<SingleStackRollout, keyof RolloutCommon> | undefined {
  const template = readTemplate(c, raw.template);
  const stackName = c.string(
    'stackName',
    raw.stackName,
    PATTERNS.stackName,
    'a stack name: 1-128 letters, digits or hyphens, starting with a letter',
  );
  const parameters = c.parameters('parameters', raw.parameters);
  const parameterOverrides = readOverrides(c, raw.parameterOverrides);
  const capabilities = readCapabilities(c, 'capabilities', raw.capabilities);
  if (
    template === undefined ||
    stackName === undefined ||
    parameters === undefined ||
    parameterOverrides === undefined ||
    capabilities === undefined
  ) {
    return undefined;
  }
  return { template, stackName, parameters, parameterOverrides, capabilities };
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

  const tags = readTags(c, raw.tags);
  const graph = raw.stacks !== undefined;
  let single: Omit<SingleStackRollout, keyof RolloutCommon> | undefined;
  if (graph) {
    for (const field of PER_STACK_TOP_LEVEL_FIELDS) {
      if (raw[field] !== undefined) {
        c.fail(
          field,
          `belongs in each entry of stacks when stacks is given. Received: ${showValue(raw[field])}`,
        );
      }
    }
  } else {
    single = readSingleStack(c, raw);
    if (raw.maxStacksPerTarget !== undefined) {
      c.fail(
        'maxStacksPerTarget',
        `only applies to the stacks form (a list of stacks). Received: ${showValue(raw.maxStacksPerTarget)}`,
      );
    }
  }
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
  const stacks = graph ? readStacks(c, raw.stacks, { tags, targets }) : undefined;
  const maxStacksPerTarget = graph
    ? c.integer(
        'maxStacksPerTarget',
        raw.maxStacksPerTarget,
        1,
        RolloutLimits.maxStacksPerTarget,
        RolloutDefaults.maxStacksPerTarget,
      )
    : undefined;
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
    (graph ? stacks === undefined || maxStacksPerTarget === undefined : single === undefined) ||
    tags === undefined ||
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
  const common: RolloutCommon = {
    rolloutId,
    mode,
    tags,
    executionRoleName,
    targets,
    maxConcurrency,
    failureTolerance,
    canaries,
    timeoutSeconds,
    repair,
    stackEvents,
  };
  const input: RolloutInput =
    stacks && maxStacksPerTarget !== undefined
      ? { ...common, stacks, maxStacksPerTarget }
      : { ...common, ...(single as Omit<SingleStackRollout, keyof RolloutCommon>) };
  if (externalId !== undefined) input.externalId = externalId;
  return { input, issues: [] };
}

/**
 * The validated input as a request again (the execution input the CLI starts a rollout with):
 * the same fields, and in the stacks form each stack's output-fed parameters back among its
 * parameters as `{ fromStack, output }`. Validating it gives the same input.
 */
export function rolloutRequestOf(input: RolloutInput): Record<string, unknown> {
  if (!isStackGraph(input)) return { ...input };
  return { ...input, stacks: input.stacks.map(stackRequestOf) };
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

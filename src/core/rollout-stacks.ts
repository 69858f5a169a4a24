import {
  type Checker,
  isPlainObject,
  PATTERNS,
  parameterText,
  readCapabilities,
  readOverrides,
  readTags,
  readTemplate,
  showValue,
} from './input-checker';
import { RolloutLimits, type TargetSelection } from './rollout-input';
import { findCycle, type OutputReference, type StackSpec, type StackTargetNarrowing } from './stack-graph';

/**
 * Reads the `stacks` form of the rollout request: a list of stacks with dependencies, each with
 * its own template, parameters (literal, or `{ fromStack, output }` taken from a dependency's
 * outputs in the same target), tags, capabilities and optional narrowing of the rollout's
 * targets and regions. Refused before anything starts, each naming the field and the value:
 * duplicate names and stack names, unknown `dependsOn`/`fromStack` names, cycles. Outputs a
 * template does not declare need the templates, so rollout-checks/preflight check those.
 */

/** Fields of one entry of `stacks`. */
export const STACK_FIELDS = [
  'name',
  'stackName',
  'template',
  'parameters',
  'parameterOverrides',
  'tags',
  'capabilities',
  'dependsOn',
  'targets',
  'regions',
] as const;

/** Top-level fields that belong to each stack when `stacks` is given. */
export const PER_STACK_TOP_LEVEL_FIELDS = [
  'template',
  'stackName',
  'parameters',
  'parameterOverrides',
  'capabilities',
] as const;

/** A stack's name: it appears in execution names (`<account>-<region>-<name>-<rollout>`), so it is short. */
const STACK_KEY = /^[A-Za-z][A-Za-z0-9-]{0,23}$/;
const OUTPUT_KEY = /^[A-Za-z0-9]{1,255}$/;

function readParameters(
  c: Checker,
  field: string,
  value: unknown,
): { parameters: Record<string, string>; outputParameters: Record<string, OutputReference> } | undefined {
  if (value === undefined) return { parameters: {}, outputParameters: {} };
  if (!isPlainObject(value)) {
    return c.fail(
      field,
      `must be a map of parameter names to values or { fromStack, output }. Received: ${showValue(value)}`,
    );
  }
  if (Object.keys(value).length > RolloutLimits.maxParameters) {
    return c.fail(
      field,
      `must have at most ${RolloutLimits.maxParameters} parameters. Received: ${Object.keys(value).length}`,
    );
  }
  const parameters: Record<string, string> = {};
  const outputParameters: Record<string, OutputReference> = {};
  for (const [key, raw] of Object.entries(value)) {
    const where = `${field}.${key}`;
    if (!PATTERNS.parameterKey.test(key)) {
      c.fail(where, `is not a valid parameter name (letters and digits only). Received: ${showValue(key)}`);
      continue;
    }
    if (isPlainObject(raw)) {
      c.unknownFields(where, raw, ['fromStack', 'output']);
      const fromStack = c.string(where.concat('.fromStack'), raw.fromStack, STACK_KEY, 'the name of a stack');
      const output = c.string(
        where.concat('.output'),
        raw.output,
        OUTPUT_KEY,
        'the logical id of an output (letters and digits)',
      );
      if (fromStack !== undefined && output !== undefined) outputParameters[key] = { fromStack, output };
      continue;
    }
    const text = parameterText(raw);
    if (text === undefined) {
      c.fail(
        where,
        `must be a string, number, boolean, list of them, or { fromStack, output }. Received: ${showValue(raw)}`,
      );
      continue;
    }
    parameters[key] = text;
  }
  return { parameters, outputParameters };
}

function readNarrowing(c: Checker, field: string, value: unknown): StackTargetNarrowing | undefined {
  if (!isPlainObject(value)) {
    return c.fail(
      field,
      `must be an object with accounts, organizationalUnits and/or excludeAccounts (it narrows the rollout's targets). Received: ${showValue(value)}`,
    );
  }
  c.unknownFields(field, value, ['accounts', 'organizationalUnits', 'excludeAccounts']);
  const out: StackTargetNarrowing = {};
  if (value.accounts !== undefined)
    out.accounts = c.list(`${field}.accounts`, value.accounts, (f, v) => c.accountId(f, v));
  if (value.organizationalUnits !== undefined)
    out.organizationalUnits = c.list(`${field}.organizationalUnits`, value.organizationalUnits, (f, v) =>
      c.string(f, v, PATTERNS.organizationalUnit, 'an OU id (ou-xxxx-xxxxxxxx) or the root id (r-xxxx)'),
    );
  if (value.excludeAccounts !== undefined)
    out.excludeAccounts = c.list(`${field}.excludeAccounts`, value.excludeAccounts, (f, v) =>
      c.accountId(f, v),
    );
  if (Object.keys(value).length === 0) {
    return c.fail(field, `must name accounts, organizationalUnits or excludeAccounts. Received: {}`);
  }
  return out;
}

function readStack(
  c: Checker,
  index: number,
  raw: unknown,
  shared: { tags: Record<string, string>; targets: TargetSelection | undefined },
): StackSpec | undefined {
  const field = `stacks[${index}]`;
  if (!isPlainObject(raw)) {
    return c.fail(
      field,
      `must be an object with name, stackName, template and optional parameters, dependsOn. Received: ${showValue(raw)}`,
    );
  }
  c.unknownFields(field, raw, STACK_FIELDS);
  const name = c.string(
    `${field}.name`,
    raw.name,
    STACK_KEY,
    '1-24 letters, digits or hyphens, starting with a letter',
  );
  const stackName = c.string(
    `${field}.stackName`,
    raw.stackName,
    PATTERNS.stackName,
    'a stack name: 1-128 letters, digits or hyphens, starting with a letter',
  );
  const template = readTemplate(c, raw.template, `${field}.template`);
  const params = readParameters(c, `${field}.parameters`, raw.parameters);
  const parameterOverrides = readOverrides(c, raw.parameterOverrides, `${field}.parameterOverrides`);
  const ownTags = readTags(c, raw.tags, `${field}.tags`);
  const capabilities = readCapabilities(c, `${field}.capabilities`, raw.capabilities);
  const dependsOn = c.list(`${field}.dependsOn`, raw.dependsOn, (f, v) =>
    c.string(f, v, STACK_KEY, 'the name of another stack of this rollout'),
  );
  const targets = raw.targets === undefined ? undefined : readNarrowing(c, `${field}.targets`, raw.targets);
  let regions: string[] | undefined;
  if (raw.regions !== undefined) {
    regions = c.list(`${field}.regions`, raw.regions, (f, v) => c.region(f, v));
    if (regions?.length === 0)
      regions = c.fail(`${field}.regions`, 'must name at least one region. Received: []');
    // A stack's regions only narrow the rollout's: the stack runs where both reach. A region the
    // rollout leaves out (`--regions eu-west-1` on a config whose guard stack is us-east-1 only)
    // is not an error; one the partition lacks is refused by the planner, as override regions are.
  }
  if (
    name === undefined ||
    stackName === undefined ||
    template === undefined ||
    params === undefined ||
    parameterOverrides === undefined ||
    ownTags === undefined ||
    capabilities === undefined ||
    dependsOn === undefined ||
    (raw.targets !== undefined && targets === undefined) ||
    (raw.regions !== undefined && regions === undefined)
  ) {
    return undefined;
  }
  const tags = { ...shared.tags, ...ownTags };
  if (Object.keys(tags).length > RolloutLimits.maxTags) {
    return c.fail(
      `${field}.tags`,
      `with the rollout's tags must be at most ${RolloutLimits.maxTags} tags. Received: ${Object.keys(tags).length}`,
    );
  }
  const referenced = Object.values(params.outputParameters).map((r) => r.fromStack);
  const spec: StackSpec = {
    name,
    stackName,
    template,
    parameters: params.parameters,
    outputParameters: params.outputParameters,
    parameterOverrides,
    tags,
    capabilities,
    dependsOn: [...new Set([...dependsOn, ...referenced])],
  };
  if (targets) spec.targets = targets;
  if (regions) spec.regions = regions;
  return spec;
}

/** Cross-stack checks: unique names, known references, no cycle. */
function checkGraph(c: Checker, stacks: StackSpec[], rawStacks: unknown[]): void {
  const names = stacks.map((s) => s.name);
  const known = `(${names.join(', ')})`;
  // Every entry was read (readStacks stops before this otherwise), so stacks[i] is rawStacks[i].
  stacks.forEach((s, i) => {
    const first = stacks.findIndex((o) => o.name === s.name);
    if (first < i) {
      c.fail(
        `stacks[${i}].name`,
        `must be unique: stacks[${first}] is also named ${s.name}. Received: ${s.name}`,
      );
    }
    const sameStack = stacks.findIndex((o) => o.stackName === s.stackName);
    if (sameStack < i) {
      c.fail(
        `stacks[${i}].stackName`,
        `must be unique: stacks[${sameStack}] (${stacks[sameStack]?.name}) deploys a stack of the same name. Received: ${s.stackName}`,
      );
    }
    const rawDeps = (rawStacks[i] as Record<string, unknown>).dependsOn;
    const explicit = Array.isArray(rawDeps) ? rawDeps : [];
    explicit.forEach((d, j) => {
      if (d === s.name) {
        c.fail(
          `stacks[${i}].dependsOn[${j}]`,
          `must name another stack: a stack cannot depend on itself. Received: ${s.name}`,
        );
      } else if (typeof d === 'string' && STACK_KEY.test(d) && !names.includes(d)) {
        c.fail(`stacks[${i}].dependsOn[${j}]`, `must name a stack of this rollout ${known}. Received: ${d}`);
      }
    });
    for (const [parameter, ref] of Object.entries(s.outputParameters)) {
      const where = `stacks[${i}].parameters.${parameter}.fromStack`;
      if (ref.fromStack === s.name) {
        c.fail(where, `must name another stack: a stack cannot read its own outputs. Received: ${s.name}`);
      } else if (!names.includes(ref.fromStack)) {
        c.fail(where, `must name a stack of this rollout ${known}. Received: ${ref.fromStack}`);
      }
    }
  });
  const clean = stacks.map((s) => ({ name: s.name, dependsOn: s.dependsOn.filter((d) => d !== s.name) }));
  const cycle = findCycle(clean);
  if (cycle) {
    const i = stacks.findIndex((s) => s.name === cycle[0]);
    c.fail(
      `stacks[${i}].dependsOn`,
      `must not form a cycle: ${cycle.join(' -> ')} (fromStack parameters count as dependencies). Received: ${showValue(stacks[i]?.dependsOn)}`,
    );
  }
}

/**
 * Reads `stacks`. `shared` holds what the whole rollout gives every stack (its tags) and its
 * targets (a stack's `regions` and `targets` only narrow them).
 */
export function readStacks(
  c: Checker,
  value: unknown,
  shared: { tags: Record<string, string> | undefined; targets: TargetSelection | undefined },
): StackSpec[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    return c.fail(
      'stacks',
      `must be a list of at least one stack ({ name, stackName, template, ... }). Received: ${showValue(value)}`,
    );
  }
  if (value.length > RolloutLimits.maxStacks) {
    return c.fail('stacks', `must have at most ${RolloutLimits.maxStacks} stacks. Received: ${value.length}`);
  }
  const before = c.issues.length;
  const stacks: StackSpec[] = [];
  value.forEach((raw, i) => {
    const spec = readStack(c, i, raw, { tags: shared.tags ?? {}, targets: shared.targets });
    if (spec) stacks.push(spec);
  });
  if (c.issues.length > before) return undefined;
  checkGraph(c, stacks, value);
  if (c.issues.length > before) return undefined;
  return stacks;
}

/**
 * A stack back in the request's form (output-fed parameters as `{ fromStack, output }` among the
 * literal ones), so a validated rollout can be sent as an execution's input and read again the
 * same way by "Validate input".
 */
export function stackRequestOf(spec: StackSpec): Record<string, unknown> {
  const { outputParameters, parameters, ...rest } = spec;
  return { ...rest, parameters: { ...parameters, ...outputParameters } };
}

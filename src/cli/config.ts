import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { showValue } from '../core/input-checker';
import { type RolloutInput, RolloutLimits, type RolloutMode } from '../core/rollout-input';
import { validateRolloutInput } from '../core/rollout-validation';
import { UsageError } from './exit-codes';
import { listFlag, type ParsedCommand } from './options';

/**
 * The rollout config file (YAML) is the rollout request minus what the CLI decides per run
 * (`rolloutId`, `mode`), and its `template` may be a local file that the CLI publishes to the
 * artifact bucket first. Flags override the file. Every error names the field and the value.
 */

type TemplateLocation = { bucket: string; key: string; versionId?: string };

/** Where the template comes from. */
export type TemplateSource =
  | { kind: 'file'; path: string }
  | { kind: 's3'; bucket: string; key: string; versionId?: string };

interface ConfigBase {
  /** The request without its templates resolved (see `template`, `stackTemplates`). */
  request: Record<string, unknown>;
  /** Where the config came from, for messages. */
  source: string;
  /** Request fields a command-line flag set instead of the file (field -> flag), for messages. */
  flagged?: Record<string, string>;
}

/** The one-template form: `template` and `stackName`. */
export interface TemplateConfig extends ConfigBase {
  template: TemplateSource;
  stackTemplates?: undefined;
}

/** The stacks form: each entry of `request.stacks` lacks its `template`, which is here at the same index. */
export interface StacksConfig extends ConfigBase {
  stackTemplates: TemplateSource[];
  template?: undefined;
}

export type LoadedConfig = TemplateConfig | StacksConfig;

/** Whether a config uses the stacks form. */
export function isStacksConfig(config: LoadedConfig): config is StacksConfig {
  return config.stackTemplates !== undefined;
}

/** The demo rollout `npm start` runs on the sandbox when no --config is given. */
export const DEMO_CONFIG_PATH = resolve(__dirname, '../../examples/rollout.yaml');

/**
 * The demo in the one-template form: what `--template` or `--stack-name` without --config run on,
 * since the demo itself is a graph of stacks, each with its own template and stack name.
 */
export const DEMO_ONE_TEMPLATE_CONFIG_PATH = resolve(__dirname, '../../examples/one-stack.yaml');

/** The config a command runs: --config, else the demo (in the one-template form when a flag asks for one template). */
export function configPathFor(values: ParsedCommand['values']): string {
  if (values.config !== undefined) return String(values.config);
  return values.template !== undefined || values['stack-name'] !== undefined
    ? DEMO_ONE_TEMPLATE_CONFIG_PATH
    : DEMO_CONFIG_PATH;
}

const S3_URL = /^s3:\/\/([^/]+)\/([^?]+)(?:\?versionId=(.+))?$/;

/** Parses `s3://bucket/key?versionId=v` or a local path; a local file must exist. */
export function parseTemplateSource(value: unknown, baseDir: string, field = 'template'): TemplateSource {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { bucket, key, versionId } = value as Record<string, unknown>;
    if (typeof bucket !== 'string' || typeof key !== 'string') {
      throw new UsageError(
        `${field} must be a file path, an s3:// URL or { bucket, key, versionId }. Received: ${showValue(value)}`,
      );
    }
    return { kind: 's3', bucket, key, ...(typeof versionId === 'string' ? { versionId } : {}) };
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new UsageError(`${field} must be a file path or an s3:// URL. Received: ${showValue(value)}`);
  }
  const s3 = S3_URL.exec(value);
  if (s3) {
    const [, bucket, key, versionId] = s3;
    return {
      kind: 's3',
      bucket: bucket!,
      key: key!,
      ...(versionId ? { versionId: decodeURIComponent(versionId) } : {}),
    };
  }
  if (/^[a-z]+:\/\//i.test(value)) {
    throw new UsageError(`${field} must be a local file or an s3:// URL. Received: ${value}`);
  }
  const path = isAbsolute(value) ? value : resolve(baseDir, value);
  if (!existsSync(path))
    throw new UsageError(`${field}: file not found. Received: ${value} (looked in ${path})`);
  if (statSync(path).isDirectory()) {
    throw new UsageError(`${field} must be a template file, not a directory. Received: ${value}`);
  }
  return { kind: 'file', path };
}

/** Reads and checks the YAML config file; `undefined` path means the built-in demo rollout. */
export function loadConfigFile(path: string | undefined): LoadedConfig {
  const file = path ? resolve(path) : DEMO_CONFIG_PATH;
  if (!existsSync(file)) throw new UsageError(`--config: file not found. Received: ${path}`);
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--config: ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(
      `--config: ${file} must hold a mapping of rollout settings. Received: ${showValue(parsed)}`,
    );
  }
  const request = { ...(parsed as Record<string, unknown>) };
  for (const field of ['rolloutId', 'mode']) {
    if (field in request) {
      throw new UsageError(
        `${field} does not belong in the config file (the CLI sets it per run). Received: ${showValue(request[field])}`,
      );
    }
  }
  if (request.stacks !== undefined) return loadStacksConfig(request, file);
  if (request.template === undefined)
    throw new UsageError(
      `template (or stacks, a list of stacks) is required in ${file}. Received: (nothing)`,
    );
  const template = parseTemplateSource(request.template, dirname(file));
  delete request.template;
  return { request, template, source: file };
}

/** The stacks form: every stack's template resolved against the config's folder. */
function loadStacksConfig(request: Record<string, unknown>, file: string): StacksConfig {
  if (request.template !== undefined) {
    throw new UsageError(
      `template belongs in each entry of stacks when stacks is given (${file}). Received: ${showValue(request.template)}`,
    );
  }
  if (!Array.isArray(request.stacks) || request.stacks.length === 0) {
    throw new UsageError(
      `stacks must be a list of at least one stack in ${file}. Received: ${showValue(request.stacks)}`,
    );
  }
  const stackTemplates: TemplateSource[] = [];
  const stacks = request.stacks.map((entry: unknown, i: number) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new UsageError(
        `stacks[${i}] must be a mapping with name, stackName and template (${file}). Received: ${showValue(entry)}`,
      );
    }
    const { template, ...rest } = entry as Record<string, unknown>;
    if (template === undefined)
      throw new UsageError(`stacks[${i}].template is required in ${file}. Received: (nothing)`);
    stackTemplates.push(parseTemplateSource(template, dirname(file), `stacks[${i}].template`));
    return rest;
  });
  return { request: { ...request, stacks }, stackTemplates, source: file };
}

/**
 * Which part of the config's `targets` each target flag replaces. A flag never adds to the
 * config: `--accounts 200000000001` must not also deploy to the OUs the config names, so the
 * account flags replace the whole account part (accounts, organizationalUnits,
 * includeManagementAccount) and each other flag replaces its own field.
 */
export const TARGET_FLAG_FIELDS = {
  accounts: 'targets.accounts',
  ous: 'targets.organizationalUnits',
  regions: 'targets.regions',
  'exclude-accounts': 'targets.excludeAccounts',
  'exclude-regions': 'targets.excludeRegions',
} as const;

/** Reads a whole-number flag, naming the flag, the range and the value when it is not one. */
function wholeNumberFlag(values: ParsedCommand['values'], flag: string, min: number, max: number, unit = '') {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const text = String(raw);
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(
      `--${flag} must be a whole ${unit || 'number'} from ${min} to ${max}. Received: ${JSON.stringify(text)}`,
    );
  }
  return Number(text);
}

/** Applies command-line flags over the config file's values (see TARGET_FLAG_FIELDS). */
export function applyFlags<C extends LoadedConfig>(config: C, values: ParsedCommand['values']): C {
  if (isStacksConfig(config)) {
    for (const flag of ['template', 'stack-name'] as const) {
      if (values[flag] !== undefined) {
        throw new UsageError(
          `--${flag} applies to the one-template form; ${config.source} lists stacks, each with its own ${flag === 'template' ? 'template' : 'stackName'}. Received: --${flag} ${String(values[flag])}`,
        );
      }
    }
  }
  const request = structuredClone(config.request);
  const targets = { ...((request.targets as Record<string, unknown> | undefined) ?? {}) };
  const flagged: Record<string, string> = { ...config.flagged };
  const accounts = listFlag(values, 'accounts');
  const ous = listFlag(values, 'ous');
  if (accounts !== undefined || ous !== undefined) {
    targets.accounts = accounts ?? [];
    targets.organizationalUnits = ous ?? [];
    delete targets.includeManagementAccount;
    flagged[TARGET_FLAG_FIELDS.accounts] = '--accounts';
    flagged[TARGET_FLAG_FIELDS.ous] = '--ous';
  }
  const replace = (flag: 'exclude-accounts' | 'exclude-regions') => {
    const list = listFlag(values, flag);
    if (list === undefined) return;
    targets[TARGET_FLAG_FIELDS[flag].slice('targets.'.length)] = list;
    flagged[TARGET_FLAG_FIELDS[flag]] = `--${flag}`;
  };
  replace('exclude-accounts');
  replace('exclude-regions');
  const regions = listFlag(values, 'regions');
  if (regions) {
    targets.regions = regions.length === 1 && regions[0] === 'ALL_ENABLED' ? 'ALL_ENABLED' : regions;
    flagged[TARGET_FLAG_FIELDS.regions] = '--regions';
  }
  if (Object.keys(targets).length > 0) request.targets = targets;

  const maxConcurrency = wholeNumberFlag(values, 'max-concurrency', 1, RolloutLimits.maxConcurrency);
  if (maxConcurrency !== undefined) request.maxConcurrency = maxConcurrency;
  const count = wholeNumberFlag(values, 'failure-tolerance-count', 0, 100_000_000);
  // Distributed Map's ToleratedFailurePercentage is an integer from 0 to 100 (statelint).
  const percent = wholeNumberFlag(values, 'failure-tolerance-percent', 0, 100, 'percentage');
  if (count !== undefined && percent !== undefined) {
    throw new UsageError(
      `--failure-tolerance-count and --failure-tolerance-percent cannot be used together. Received: ${count} and ${percent}`,
    );
  }
  if (count !== undefined) request.failureTolerance = { count };
  if (percent !== undefined) request.failureTolerance = { percent };
  if (values['stack-name'] !== undefined) request.stackName = values['stack-name'];
  if (values['external-id'] !== undefined) request.externalId = values['external-id'];
  if (values['no-repair'] === true) request.repair = false;

  if (isStacksConfig(config)) return { ...config, request, flagged };
  if (values.template !== undefined) flagged.template = '--template';
  const template =
    values.template !== undefined
      ? parseTemplateSource(values.template, process.cwd(), '--template')
      : config.template;
  return { ...config, request, template, flagged };
}

/**
 * A problem's field as the user set it: `targets.accounts[0]` becomes `targets.accounts[0] (from
 * --accounts)` when the flag replaced that part of the config.
 */
export function fieldOrigin(config: Pick<LoadedConfig, 'flagged'>, field: string): string | undefined {
  for (const [prefix, flag] of Object.entries(config.flagged ?? {})) {
    if (field === prefix || field.startsWith(`${prefix}[`) || field.startsWith(`${prefix}.`)) return flag;
  }
  return undefined;
}

/** A rollout id that sorts by time and is unique enough per run: `ro-20261127-123456-ab12`. */
export function newRolloutId(now: Date, random: () => number = Math.random): string {
  const iso = now.toISOString();
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
  const suffix = Math.floor(random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0');
  return `ro-${stamp}-${suffix}`;
}

/**
 * Builds and validates the rollout input. The template location is filled in after publishing;
 * until then a placeholder is used so every other field is checked before anything is touched.
 */
export function buildRolloutInput(
  config: LoadedConfig,
  mode: RolloutMode,
  rolloutId: string,
  template: TemplateLocation | readonly TemplateLocation[],
): RolloutInput {
  const raw: Record<string, unknown> = {
    executionRoleName: 'StackFleetExecution',
    ...config.request,
    rolloutId,
    mode,
  };
  if (isStacksConfig(config)) {
    // One location per stack (a placeholder until its template is published).
    const locations = Array.isArray(template) ? template : config.stackTemplates.map(() => template);
    raw.stacks = (config.request.stacks as Array<Record<string, unknown>>).map((stack, i) => ({
      ...stack,
      template: locations[i] ?? locations[0],
    }));
  } else {
    raw.template = Array.isArray(template) ? template[0] : template;
  }
  if (mode === 'drift' && raw.repair === undefined) raw.repair = true;
  if (mode !== 'drift') delete raw.repair;
  const { input, issues } = validateRolloutInput(raw);
  if (!input || issues.length > 0) {
    const where = config.source;
    const lines = issues.map((i) => {
      const flag = fieldOrigin(config, i.field);
      return `  - ${i.message}${flag ? ` (from ${flag})` : ''}`;
    });
    throw new UsageError(`Invalid rollout configuration (${where}):\n${lines.join('\n')}`);
  }
  return input;
}

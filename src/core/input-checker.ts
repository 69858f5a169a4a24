import {
  type InputIssue,
  type ParameterOverride,
  RolloutLimits,
  StackCapabilities,
  type StackCapability,
  type TemplateLocation,
} from './rollout-input';
import { isKnownRegion } from './target-input';

/**
 * The field readers every part of the rollout request shares (the one-template form, the stacks
 * form): each returns the normalised value or undefined, and records an issue that names the
 * field and the value received.
 */
export const PATTERNS = {
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

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects issues while reading a request; each reader returns the normalised value or undefined. */
export class Checker {
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

export function parameterText(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  if (Array.isArray(raw) && raw.every((item) => ['string', 'number', 'boolean'].includes(typeof item))) {
    return raw.map(String).join(',');
  }
  return undefined;
}

export function readTemplate(c: Checker, value: unknown, field = 'template'): TemplateLocation | undefined {
  if (!isPlainObject(value)) {
    return c.fail(field, `must be an object with bucket, key and versionId. Received: ${showValue(value)}`);
  }
  c.unknownFields(field, value, ['bucket', 'key', 'versionId']);
  const bucket = c.string(
    `${field}.bucket`,
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
        `${field}.key`,
        `must be an S3 object key (1-1024 characters, no leading /). Received: ${showValue(value.key)}`,
      );
  let versionId: string | undefined;
  if (value.versionId !== undefined) {
    versionId =
      typeof value.versionId === 'string' && value.versionId.length > 0 && value.versionId.length <= 1024
        ? value.versionId
        : c.fail(
            `${field}.versionId`,
            `must be an S3 version id (omit it to use the latest version). Received: ${showValue(value.versionId)}`,
          );
  }
  if (bucket === undefined || key === undefined) return undefined;
  return versionId === undefined ? { bucket, key } : { bucket, key, versionId };
}

export function readTags(c: Checker, value: unknown, field = 'tags'): Record<string, string> | undefined {
  if (value === undefined) return {};
  if (!isPlainObject(value))
    return c.fail(field, `must be a map of tag keys to values. Received: ${showValue(value)}`);
  const entries = Object.entries(value);
  if (entries.length > RolloutLimits.maxTags) {
    return c.fail(
      field,
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
        `${field}.${key}`,
        `must be a tag key of 1-128 characters not starting with aws: or stackfleet: (reserved). Received: ${showValue(key)}`,
      );
      continue;
    }
    if (typeof raw !== 'string' || raw.length > 256) {
      c.fail(`${field}.${key}`, `must be a string of at most 256 characters. Received: ${showValue(raw)}`);
      continue;
    }
    out[key] = raw;
  }
  return out;
}

export function readOverrides(
  c: Checker,
  value: unknown,
  base = 'parameterOverrides',
): ParameterOverride[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return c.fail(base, `must be a list. Received: ${showValue(value)}`);
  const out: ParameterOverride[] = [];
  value.forEach((raw, index) => {
    const field = `${base}[${index}]`;
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

/** The capabilities a stack acknowledges (`field` is `capabilities` or `stacks[i].capabilities`). */
export function readCapabilities(c: Checker, field: string, value: unknown): StackCapability[] | undefined {
  const allowed = Object.values(StackCapabilities) as string[];
  return c.list(field, value, (f, v) =>
    typeof v === 'string' && allowed.includes(v)
      ? (v as StackCapability)
      : c.fail(f, `must be one of ${allowed.join(', ')}. Received: ${showValue(v)}`),
  );
}

/**
 * Stack parameters checked against the template as CloudFormation checks them, with its
 * messages: missing values, unknown keys, AllowedValues, AllowedPattern, lengths, numbers.
 */
import { AwsError } from '../types';
import type { ParsedTemplate, TemplateParameterDecl } from './template';

/** A parameter as it arrives on the wire (`Parameters.member.N`). */
export interface GivenParameter {
  ParameterKey?: string;
  ParameterValue?: string;
  UsePreviousValue?: boolean | string;
}

export interface ResolvedParameters {
  /** What DescribeStacks reports (lists comma-joined). */
  values: Record<string, string>;
  /** What `Ref` returns (lists as arrays). */
  typed: Record<string, string | string[]>;
}

function validation(message: string): AwsError {
  return new AwsError('ValidationError', message);
}

function scalar(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String).join(',');
  return String(value);
}

function isList(type: string): boolean {
  return type === 'CommaDelimitedList' || type.startsWith('List<');
}

/**
 * Resolves the given parameters (with `UsePreviousValue` against `previous`) and template
 * defaults, refusing what AWS refuses. `NoEcho` values are kept; masking happens on output.
 */
export function resolveParameters(
  template: ParsedTemplate,
  given: GivenParameter[] | undefined,
  previous?: Record<string, string>,
  ssm?: (name: string) => string | undefined,
): ResolvedParameters {
  const declared = template.Parameters;
  const supplied: Record<string, string> = {};
  const unknown: string[] = [];
  for (const p of given ?? []) {
    const key = p.ParameterKey;
    if (!key) throw validation('Parameters must have a ParameterKey.');
    if (!(key in declared)) {
      unknown.push(key);
      continue;
    }
    const usePrevious = p.UsePreviousValue === true || p.UsePreviousValue === 'true';
    if (usePrevious) {
      if (p.ParameterValue !== undefined) {
        throw validation(
          `Invalid input for parameter key ${key}. Cannot specify usePreviousValue as true and non empty value for a parameter`,
        );
      }
      const old = previous?.[key];
      if (old === undefined) {
        throw validation(
          `Invalid input for parameter key ${key}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`,
        );
      }
      supplied[key] = old;
    } else {
      supplied[key] = p.ParameterValue ?? '';
    }
  }
  if (unknown.length > 0) {
    if (Object.keys(declared).length === 0) {
      throw validation('Parameter values specified for a template which does not require them.');
    }
    throw validation(`Parameters: [${unknown.join(', ')}] do not exist in the template`);
  }
  const values: Record<string, string> = {};
  const typed: Record<string, string | string[]> = {};
  const missing: string[] = [];
  const unfetched: string[] = [];
  for (const [name, decl] of Object.entries(declared)) {
    const value = supplied[name] ?? scalar(decl.Default);
    if (value === undefined) {
      missing.push(name);
      continue;
    }
    const ssmType = /^AWS::SSM::Parameter::Value<(.+)>$/.exec(decl.Type);
    if (ssmType) {
      // The value names a Systems Manager parameter; Ref gives the parameter's value, fetched
      // when the operation starts (CloudFormation User Guide, parameters-section-structure,
      // "SSM parameter types"). DescribeStacks keeps showing the name.
      const fetched = ssm?.(value);
      if (fetched === undefined) {
        unfetched.push(value);
        continue;
      }
      values[name] = value;
      typed[name] =
        isList(ssmType[1] as string) || (ssmType[1] as string) === 'CommaDelimitedList'
          ? fetched.split(',').map((v) => v.trim())
          : fetched;
      continue;
    }
    checkConstraints(name, decl, value);
    values[name] = value;
    typed[name] = isList(decl.Type) ? (value === '' ? [] : value.split(',').map((v) => v.trim())) : value;
  }
  if (missing.length > 0) throw validation(`Parameters: [${missing.join(', ')}] must have values`);
  if (unfetched.length > 0) {
    throw validation(
      `Unable to fetch parameters [${unfetched.join(',')}] from parameter store for this account.`,
    );
  }
  return { values, typed };
}

const patterns = new Map<string, RegExp>();

function compiledPattern(source: string): RegExp {
  let pattern = patterns.get(source);
  if (!pattern) {
    pattern = new RegExp(`^(?:${source})$`);
    patterns.set(source, pattern);
  }
  return pattern;
}

function checkConstraints(name: string, decl: TemplateParameterDecl, value: string): void {
  const items = isList(decl.Type) ? value.split(',').map((v) => v.trim()) : [value];
  const failed = (fallback: string): AwsError =>
    validation(
      decl.ConstraintDescription
        ? `Parameter '${name}' failed to satisfy constraint: ${decl.ConstraintDescription}`
        : fallback,
    );
  if (decl.Type === 'Number' || decl.Type === 'List<Number>') {
    for (const item of items) {
      if (item.trim() === '' || Number.isNaN(Number(item)))
        throw validation(`Parameter '${name}' must be a number`);
      if (decl.MinValue !== undefined && Number(item) < Number(decl.MinValue)) {
        throw failed(`Parameter '${name}' must be a number not less than ${decl.MinValue}`);
      }
      if (decl.MaxValue !== undefined && Number(item) > Number(decl.MaxValue)) {
        throw failed(`Parameter '${name}' must be a number not greater than ${decl.MaxValue}`);
      }
    }
  }
  if (decl.AllowedValues !== undefined) {
    const allowed = decl.AllowedValues.map((v) => scalar(v));
    for (const item of items) {
      if (!allowed.includes(item)) throw failed(`Parameter '${name}' must be one of AllowedValues`);
    }
  }
  if (decl.AllowedPattern !== undefined) {
    const pattern = compiledPattern(decl.AllowedPattern);
    for (const item of items) {
      if (!pattern.test(item)) throw failed(`Parameter '${name}' must match pattern ${decl.AllowedPattern}`);
    }
  }
  if (decl.MinLength !== undefined && value.length < Number(decl.MinLength)) {
    throw failed(`Parameter '${name}' must contain at least ${decl.MinLength} characters`);
  }
  if (decl.MaxLength !== undefined && value.length > Number(decl.MaxLength)) {
    throw failed(`Parameter '${name}' must contain at most ${decl.MaxLength} characters`);
  }
}

/** Whether DescribeStacks must mask the value (`NoEcho: true`). */
export function isNoEcho(template: ParsedTemplate, name: string): boolean {
  const noEcho = template.Parameters[name]?.NoEcho;
  return noEcho === true || noEcho === 'true';
}

/**
 * A Systems Manager parameter's value in the sandbox (world section `ssm`:
 * `{ parameters: { "<account>/<region>": { "<name>": "<value>" } } }`, seeded by the sandbox's
 * CDK bootstrap), or undefined when the account has no such parameter in that region.
 */
export function ssmParameter(
  world: { state: Record<string, unknown> },
  accountId: string,
  region: string,
  name: string,
): string | undefined {
  const section = world.state.ssm as { parameters?: Record<string, Record<string, string>> } | undefined;
  const perTarget = section?.parameters?.[`${accountId}/${region}`];
  return perTarget && Object.hasOwn(perTarget, name) ? perTarget[name] : undefined;
}

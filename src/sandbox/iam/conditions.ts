/**
 * The Condition element, compiled once per statement (IAM User Guide,
 * reference_policies_elements_condition, _condition_operators and
 * reference_policies_multi-value-conditions). The rules:
 * - operators AND, keys within an operator AND, the values of one key OR;
 * - a negated operator (StringNotEquals, ArnNotLike, NotIpAddress ...) holds when the request's
 *   value matches none of the policy's values;
 * - a missing key: "the values do not match and the condition is false. If the policy condition
 *   requires that the key is not matched, such as StringNotLike or ArnNotLike, and the right key is
 *   not present, the condition is true. This logic applies to all condition operators except
 *   ...IfExists and Null check";
 * - `...IfExists`: "If the key is not present, evaluate the condition element as true";
 * - `ForAllValues:` holds when every request value matches (and when the key is missing or its set
 *   empty); `ForAnyValue:` when at least one does (false when missing or empty: "If the key values
 *   in the request resolve to an empty data set ... ForAllValues returns true, and ... ForAnyValue
 *   returns false"); they may be used on single-valued keys, with the same semantics;
 * - policy variables only in the String, Bool and Arn operators ("You can not use a policy variable
 *   with the Numeric / Date / Binary / IpAddress / Null condition operator");
 * - an operator this module does not know matches nothing (parsePolicy refuses it up front).
 */
import type { RequestContextView } from './context';
import { type Cidr, cidrContains, parseCidr, parseIp } from './ip';
import type { ConditionBlock, ConditionValue } from './types';
import { parseTemplate, resolveTemplate, resolveText, type Template } from './variables';
import { compileGlob, type Matcher } from './wildcard';

/** A compiled Condition element: true when the statement's conditions hold for the request. */
export type ConditionMatcher = (context: RequestContextView) => boolean;

type Family =
  | 'String'
  | 'StringIgnoreCase'
  | 'StringLike'
  | 'Numeric'
  | 'Date'
  | 'Bool'
  | 'Binary'
  | 'Ip'
  | 'Arn'
  | 'Null';
type Comparison = 'eq' | 'lt' | 'le' | 'gt' | 'ge';

interface OperatorInfo {
  readonly family: Family;
  readonly negated: boolean;
  readonly comparison: Comparison;
}

const op = (family: Family, negated = false, comparison: Comparison = 'eq'): OperatorInfo => ({
  family,
  negated,
  comparison,
});

/** Every operator IAM documents, by base name (without a set prefix or IfExists). */
export const CONDITION_OPERATORS: Readonly<Record<string, OperatorInfo>> = {
  StringEquals: op('String'),
  StringNotEquals: op('String', true),
  StringEqualsIgnoreCase: op('StringIgnoreCase'),
  StringNotEqualsIgnoreCase: op('StringIgnoreCase', true),
  StringLike: op('StringLike'),
  StringNotLike: op('StringLike', true),
  NumericEquals: op('Numeric'),
  NumericNotEquals: op('Numeric', true),
  NumericLessThan: op('Numeric', false, 'lt'),
  NumericLessThanEquals: op('Numeric', false, 'le'),
  NumericGreaterThan: op('Numeric', false, 'gt'),
  NumericGreaterThanEquals: op('Numeric', false, 'ge'),
  DateEquals: op('Date'),
  DateNotEquals: op('Date', true),
  DateLessThan: op('Date', false, 'lt'),
  DateLessThanEquals: op('Date', false, 'le'),
  DateGreaterThan: op('Date', false, 'gt'),
  DateGreaterThanEquals: op('Date', false, 'ge'),
  Bool: op('Bool'),
  BinaryEquals: op('Binary'),
  IpAddress: op('Ip'),
  NotIpAddress: op('Ip', true),
  ArnEquals: op('Arn'),
  ArnLike: op('Arn'),
  ArnNotEquals: op('Arn', true),
  ArnNotLike: op('Arn', true),
  Null: op('Null'),
};

/** An operator name taken apart: `ForAnyValue:StringLikeIfExists`. */
export interface ParsedOperator {
  readonly set?: 'ForAnyValue' | 'ForAllValues';
  readonly base: string;
  readonly ifExists: boolean;
  /** Undefined when the base operator is not one IAM knows. */
  readonly info?: OperatorInfo;
}

/** Splits an operator name into set prefix, base operator and IfExists suffix. */
export function parseOperator(name: string): ParsedOperator {
  let rest = name;
  let set: ParsedOperator['set'];
  for (const prefix of ['ForAnyValue', 'ForAllValues'] as const) {
    if (rest.startsWith(`${prefix}:`)) {
      set = prefix;
      rest = rest.slice(prefix.length + 1);
    }
  }
  let ifExists = false;
  if (rest.endsWith('IfExists') && rest !== 'NullIfExists') {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const info = Object.hasOwn(CONDITION_OPERATORS, rest) ? CONDITION_OPERATORS[rest] : undefined;
  return info ? { set, base: rest, ifExists, info } : { set, base: rest, ifExists };
}

/** A number as IAM reads it (integer or decimal), or NaN. */
function parseNumber(text: string): number {
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text) ? Number(text) : Number.NaN;
}

/** A date as ISO 8601 or epoch seconds, in milliseconds, or NaN. */
export function parseDate(text: string): number {
  const trimmed = text.trim();
  if (/^[-+]?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  return Date.parse(trimmed);
}

function compare(a: number, b: number, comparison: Comparison): boolean {
  switch (comparison) {
    case 'eq':
      return a === b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
  }
}

function decodeBase64(text: string): Buffer | undefined {
  const trimmed = text.trim();
  return /^[A-Za-z0-9+/]*={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : undefined;
}

/** A context with no keys, for resolving variable-free templates at compile time. */
const EMPTY: RequestContextView = { values: () => undefined, single: () => undefined };

/** A positive value test: does this request value match any of the policy's values? */
type ValueTest = (requestValue: string, context: RequestContextView) => boolean;

function stringTest(values: readonly string[], variables: boolean, ignoreCase: boolean): ValueTest {
  const templates = values.map((v) => parseTemplate(v, { variables, wildcards: false }));
  const norm = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  if (!templates.some((t) => t.hasVariables)) {
    const set = new Set(templates.map((t) => norm(resolveText(t, EMPTY)!)));
    return (value) => set.has(norm(value));
  }
  return (value, context) => {
    const wanted = norm(value);
    for (const t of templates) {
      const text = resolveText(t, context);
      if (text !== undefined && norm(text) === wanted) return true;
    }
    return false;
  };
}

function globTest(values: readonly string[], variables: boolean, flavor: 'string' | 'arn'): ValueTest {
  const templates: Template[] = values.map((v) => parseTemplate(v, { variables, wildcards: true }));
  const fixed: Matcher[] = [];
  const dynamic: Template[] = [];
  for (const t of templates) {
    if (t.hasVariables) dynamic.push(t);
    else fixed.push(compileGlob(resolveTemplate(t, EMPTY)!, flavor));
  }
  return (value, context) => {
    for (const m of fixed) if (m(value)) return true;
    for (const t of dynamic) {
      const tokens = resolveTemplate(t, context);
      if (tokens && compileGlob(tokens, flavor)(value)) return true;
    }
    return false;
  };
}

function valueTest(info: OperatorInfo, values: readonly string[], variables: boolean): ValueTest {
  switch (info.family) {
    case 'String':
      return stringTest(values, variables, false);
    case 'StringIgnoreCase':
    case 'Bool':
      return stringTest(values, variables, true);
    case 'StringLike':
      return globTest(values, variables, 'string');
    case 'Arn':
      return globTest(values, variables, 'arn');
    case 'Numeric': {
      const numbers = values.map(parseNumber).filter((n) => !Number.isNaN(n));
      return (value) => {
        const n = parseNumber(value);
        return !Number.isNaN(n) && numbers.some((p) => compare(n, p, info.comparison));
      };
    }
    case 'Date': {
      const dates = values.map(parseDate).filter((n) => !Number.isNaN(n));
      return (value) => {
        const d = parseDate(value);
        return !Number.isNaN(d) && dates.some((p) => compare(d, p, info.comparison));
      };
    }
    case 'Binary': {
      const buffers = values.map(decodeBase64).filter((b): b is Buffer => b !== undefined);
      return (value) => {
        const b = decodeBase64(value);
        return b !== undefined && buffers.some((p) => p.equals(b));
      };
    }
    case 'Ip': {
      const ranges = values.map(parseCidr).filter((c): c is Cidr => c !== undefined);
      return (value) => {
        const ip = parseIp(value);
        return ip !== undefined && ranges.some((r) => cidrContains(r, ip));
      };
    }
    case 'Null':
      return () => false; // Null is decided on presence, below.
  }
}

function asStrings(value: ConditionValue | ConditionValue[]): string[] {
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** One operator + key pair, compiled. */
function compileKeyTest(
  parsed: ParsedOperator & { info: OperatorInfo },
  key: string,
  rawValues: ConditionValue | ConditionValue[],
  variables: boolean,
): ConditionMatcher {
  const lowerKey = key.toLowerCase();
  const values = asStrings(rawValues);
  const { info, set, ifExists } = parsed;
  if (info.family === 'Null') {
    const wantAbsent = values.map((v) => v.toLowerCase() === 'true');
    const wantPresent = values.map((v) => v.toLowerCase() === 'false');
    return (context) => {
      const present = context.values(lowerKey) !== undefined;
      return present ? wantPresent.includes(true) : wantAbsent.includes(true);
    };
  }
  const variablesAllowed =
    variables && (info.family.startsWith('String') || info.family === 'Bool' || info.family === 'Arn');
  const positive = valueTest(info, values, variablesAllowed);
  const perValue: ValueTest = info.negated ? (v, c) => !positive(v, c) : positive;
  return (context) => {
    const requestValues = context.values(lowerKey);
    if (requestValues === undefined) {
      if (ifExists || set === 'ForAllValues') return true;
      if (set === 'ForAnyValue') return false;
      return info.negated;
    }
    if (set === 'ForAnyValue') return requestValues.some((v) => perValue(v, context));
    if (set === 'ForAllValues' || info.negated) return requestValues.every((v) => perValue(v, context));
    return requestValues.some((v) => positive(v, context));
  };
}

const never: ConditionMatcher = () => false;

/**
 * Compiles a Condition element; undefined when there is none (the statement is unconditional).
 * `variables` is whether the policy's Version (2012-10-17) gives `${...}` its meaning.
 */
export function compileCondition(
  block: ConditionBlock | undefined,
  options: { variables: boolean },
): ConditionMatcher | undefined {
  if (!block || typeof block !== 'object') return undefined;
  const tests: ConditionMatcher[] = [];
  for (const [operator, keys] of Object.entries(block)) {
    const parsed = parseOperator(operator);
    if (!parsed.info) return never;
    if (!keys || typeof keys !== 'object') return never;
    const info = parsed.info;
    for (const [key, values] of Object.entries(keys)) {
      tests.push(compileKeyTest({ ...parsed, info }, key, values, options.variables));
    }
  }
  if (tests.length === 0) return undefined;
  if (tests.length === 1) return tests[0];
  return (context) => {
    for (const test of tests) if (!test(context)) return false;
    return true;
  };
}

/**
 * EventBridge event patterns, matched as the EventBridge User Guide's "Creating event patterns"
 * (eb-event-patterns) and "Content filtering" (eb-create-pattern-operators) describe them:
 * - every field the pattern names must match; fields it does not name are ignored;
 * - a leaf is an array of alternatives; it matches when the event's value (or, for an array in the
 *   event, any of its elements) matches one of them;
 * - literal strings, numbers (compared as numbers), `null` and booleans match equal values;
 * - filters: `prefix`, `suffix` (each optionally `{ "equals-ignore-case": ... }`),
 *   `equals-ignore-case`, `anything-but` (a value, a list, or `prefix`/`suffix`/`wildcard`),
 *   `numeric` (one or two comparisons), `exists`, `cidr`, `wildcard`;
 * - `$or` at any object level: one of its sub-patterns must match (together with the rest).
 * Pure: the EventBridge emulator (`PutRule`, `TestEventPattern`, delivery) validates with
 * `parseEventPattern` and matches with `matchesEventPattern`.
 */
import { cidrContains, parseCidr, parseIp } from '../../iam/ip';

/** A malformed pattern; the message is EventBridge's "Event pattern is not valid. Reason: ...". */
export class InvalidEventPatternError extends Error {
  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
    this.name = 'InvalidEventPatternError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const FILTERS = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
  'wildcard',
]);
const COMPARATORS = new Set(['<', '<=', '=', '>', '>=']);

function checkWildcard(value: Json, where: string): void {
  if (typeof value !== 'string')
    throw new InvalidEventPatternError(`"wildcard" must be a string at ${where}`);
  if (/\*\*/.test(value.replace(/\\\*/g, '')))
    throw new InvalidEventPatternError(`Consecutive wildcard characters at ${where}`);
}

function checkIgnoreCaseOr(value: Json, name: string, where: string): void {
  if (typeof value === 'string') return;
  if (isObject(value) && Object.keys(value).length === 1 && typeof value['equals-ignore-case'] === 'string')
    return;
  throw new InvalidEventPatternError(`"${name}" match pattern must be a string at ${where}`);
}

function checkNumeric(spec: Json, where: string): void {
  if (!Array.isArray(spec) || spec.length === 0 || spec.length > 4 || spec.length % 2 !== 0)
    throw new InvalidEventPatternError(
      `Value of "numeric" must be an array of 1 or 2 comparisons at ${where}`,
    );
  for (let i = 0; i < spec.length; i += 2) {
    const op = spec[i];
    const value = spec[i + 1];
    if (typeof op !== 'string' || !COMPARATORS.has(op))
      throw new InvalidEventPatternError(
        `Unrecognized numeric range operator: ${JSON.stringify(op)} at ${where}`,
      );
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new InvalidEventPatternError(`Value of ${op} must be numeric at ${where}`);
  }
  if (spec.length === 4 && (spec[0] === '=' || spec[2] === '='))
    throw new InvalidEventPatternError(`"=" cannot be combined with another comparison at ${where}`);
}

function checkFilter(filter: JsonObject, where: string): void {
  const keys = Object.keys(filter);
  if (keys.length !== 1)
    throw new InvalidEventPatternError(
      `A content filter has exactly one key; found ${keys.length} at ${where}`,
    );
  const name = keys[0] as string;
  const value = filter[name] as Json;
  if (!FILTERS.has(name)) throw new InvalidEventPatternError(`Unrecognized match type ${name} at ${where}`);
  switch (name) {
    case 'prefix':
    case 'suffix':
      checkIgnoreCaseOr(value, name, where);
      return;
    case 'equals-ignore-case':
      if (typeof value !== 'string')
        throw new InvalidEventPatternError(`"equals-ignore-case" match pattern must be a string at ${where}`);
      return;
    case 'exists':
      if (typeof value !== 'boolean')
        throw new InvalidEventPatternError(`exists match pattern must be either true or false at ${where}`);
      return;
    case 'cidr':
      if (typeof value !== 'string' || !parseCidr(value))
        throw new InvalidEventPatternError(`Malformed CIDR ${JSON.stringify(value)} at ${where}`);
      return;
    case 'wildcard':
      checkWildcard(value, where);
      return;
    case 'numeric':
      checkNumeric(value, where);
      return;
    case 'anything-but': {
      if (Array.isArray(value)) {
        if (value.length === 0) throw new InvalidEventPatternError(`Empty "anything-but" list at ${where}`);
        if (!value.every((v) => typeof v === 'string') && !value.every((v) => typeof v === 'number'))
          throw new InvalidEventPatternError(
            `Inside anything-but list, all values must be strings or all numbers at ${where}`,
          );
        return;
      }
      if (isObject(value)) {
        const inner = Object.keys(value);
        const innerName = inner[0];
        if (
          inner.length !== 1 ||
          !['prefix', 'suffix', 'wildcard', 'equals-ignore-case'].includes(innerName ?? '')
        )
          throw new InvalidEventPatternError(
            `Inside anything-but, only prefix, suffix, wildcard or equals-ignore-case may be used at ${where}`,
          );
        if (innerName === 'wildcard') {
          checkWildcard(value.wildcard as Json, where);
          return;
        }
        const v = value[innerName as string];
        if (typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string')))
          throw new InvalidEventPatternError(
            `"${innerName}" inside anything-but must be a string at ${where}`,
          );
        return;
      }
      if (typeof value === 'string' || typeof value === 'number') return;
      throw new InvalidEventPatternError(
        `Value of anything-but must be an array or single string/number at ${where}`,
      );
    }
  }
}

function checkObject(pattern: JsonObject, where: string): void {
  const keys = Object.keys(pattern);
  if (keys.length === 0)
    throw new InvalidEventPatternError(`Empty objects are not allowed at ${where || 'the top level'}`);
  for (const key of keys) {
    const value = pattern[key] as Json;
    const at = where ? `${where}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject))
        throw new InvalidEventPatternError(`"$or" must be an array of at least two objects at ${at}`);
      for (const [i, sub] of value.entries()) checkObject(sub as JsonObject, `${at}[${i}]`);
      continue;
    }
    if (isObject(value)) {
      checkObject(value, at);
      continue;
    }
    if (!Array.isArray(value))
      throw new InvalidEventPatternError(`Match value must be String, number, true, false, or null at ${at}`);
    if (value.length === 0) throw new InvalidEventPatternError(`Empty arrays are not allowed at ${at}`);
    for (const alternative of value) {
      if (Array.isArray(alternative))
        throw new InvalidEventPatternError(
          `Match value must be String, number, true, false, or null at ${at}`,
        );
      if (isObject(alternative)) checkFilter(alternative, at);
    }
  }
}

/** Parses and validates a pattern (JSON text or object); throws `InvalidEventPatternError`. */
export function parseEventPattern(pattern: string | object): JsonObject {
  let value: unknown = pattern;
  if (typeof pattern === 'string') {
    try {
      value = JSON.parse(pattern);
    } catch (error) {
      throw new InvalidEventPatternError(`Filter is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (!isObject(value)) throw new InvalidEventPatternError('Filter is not an object');
  checkObject(value, '');
  return value;
}

function wildcardMatches(pattern: string, value: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && pattern[i + 1] === '*') {
      source += '\\*';
      i++;
    } else if (c === '*') source += '.*';
    else source += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's').test(value);
}

function affix(spec: Json, value: string, kind: 'prefix' | 'suffix'): boolean {
  const ignoreCase = isObject(spec);
  const text = String(ignoreCase ? spec['equals-ignore-case'] : spec);
  const v = ignoreCase ? value.toLowerCase() : value;
  const t = ignoreCase ? text.toLowerCase() : text;
  return kind === 'prefix' ? v.startsWith(t) : v.endsWith(t);
}

function compare(op: string, left: number, right: number): boolean {
  switch (op) {
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '=':
      return left === right;
    case '>':
      return left > right;
    default:
      return left >= right;
  }
}

function literalMatches(expected: Json, value: Json): boolean {
  if (typeof expected === 'number') return typeof value === 'number' && value === expected;
  return expected === value;
}

function anythingBut(spec: Json, value: Json): boolean {
  if (Array.isArray(spec)) return !spec.some((s) => literalMatches(s, value));
  if (isObject(spec)) {
    if (typeof value !== 'string') return false;
    const [name, inner] = Object.entries(spec)[0] as [string, Json];
    const list = Array.isArray(inner) ? inner : [inner];
    if (name === 'wildcard') return !wildcardMatches(String(inner), value);
    if (name === 'equals-ignore-case')
      return !list.some((s) => String(s).toLowerCase() === value.toLowerCase());
    return !list.some((s) => affix(s, value, name as 'prefix' | 'suffix'));
  }
  return !literalMatches(spec, value);
}

/** Whether one present scalar value matches one alternative of a leaf. */
function alternativeMatches(alternative: Json, value: Json): boolean {
  if (!isObject(alternative)) return literalMatches(alternative, value);
  const [name, spec] = Object.entries(alternative)[0] as [string, Json];
  switch (name) {
    case 'prefix':
    case 'suffix':
      return typeof value === 'string' && affix(spec, value, name);
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === String(spec).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcardMatches(String(spec), value);
    case 'anything-but':
      return anythingBut(spec, value);
    case 'numeric': {
      if (typeof value !== 'number') return false;
      const ops = spec as Json[];
      for (let i = 0; i < ops.length; i += 2)
        if (!compare(ops[i] as string, value, ops[i + 1] as number)) return false;
      return true;
    }
    case 'cidr': {
      const range = parseCidr(String(spec));
      const ip = typeof value === 'string' ? parseIp(value) : undefined;
      return range !== undefined && ip !== undefined && cidrContains(range, ip);
    }
    default:
      return false; // `exists` is decided by the caller, on presence
  }
}

function leafMatches(alternatives: Json[], present: boolean, value: Json | undefined): boolean {
  for (const alternative of alternatives) {
    if (isObject(alternative) && 'exists' in alternative) {
      // Exists matching works on leaf nodes only (an object in the event is not "existing").
      const leaf = present && !isObject(value) && !(Array.isArray(value) && value.length === 0);
      if (alternative.exists === leaf) return true;
      continue;
    }
    if (!present) continue;
    const values = Array.isArray(value) ? value : [value as Json];
    if (values.some((v) => !isObject(v) && !Array.isArray(v) && alternativeMatches(alternative, v)))
      return true;
  }
  return false;
}

function objectMatches(pattern: JsonObject, event: Json | undefined): boolean {
  // An array of objects in the event matches when one of its elements does.
  if (Array.isArray(event)) return event.some((element) => objectMatches(pattern, element));
  const fields: JsonObject = isObject(event) ? event : {};
  for (const [key, expected] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(expected as JsonObject[]).some((sub) => objectMatches(sub, event))) return false;
      continue;
    }
    const present = Object.hasOwn(fields, key);
    const value = present ? fields[key] : undefined;
    if (isObject(expected)) {
      if (!present || !objectMatches(expected, value as Json)) return false;
      continue;
    }
    if (!leafMatches(expected as Json[], present, value)) return false;
  }
  return true;
}

/** Whether an event (the full envelope: `source`, `detail-type`, `account`, `detail` ...) matches a parsed pattern. */
export function matchesEventPattern(pattern: JsonObject, event: Record<string, unknown>): boolean {
  return objectMatches(pattern, event as Json);
}

/**
 * DynamoDB attribute values (DynamoDB API Reference, AttributeValue): validation of what a request
 * carries, equality and ordering as expressions compare them, sizes, and number arithmetic.
 * Numbers are decimal strings of up to 38 significant digits; they are compared and added exactly
 * (never through binary floating point) and stored normalised, as DynamoDB returns them ("01.50"
 * comes back as "1.5").
 */
import { AwsError } from '../../types';

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> };

export type AttributeMap = Record<string, AttributeValue>;

export type ValueType = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'SS' | 'NS' | 'BS' | 'L' | 'M';
const TYPES: readonly ValueType[] = ['S', 'N', 'B', 'BOOL', 'NULL', 'SS', 'NS', 'BS', 'L', 'M'];

export function validationError(message: string): AwsError {
  return new AwsError('ValidationException', message);
}

export function typeOf(value: AttributeValue): ValueType {
  return Object.keys(value)[0] as ValueType;
}

const SET_NAMES: Record<string, string> = { SS: 'string set', NS: 'number set', BS: 'binary set' };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface Decimal {
  negative: boolean;
  /** Digits without leading zeros ('' for zero). */
  digits: string;
  /** Value = digits x 10^exponent. */
  exponent: number;
}

function parseDecimal(text: string): Decimal | undefined {
  const trimmed = text.trim();
  if (!NUMBER.test(trimmed)) return undefined;
  const negative = trimmed.startsWith('-');
  const unsigned = trimmed.replace(/^[+-]/, '');
  const [mantissa = '', exp = '0'] = unsigned.split(/[eE]/);
  const [whole = '', fraction = ''] = mantissa.split('.');
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  let exponent = Number(exp) - fraction.length;
  const trailing = /0+$/.exec(digits)?.[0].length ?? 0;
  if (trailing > 0) {
    digits = digits.slice(0, digits.length - trailing);
    exponent += trailing;
  }
  if (digits === '') return { negative: false, digits: '', exponent: 0 };
  return { negative, digits, exponent };
}

function formatDecimal(d: Decimal): string {
  if (d.digits === '') return '0';
  const sign = d.negative ? '-' : '';
  if (d.exponent >= 0) return `${sign}${d.digits}${'0'.repeat(d.exponent)}`;
  const point = d.digits.length + d.exponent;
  if (point > 0) return `${sign}${d.digits.slice(0, point)}.${d.digits.slice(point)}`;
  return `${sign}0.${'0'.repeat(-point)}${d.digits}`;
}

/** A number's text as DynamoDB stores it; throws DynamoDB's error for one it refuses. */
export function normalizeNumber(text: string, where: string): string {
  const d = parseDecimal(text);
  if (!d) throw validationError(`${where}: The parameter cannot be converted to a numeric value: ${text}`);
  if (d.digits.length > 38)
    throw validationError(`${where}: Attempting to store more than 38 significant digits in a Number`);
  const magnitude = d.digits.length + d.exponent;
  if (d.digits !== '' && (magnitude > 126 || magnitude < -129))
    throw validationError(
      `${where}: Number overflow. Attempting to store a number with magnitude larger than supported range`,
    );
  return formatDecimal(d);
}

function scaled(a: Decimal, exponent: number): bigint {
  const value = BigInt(a.digits === '' ? '0' : a.digits) * 10n ** BigInt(a.exponent - exponent);
  return a.negative ? -value : value;
}

/** Exact comparison of two DynamoDB numbers: negative, zero or positive. */
export function compareNumbers(a: string, b: string): number {
  const x = parseDecimal(a) as Decimal;
  const y = parseDecimal(b) as Decimal;
  const exponent = Math.min(x.exponent, y.exponent);
  const diff = scaled(x, exponent) - scaled(y, exponent);
  return diff === 0n ? 0 : diff < 0n ? -1 : 1;
}

/** `a + b` (or `a - b`), exact, normalised. */
export function addNumbers(a: string, b: string, subtract = false): string {
  const x = parseDecimal(a) as Decimal;
  const y = parseDecimal(b) as Decimal;
  const exponent = Math.min(x.exponent, y.exponent);
  const sum = scaled(x, exponent) + (subtract ? -scaled(y, exponent) : scaled(y, exponent));
  const negative = sum < 0n;
  const digits = (negative ? -sum : sum).toString();
  return normalizeNumber(
    formatDecimal({ negative, digits: digits === '0' ? '' : digits, exponent }),
    'number',
  );
}

/**
 * Checks one attribute value of a request and returns it normalised (numbers, sets). `where` names
 * it in the message, as DynamoDB's "One or more parameter values were invalid" errors do.
 */
export function checkValue(value: unknown, where: string): AttributeValue {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw validationError(
      `${where}: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes`,
    );
  const keys = Object.keys(value as object).filter(
    (k) => (value as Record<string, unknown>)[k] !== undefined,
  );
  if (keys.length !== 1 || !TYPES.includes(keys[0] as ValueType))
    throw validationError(
      `${where}: Supplied AttributeValue ${keys.length === 0 ? 'is empty' : 'has more than one datatypes set'}, must contain exactly one of the supported datatypes`,
    );
  const type = keys[0] as ValueType;
  const inner = (value as Record<string, unknown>)[type];
  switch (type) {
    case 'S':
    case 'B':
      if (typeof inner !== 'string') throw validationError(`${where}: ${type} must be a string`);
      return { [type]: inner } as AttributeValue;
    case 'N':
      if (typeof inner !== 'string') throw validationError(`${where}: N must be a string`);
      return { N: normalizeNumber(inner, where) };
    case 'BOOL':
      if (typeof inner !== 'boolean') throw validationError(`${where}: BOOL must be true or false`);
      return { BOOL: inner };
    case 'NULL':
      if (inner !== true)
        throw validationError(
          `${where}: One or more parameter values were invalid: Null attribute value types must have the value of true`,
        );
      return { NULL: true };
    case 'SS':
    case 'NS':
    case 'BS': {
      if (!Array.isArray(inner) || inner.some((e) => typeof e !== 'string'))
        throw validationError(`${where}: ${type} must be a list of strings`);
      if (inner.length === 0)
        throw validationError(
          `One or more parameter values were invalid: An ${SET_NAMES[type]}  may not be empty for key ${where}`,
        );
      const members = type === 'NS' ? inner.map((n: string) => normalizeNumber(n, where)) : [...inner];
      if (new Set(members).size !== members.length)
        throw validationError(
          `One or more parameter values were invalid: Input collection [${inner.join(', ')}] contains duplicates.`,
        );
      return { [type]: members } as AttributeValue;
    }
    case 'L':
      if (!Array.isArray(inner)) throw validationError(`${where}: L must be a list`);
      return { L: inner.map((v, i) => checkValue(v, `${where}[${i}]`)) };
    case 'M': {
      if (inner === null || typeof inner !== 'object' || Array.isArray(inner))
        throw validationError(`${where}: M must be a map`);
      const out: Record<string, AttributeValue> = {};
      for (const [k, v] of Object.entries(inner as Record<string, unknown>))
        out[k] = checkValue(v, `${where}.${k}`);
      return { M: out };
    }
  }
}

/** Whether two values are equal as DynamoDB compares them (sets regardless of order). */
export function valuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  const ta = typeOf(a);
  if (ta !== typeOf(b)) return false;
  const va = (a as Record<string, unknown>)[ta];
  const vb = (b as Record<string, unknown>)[ta];
  switch (ta) {
    case 'N':
      return compareNumbers(va as string, vb as string) === 0;
    case 'SS':
    case 'BS':
    case 'NS': {
      const x = va as string[];
      const y = vb as string[];
      if (x.length !== y.length) return false;
      return ta === 'NS'
        ? x.every((n) => y.some((m) => compareNumbers(n, m) === 0))
        : x.every((e) => y.includes(e));
    }
    case 'L': {
      const x = va as AttributeValue[];
      const y = vb as AttributeValue[];
      return x.length === y.length && x.every((v, i) => valuesEqual(v, y[i] as AttributeValue));
    }
    case 'M': {
      const x = va as AttributeMap;
      const y = vb as AttributeMap;
      const keys = Object.keys(x);
      return (
        keys.length === Object.keys(y).length &&
        keys.every((k) => y[k] !== undefined && valuesEqual(x[k] as AttributeValue, y[k] as AttributeValue))
      );
    }
    default:
      return va === vb;
  }
}

/**
 * Order of two values for <, <=, >, >=, BETWEEN: numbers numerically, strings and binaries by
 * their bytes (DynamoDB compares UTF-8 bytes). Undefined when they are not comparable (other
 * types, or different types): the comparison is then false.
 */
export function compareValues(a: AttributeValue, b: AttributeValue): number | undefined {
  const ta = typeOf(a);
  if (ta !== typeOf(b)) return undefined;
  if (ta === 'N') return compareNumbers((a as { N: string }).N, (b as { N: string }).N);
  if (ta === 'S' || ta === 'B') {
    const x =
      ta === 'S'
        ? Buffer.from((a as { S: string }).S, 'utf8')
        : Buffer.from((a as { B: string }).B, 'base64');
    const y =
      ta === 'S'
        ? Buffer.from((b as { S: string }).S, 'utf8')
        : Buffer.from((b as { B: string }).B, 'base64');
    return Buffer.compare(x, y);
  }
  return undefined;
}

/** `size(path)`: a string's length, a binary's bytes, a set's, list's or map's count. */
export function sizeOf(value: AttributeValue): number | undefined {
  const type = typeOf(value);
  const inner = (value as Record<string, unknown>)[type];
  switch (type) {
    case 'S':
      return (inner as string).length;
    case 'B':
      return Buffer.from(inner as string, 'base64').length;
    case 'SS':
    case 'NS':
    case 'BS':
    case 'L':
      return (inner as unknown[]).length;
    case 'M':
      return Object.keys(inner as object).length;
    default:
      return undefined;
  }
}

/** A deep copy (items are stored apart from the requests that wrote them). */
export function copyValue<T extends AttributeValue | AttributeMap>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

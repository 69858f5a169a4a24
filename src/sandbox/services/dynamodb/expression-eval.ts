/**
 * Evaluating parsed DynamoDB expressions on an item (DynamoDB Developer Guide,
 * Expressions.OperatorsAndFunctions and Expressions.UpdateExpressions): a condition is true or
 * false (a comparison with a missing attribute or values of different types is false, `<>` true);
 * an update's right-hand sides are all read from the item as it was before the update, ADD works on
 * numbers and sets only, DELETE on sets only, list_append on lists only, and `+`/`-` on numbers
 * only, each refused with DynamoDB's "Incorrect operand type" message otherwise.
 */
import type { Condition, Operand, Path, UpdateAction } from './expression-parse';
import { pathText } from './expression-parse';
import {
  type AttributeMap,
  type AttributeValue,
  addNumbers,
  compareValues,
  copyValue,
  sizeOf,
  typeOf,
  validationError,
  valuesEqual,
} from './values';

const TYPE_NAMES = ['S', 'SS', 'N', 'NS', 'B', 'BS', 'BOOL', 'NULL', 'L', 'M'];

/** The value at a document path, or undefined when the item has none there. */
export function valueAt(item: AttributeMap, path: Path): AttributeValue | undefined {
  let current: AttributeValue | undefined = item[path[0] as string];
  for (const part of path.slice(1)) {
    if (current === undefined) return undefined;
    if (typeof part === 'number') current = 'L' in current ? current.L[part] : undefined;
    else current = 'M' in current && Object.hasOwn(current.M, part) ? current.M[part] : undefined;
  }
  return current;
}

function operandValue(item: AttributeMap, operand: Operand, field: string): AttributeValue | undefined {
  switch (operand.kind) {
    case 'value':
      return operand.value;
    case 'path':
      return valueAt(item, operand.path);
    case 'size': {
      const v = valueAt(item, operand.path);
      const size = v === undefined ? undefined : sizeOf(v);
      return size === undefined ? undefined : { N: String(size) };
    }
    default:
      throw validationError(
        `Invalid ${field}: The function is not allowed in a condition expression; function: ${operand.kind}`,
      );
  }
}

function contains(haystack: AttributeValue, needle: AttributeValue): boolean {
  if ('S' in haystack) return 'S' in needle && haystack.S.includes(needle.S);
  if ('B' in haystack)
    return 'B' in needle && Buffer.from(haystack.B, 'base64').includes(Buffer.from(needle.B, 'base64'));
  if ('SS' in haystack) return 'S' in needle && haystack.SS.includes(needle.S);
  if ('BS' in haystack) return 'B' in needle && haystack.BS.includes(needle.B);
  if ('NS' in haystack) return 'N' in needle && haystack.NS.some((n) => valuesEqual({ N: n }, needle));
  if ('L' in haystack) return haystack.L.some((e) => valuesEqual(e, needle));
  return false;
}

/** Whether `condition` holds for `item` (an empty item for one that does not exist). */
export function evaluateCondition(
  item: AttributeMap,
  condition: Condition,
  field = 'ConditionExpression',
): boolean {
  switch (condition.kind) {
    case 'and':
      return (
        evaluateCondition(item, condition.left, field) && evaluateCondition(item, condition.right, field)
      );
    case 'or':
      return (
        evaluateCondition(item, condition.left, field) || evaluateCondition(item, condition.right, field)
      );
    case 'not':
      return !evaluateCondition(item, condition.inner, field);
    case 'compare': {
      const a = operandValue(item, condition.left, field);
      const b = operandValue(item, condition.right, field);
      if (condition.op === '<>') return a === undefined || b === undefined || !valuesEqual(a, b);
      if (a === undefined || b === undefined) return false;
      if (condition.op === '=') return valuesEqual(a, b);
      const order = compareValues(a, b);
      if (order === undefined) return false;
      return condition.op === '<'
        ? order < 0
        : condition.op === '<='
          ? order <= 0
          : condition.op === '>'
            ? order > 0
            : order >= 0;
    }
    case 'between': {
      const v = operandValue(item, condition.subject, field);
      const low = operandValue(item, condition.low, field);
      const high = operandValue(item, condition.high, field);
      if (v === undefined || low === undefined || high === undefined) return false;
      const bounds = compareValues(low, high);
      if (bounds !== undefined && bounds > 0)
        throw validationError(
          `Invalid ${field}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: ${JSON.stringify(low)}, upper bound operand: AttributeValue: ${JSON.stringify(high)}`,
        );
      const lo = compareValues(v, low);
      const hi = compareValues(v, high);
      return lo !== undefined && hi !== undefined && lo >= 0 && hi <= 0;
    }
    case 'in': {
      const v = operandValue(item, condition.subject, field);
      return (
        v !== undefined &&
        condition.options.some((o) => {
          const option = operandValue(item, o, field);
          return option !== undefined && valuesEqual(v, option);
        })
      );
    }
    case 'function': {
      const v = valueAt(item, condition.path);
      switch (condition.name) {
        case 'attribute_exists':
          return v !== undefined;
        case 'attribute_not_exists':
          return v === undefined;
        case 'attribute_type': {
          const t = condition.operand ? operandValue(item, condition.operand, field) : undefined;
          if (!t || !('S' in t) || !TYPE_NAMES.includes(t.S))
            throw validationError(
              `Invalid ${field}: Invalid attribute type name found; type: ${t && 'S' in t ? t.S : JSON.stringify(t)}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`,
            );
          return v !== undefined && typeOf(v) === t.S;
        }
        case 'begins_with': {
          const prefix = condition.operand ? operandValue(item, condition.operand, field) : undefined;
          if (v === undefined || prefix === undefined) return false;
          if ('S' in v && 'S' in prefix) return v.S.startsWith(prefix.S);
          if ('B' in v && 'B' in prefix)
            return Buffer.from(v.B, 'base64')
              .subarray(0, Buffer.from(prefix.B, 'base64').length)
              .equals(Buffer.from(prefix.B, 'base64'));
          return false;
        }
        case 'contains': {
          const needle = condition.operand ? operandValue(item, condition.operand, field) : undefined;
          return v !== undefined && needle !== undefined && contains(v, needle);
        }
      }
    }
  }
  return false;
}

const WIRE_TYPE_NAMES: Record<string, string> = {
  S: 'S',
  N: 'N',
  B: 'B',
  BOOL: 'BOOL',
  NULL: 'NULL',
  SS: 'SS',
  NS: 'NS',
  BS: 'BS',
  L: 'L',
  M: 'M',
};

function wrongOperand(fn: string, value: AttributeValue): never {
  throw validationError(
    `Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: ${fn}, operand type: ${WIRE_TYPE_NAMES[typeOf(value)]}`,
  );
}

function missing(path: Path): never {
  throw validationError(
    `The provided expression refers to an attribute that does not exist in the item (${pathText(path)})`,
  );
}

function setValue(before: AttributeMap, operand: Operand): AttributeValue {
  switch (operand.kind) {
    case 'value':
      return operand.value;
    case 'path':
      return valueAt(before, operand.path) ?? missing(operand.path);
    case 'if_not_exists':
      return valueAt(before, operand.path) ?? setValue(before, operand.fallback);
    case 'list_append': {
      const a = setValue(before, operand.left);
      const b = setValue(before, operand.right);
      if (!('L' in a)) wrongOperand('list_append', a);
      if (!('L' in b)) wrongOperand('list_append', b);
      return { L: [...a.L, ...b.L] };
    }
    case 'arith': {
      const a = setValue(before, operand.left);
      const b = setValue(before, operand.right);
      if (!('N' in a)) wrongOperand(operand.op, a);
      if (!('N' in b)) wrongOperand(operand.op, b);
      return { N: addNumbers(a.N, b.N, operand.op === '-') };
    }
    case 'size':
      throw validationError(
        'Invalid UpdateExpression: The function is not allowed in an update expression; function: size',
      );
  }
}

/** Writes `value` at `path` (undefined removes it); a path through something missing is refused. */
function writeAt(item: AttributeMap, path: Path, value: AttributeValue | undefined): void {
  if (path.length === 1) {
    if (value === undefined) delete item[path[0] as string];
    else item[path[0] as string] = value;
    return;
  }
  const parent = valueAt(item, path.slice(0, -1));
  const last = path[path.length - 1] as string | number;
  const fits =
    typeof last === 'number' ? parent !== undefined && 'L' in parent : parent !== undefined && 'M' in parent;
  if (!fits) {
    // Removing what is not there changes nothing; writing through it is refused.
    if (value === undefined) return;
    throw validationError('The document path provided in the update expression is invalid for update');
  }
  if (typeof last === 'number') {
    const items = (parent as { L: AttributeValue[] }).L;
    if (value === undefined) items.splice(last, 1);
    else if (last >= items.length) items.push(value);
    else items[last] = value;
    return;
  }
  const members = (parent as { M: AttributeMap }).M;
  if (value === undefined) delete members[last];
  else members[last] = value;
}

function addTo(current: AttributeValue | undefined, value: AttributeValue): AttributeValue {
  const type = typeOf(value);
  if (type !== 'N' && type !== 'SS' && type !== 'NS' && type !== 'BS') wrongOperand('ADD', value);
  if (current === undefined) return value;
  if (typeOf(current) !== type) wrongOperand('ADD', current);
  if ('N' in current && 'N' in value) return { N: addNumbers(current.N, value.N) };
  const a = (current as Record<string, string[]>)[type] as string[];
  const b = (value as Record<string, string[]>)[type] as string[];
  const union = [...a];
  for (const e of b)
    if (
      !union.some((u) =>
        valuesEqual(
          { [type[0] as string]: u } as AttributeValue,
          { [type[0] as string]: e } as AttributeValue,
        ),
      )
    )
      union.push(e);
  return { [type]: union } as AttributeValue;
}

function deleteFrom(current: AttributeValue | undefined, value: AttributeValue): AttributeValue | undefined {
  const type = typeOf(value);
  if (type !== 'SS' && type !== 'NS' && type !== 'BS') wrongOperand('DELETE', value);
  if (current === undefined) return undefined;
  if (typeOf(current) !== type) wrongOperand('DELETE', current);
  const b = (value as Record<string, string[]>)[type] as string[];
  const left = ((current as Record<string, string[]>)[type] as string[]).filter(
    (e) =>
      !b.some((x) =>
        valuesEqual(
          { [type[0] as string]: e } as AttributeValue,
          { [type[0] as string]: x } as AttributeValue,
        ),
      ),
  );
  // A set may not be empty: deleting its last elements removes the attribute.
  return left.length === 0 ? undefined : ({ [type]: left } as AttributeValue);
}

/** The item after the update's actions (a new object; `before` is not changed). */
export function applyUpdate(before: AttributeMap, actions: UpdateAction[]): AttributeMap {
  const after = copyValue(before);
  const values = actions.map((a) => (a.kind === 'SET' ? setValue(before, a.value) : undefined));
  actions.forEach((action, i) => {
    switch (action.kind) {
      case 'SET':
        writeAt(after, action.path, copyValue(values[i] as AttributeValue));
        break;
      case 'REMOVE':
        writeAt(after, action.path, undefined);
        break;
      case 'ADD':
        writeAt(
          after,
          action.path,
          addTo(valueAt(before, action.path), (action.value as { value: AttributeValue }).value),
        );
        break;
      case 'DELETE':
        writeAt(
          after,
          action.path,
          deleteFrom(valueAt(before, action.path), (action.value as { value: AttributeValue }).value),
        );
        break;
    }
  });
  return after;
}

/** The top-level attributes an update touched (ReturnValues UPDATED_OLD/UPDATED_NEW). */
export function updatedNames(actions: UpdateAction[]): string[] {
  return [...new Set(actions.map((a) => a.path[0] as string))];
}

/**
 * DynamoDB expressions parsed as the service parses them (DynamoDB Developer Guide,
 * Expressions.OperatorsAndFunctions, Expressions.UpdateExpressions, Expressions.Attributes):
 * condition expressions (comparators, BETWEEN, IN, AND/OR/NOT and the six functions, whose names
 * are case-sensitive), update expressions (SET with `+`, `-`, if_not_exists and list_append;
 * REMOVE; ADD; DELETE) and document paths (`a.b[0]`). Names and values come from
 * ExpressionAttributeNames/Values; an undefined one, a reserved word used as a name, or a syntax
 * error is refused with DynamoDB's message, prefixed with the parameter ("Invalid
 * UpdateExpression: Syntax error; token: ..."). What each expression used is collected so the
 * request can refuse unused names and values as DynamoDB does.
 */
import { isReservedWord } from './reserved-words';
import { type AttributeValue, checkValue, validationError } from './values';

export type PathPart = string | number;
export type Path = PathPart[];

export type Operand =
  | { kind: 'path'; path: Path }
  | { kind: 'value'; name: string; value: AttributeValue }
  | { kind: 'size'; path: Path }
  | { kind: 'if_not_exists'; path: Path; fallback: Operand }
  | { kind: 'list_append'; left: Operand; right: Operand }
  | { kind: 'arith'; op: '+' | '-'; left: Operand; right: Operand };

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Condition =
  | { kind: 'compare'; op: Comparator; left: Operand; right: Operand }
  | { kind: 'between'; subject: Operand; low: Operand; high: Operand }
  | { kind: 'in'; subject: Operand; options: Operand[] }
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; inner: Condition }
  | { kind: 'function'; name: ConditionFunction; path: Path; operand?: Operand };

export type ConditionFunction =
  | 'attribute_exists'
  | 'attribute_not_exists'
  | 'attribute_type'
  | 'begins_with'
  | 'contains';

export type UpdateAction =
  | { kind: 'SET'; path: Path; value: Operand }
  | { kind: 'REMOVE'; path: Path }
  | { kind: 'ADD' | 'DELETE'; path: Path; value: Operand };

/** The request's ExpressionAttributeNames/Values and what the request's expressions used of them. */
export interface ExpressionScope {
  names: Record<string, string>;
  values: Record<string, unknown>;
  usedNames: Set<string>;
  usedValues: Set<string>;
}

export function expressionScope(names: unknown, values: unknown): ExpressionScope {
  const asRecord = (v: unknown, field: string): Record<string, unknown> => {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v))
      throw validationError(`${field} must be a map. Received: ${JSON.stringify(v)}`);
    if (Object.keys(v).length === 0)
      throw validationError(
        `ExpressionAttribute${field.endsWith('Names') ? 'Names' : 'Values'} must not be empty`,
      );
    return v as Record<string, unknown>;
  };
  return {
    names: asRecord(names, 'ExpressionAttributeNames') as Record<string, string>,
    values: asRecord(values, 'ExpressionAttributeValues'),
    usedNames: new Set(),
    usedValues: new Set(),
  };
}

/** Refuses names or values no expression of the request used (DynamoDB refuses them too). */
export function refuseUnused(scope: ExpressionScope): void {
  const unusedNames = Object.keys(scope.names).filter((n) => !scope.usedNames.has(n));
  if (unusedNames.length > 0)
    throw validationError(
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
    );
  const unusedValues = Object.keys(scope.values).filter((n) => !scope.usedValues.has(n));
  if (unusedValues.length > 0)
    throw validationError(
      `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
    );
}

interface Token {
  text: string;
  type: 'word' | 'name' | 'value' | 'number' | 'punct' | 'end';
  start: number;
  end: number;
}

const PUNCT = ['<>', '<=', '>=', '=', '<', '>', '(', ')', ',', '.', '[', ']', '+', '-'];

class Parser {
  private tokens: Token[] = [];
  private i = 0;

  constructor(
    private readonly source: string,
    private readonly field: string,
    private readonly scope: ExpressionScope,
  ) {
    this.tokenize();
  }

  fail(message: string): never {
    throw validationError(`Invalid ${this.field}: ${message}`);
  }

  private tokenize(): void {
    const s = this.source;
    let at = 0;
    while (at < s.length) {
      const c = s[at] as string;
      if (/\s/.test(c)) {
        at++;
        continue;
      }
      const word = /^[#:]?[A-Za-z0-9_]+/.exec(s.slice(at));
      if (word) {
        const text = word[0];
        const type = text.startsWith('#')
          ? 'name'
          : text.startsWith(':')
            ? 'value'
            : /^\d+$/.test(text)
              ? 'number'
              : 'word';
        this.tokens.push({ text, type, start: at, end: at + text.length });
        at += text.length;
        continue;
      }
      const punct = PUNCT.find((p) => s.startsWith(p, at));
      if (!punct) this.syntaxAt({ text: c, type: 'punct', start: at, end: at + 1 });
      this.tokens.push({ text: punct, type: 'punct', start: at, end: at + punct.length });
      at += punct.length;
    }
    this.tokens.push({ text: '', type: 'end', start: s.length, end: s.length });
  }

  private syntaxAt(token: Token): never {
    const index = this.tokens.indexOf(token);
    const before = index > 0 ? this.tokens[index - 1] : undefined;
    const after = index >= 0 ? this.tokens[index + 1] : undefined;
    const from = before?.start ?? token.start;
    const to = after && after.type !== 'end' ? after.end : token.end;
    this.fail(`Syntax error; token: "${token.text}", near: "${this.source.slice(from, Math.max(to, from))}"`);
  }

  peek(): Token {
    return this.tokens[this.i] as Token;
  }

  next(): Token {
    return this.tokens[this.i++] as Token;
  }

  isKeyword(word: string): boolean {
    const t = this.peek();
    return t.type === 'word' && t.text.toUpperCase() === word;
  }

  accept(text: string): boolean {
    if (this.peek().text === text) {
      this.i++;
      return true;
    }
    return false;
  }

  expect(text: string): void {
    if (!this.accept(text)) this.syntaxAt(this.peek());
  }

  atEnd(): boolean {
    return this.peek().type === 'end';
  }

  unexpected(): never {
    this.syntaxAt(this.peek());
  }

  /** A document path: `name(.name | [n])*`, names directly or through `#placeholders`. */
  path(): Path {
    const parts: Path = [this.pathName()];
    for (;;) {
      if (this.accept('.')) parts.push(this.pathName());
      else if (this.peek().text === '[') {
        this.next();
        const index = this.next();
        if (index.type !== 'number') this.syntaxAt(index);
        parts.push(Number(index.text));
        this.expect(']');
      } else return parts;
    }
  }

  private pathName(): string {
    const t = this.next();
    if (t.type === 'name') {
      const name = this.scope.names[t.text];
      if (typeof name !== 'string')
        this.fail(
          `An expression attribute name used in the document path is not defined; attribute name: ${t.text}`,
        );
      this.scope.usedNames.add(t.text);
      return name;
    }
    if (t.type !== 'word') this.syntaxAt(t);
    if (isReservedWord(t.text))
      this.fail(`Attribute name is a reserved keyword; reserved keyword: ${t.text}`);
    return t.text;
  }

  value(): Operand {
    const t = this.next();
    if (t.type !== 'value') this.syntaxAt(t);
    if (!Object.hasOwn(this.scope.values, t.text))
      this.fail(
        `An expression attribute value used in expression is not defined; attribute value: ${t.text}`,
      );
    this.scope.usedValues.add(t.text);
    return {
      kind: 'value',
      name: t.text,
      value: checkValue(this.scope.values[t.text], `ExpressionAttributeValues.${t.text}`),
    };
  }

  /** A function call's name, when the next tokens are `word (`. */
  functionAhead(): string | undefined {
    const t = this.peek();
    const after = this.tokens[this.i + 1];
    return t.type === 'word' && after?.text === '(' ? t.text : undefined;
  }
}

const CONDITION_FUNCTIONS: readonly string[] = [
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
];

/** A condition operand: a path, a value, or size(path). */
function conditionOperand(p: Parser): Operand {
  const fn = p.functionAhead();
  if (fn !== undefined) {
    if (fn !== 'size') p.fail(`Invalid function name; function: ${fn}`);
    p.next();
    p.next();
    const path = p.path();
    p.expect(')');
    return { kind: 'size', path };
  }
  return p.peek().type === 'value' ? p.value() : { kind: 'path', path: p.path() };
}

function pathOperand(p: Parser, fn: string, operand: Operand): Path {
  if (operand.kind !== 'path')
    p.fail(
      `Incorrect operand type for operator or function; operator or function: ${fn}, operand type: ${operand.kind === 'value' ? 'value' : operand.kind}`,
    );
  return operand.path;
}

function primary(p: Parser): Condition {
  if (p.accept('(')) {
    const inner = orCondition(p);
    p.expect(')');
    return inner;
  }
  if (p.isKeyword('NOT')) {
    p.next();
    return { kind: 'not', inner: primary(p) };
  }
  const fn = p.functionAhead();
  if (fn !== undefined && fn !== 'size') {
    if (!CONDITION_FUNCTIONS.includes(fn)) p.fail(`Invalid function name; function: ${fn}`);
    p.next();
    p.next();
    const path = pathOperand(p, fn, conditionOperand(p));
    let operand: Operand | undefined;
    const arity = fn === 'attribute_exists' || fn === 'attribute_not_exists' ? 1 : 2;
    if (arity === 2) {
      p.expect(',');
      operand = conditionOperand(p);
    }
    if (p.peek().text === ',')
      p.fail(
        `Incorrect number of operands for operator or function; operator or function: ${fn}, number of operands: ${arity + 1}`,
      );
    p.expect(')');
    return { kind: 'function', name: fn as ConditionFunction, path, operand };
  }
  const left = conditionOperand(p);
  const t = p.peek();
  if (['=', '<>', '<', '<=', '>', '>='].includes(t.text)) {
    p.next();
    return { kind: 'compare', op: t.text as Comparator, left, right: conditionOperand(p) };
  }
  if (p.isKeyword('BETWEEN')) {
    p.next();
    const low = conditionOperand(p);
    if (!p.isKeyword('AND')) p.unexpected();
    p.next();
    return { kind: 'between', subject: left, low, high: conditionOperand(p) };
  }
  if (p.isKeyword('IN')) {
    p.next();
    p.expect('(');
    const options = [conditionOperand(p)];
    while (p.accept(',')) options.push(conditionOperand(p));
    p.expect(')');
    if (options.length > 100)
      p.fail(`The IN operator is provided with too many operands; number of operands: ${options.length}`);
    return { kind: 'in', subject: left, options };
  }
  return p.unexpected();
}

function andCondition(p: Parser): Condition {
  let left = primary(p);
  while (p.isKeyword('AND')) {
    p.next();
    left = { kind: 'and', left, right: primary(p) };
  }
  return left;
}

function orCondition(p: Parser): Condition {
  let left = andCondition(p);
  while (p.isKeyword('OR')) {
    p.next();
    left = { kind: 'or', left, right: andCondition(p) };
  }
  return left;
}

function empty(field: string, text: unknown): string {
  if (typeof text !== 'string')
    throw validationError(`${field} must be a string. Received: ${JSON.stringify(text)}`);
  if (text.trim() === '') throw validationError(`Invalid ${field}: The expression can not be empty;`);
  return text;
}

/** Parses a ConditionExpression, FilterExpression or KeyConditionExpression (`field` names it). */
export function parseCondition(
  text: unknown,
  scope: ExpressionScope,
  field = 'ConditionExpression',
): Condition {
  const p: Parser = new Parser(empty(field, text), field, scope);
  const condition = orCondition(p);
  if (!p.atEnd()) p.unexpected();
  return condition;
}

function setOperand(p: Parser): Operand {
  const fn = p.functionAhead();
  if (fn === 'if_not_exists') {
    p.next();
    p.next();
    const path = p.path();
    p.expect(',');
    const fallback = setOperand(p);
    p.expect(')');
    return { kind: 'if_not_exists', path, fallback };
  }
  if (fn === 'list_append') {
    p.next();
    p.next();
    const left = setOperand(p);
    p.expect(',');
    const right = setOperand(p);
    p.expect(')');
    return { kind: 'list_append', left, right };
  }
  if (fn !== undefined) p.fail(`Invalid function name; function: ${fn}`);
  return p.peek().type === 'value' ? p.value() : { kind: 'path', path: p.path() };
}

function setValue(p: Parser): Operand {
  const left = setOperand(p);
  const t = p.peek().text;
  if (t === '+' || t === '-') {
    p.next();
    return { kind: 'arith', op: t, left, right: setOperand(p) };
  }
  return left;
}

const CLAUSES = ['SET', 'REMOVE', 'ADD', 'DELETE'] as const;

/** Parses an UpdateExpression into its actions, each clause at most once. */
export function parseUpdate(text: unknown, scope: ExpressionScope): UpdateAction[] {
  const p: Parser = new Parser(empty('UpdateExpression', text), 'UpdateExpression', scope);
  const seen = new Set<string>();
  const actions: UpdateAction[] = [];
  while (!p.atEnd()) {
    const clause = CLAUSES.find((c) => p.isKeyword(c));
    if (!clause) p.unexpected();
    p.next();
    if (seen.has(clause)) p.fail(`The "${clause}" section can only be used once in an update expression;`);
    seen.add(clause);
    do {
      const path = p.path();
      if (clause === 'SET') {
        p.expect('=');
        actions.push({ kind: 'SET', path, value: setValue(p) });
      } else if (clause === 'REMOVE') actions.push({ kind: 'REMOVE', path });
      else actions.push({ kind: clause, path, value: p.value() });
    } while (p.accept(','));
  }
  refuseOverlaps(p, actions);
  return actions;
}

function refuseOverlaps(p: Parser, actions: UpdateAction[]): void {
  const show = (path: Path) => `[${path.join(', ')}]`;
  for (let a = 0; a < actions.length; a++) {
    for (let b = a + 1; b < actions.length; b++) {
      const x = (actions[a] as UpdateAction).path;
      const y = (actions[b] as UpdateAction).path;
      const n = Math.min(x.length, y.length);
      if (x.slice(0, n).every((part, i) => part === y[i]))
        p.fail(
          `Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${show(x)}, path two: ${show(y)}`,
        );
    }
  }
}

/** A path's text for messages. */
export function pathText(path: Path): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

/**
 * Policy documents in, normalised documents out: every string-or-list element becomes a list and
 * `Statement` an array, after the checks IAM makes before it stores a policy, refused with IAM's
 * own words (IAM's MalformedPolicyDocument texts, as getmoto/moto's IAM policy validator reproduces
 * them: "Syntax errors in policy.", "The policy failed legacy parsing", "Policy statement must
 * contain actions." ...; and "Policy document should not specify a principal." for an identity
 * policy with a Principal). A document is parsed once: the same text or object returns the same
 * normalised document, so evaluation (compile.ts) finds its compiled form by identity.
 */
import { CONDITION_OPERATORS, parseDate, parseOperator } from './conditions';
import { MalformedPolicyDocumentError } from './errors';
import type { ConditionValue, PolicyDocument, PolicyStatement } from './types';

/** What a document is for, which decides the checks: identity policies have no Principal, resource policies need one. */
export type PolicyDocumentKind = 'identity' | 'resource' | 'scp' | 'rcp' | 'any';

export interface ParsePolicyOptions {
  /** @default 'any' (no checks that depend on where the document is attached) */
  readonly kind?: PolicyDocumentKind;
  /**
   * A managed policy (CreatePolicy / CreatePolicyVersion), which IAM accepts only as Version
   * 2012-10-17 ("Policy document must be version 2012-10-17 or greater.").
   * @default false
   */
  readonly managed?: boolean;
}

/** A Principal / NotPrincipal element with every value a list. */
export type NormalizedPrincipal = '*' | Record<string, string[]>;

/** A statement with every string-or-list element a list. */
export interface NormalizedStatement extends PolicyStatement {
  Principal?: NormalizedPrincipal;
  NotPrincipal?: NormalizedPrincipal;
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Condition?: Record<string, Record<string, string[]>>;
}

/** A policy document as parsePolicy returns it: Statement always an array. */
export interface NormalizedPolicy extends PolicyDocument {
  Statement: NormalizedStatement[];
}

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const TOP_ELEMENTS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_ELEMENTS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);
const PRINCIPAL_KEYS = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);

const SYNTAX = 'Syntax errors in policy.';
const LEGACY = 'The policy failed legacy parsing';

type Fail = (awsMessage: string, field: string, received: unknown, detail: string) => never;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, field: string, fail: Fail): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return [...value];
  return fail(SYNTAX, field, value, 'must be a string or a list of strings');
}

function normalizePrincipal(value: unknown, field: string, fail: Fail): NormalizedPrincipal {
  if (value === '*') return '*';
  if (!isObject(value))
    return fail(SYNTAX, field, value, 'must be "*" or an object of AWS / Service / Federated');
  const out: Record<string, string[]> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!PRINCIPAL_KEYS.has(key))
      return fail('Invalid principal in policy', `${field}.${key}`, v, 'is not a principal type');
    out[key] = stringList(v, `${field}.${key}`, fail);
  }
  return out;
}

function checkAction(action: string, field: string, fail: Fail): void {
  if (action === '*') return;
  const parts = action.split(':');
  if (parts.length === 1) {
    fail(
      'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
      field,
      action,
      'has no service prefix',
    );
  }
  if (parts.length > 2)
    fail('Actions/Condition can contain only one colon.', field, action, 'has more than one colon');
  if (/[^a-zA-Z0-9\-.*?]/.test(parts[0]!))
    fail(`Vendor ${parts[0]} is not valid`, field, action, 'has an invalid service prefix');
}

function normalizeCondition(
  value: unknown,
  field: string,
  fail: Fail,
): Record<string, Record<string, string[]>> {
  if (!isObject(value)) return fail(SYNTAX, field, value, 'must be an object of operators');
  const out: Record<string, Record<string, string[]>> = {};
  for (const [operator, keys] of Object.entries(value)) {
    const at = `${field}.${operator}`;
    if (!isObject(keys)) return fail(SYNTAX, at, keys, 'must be an object of condition keys');
    const parsed = parseOperator(operator);
    if (!parsed.info && Object.keys(keys).length > 0) {
      return fail(
        SYNTAX,
        at,
        operator,
        `is not a condition operator (known: ${Object.keys(CONDITION_OPERATORS).join(', ')})`,
      );
    }
    const entries: Record<string, string[]> = {};
    for (const [key, raw] of Object.entries(keys)) {
      const list: unknown[] = Array.isArray(raw) ? raw : [raw];
      const scalar = (v: unknown): v is ConditionValue =>
        typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
      if (!list.every(scalar))
        return fail(SYNTAX, `${at}.${key}`, raw, 'must be a string, number, boolean or a list of them');
      const values = list.map(String);
      if (parsed.info?.family === 'Date') {
        for (const v of values) {
          if (Number.isNaN(parseDate(v)))
            fail(LEGACY, `${at}.${key}`, v, 'is not an ISO 8601 date or epoch seconds');
        }
      }
      entries[key] = values;
    }
    out[operator] = entries;
  }
  return out;
}

function normalizeStatement(
  raw: unknown,
  index: number,
  kind: PolicyDocumentKind,
  fail: Fail,
): NormalizedStatement {
  const at = `Statement[${index}]`;
  if (!isObject(raw)) return fail(SYNTAX, at, raw, 'must be an object');
  for (const key of Object.keys(raw)) {
    if (!STATEMENT_ELEMENTS.has(key)) fail(SYNTAX, `${at}.${key}`, raw[key], 'is not a statement element');
  }
  for (const [a, b] of [
    ['Action', 'NotAction'],
    ['Resource', 'NotResource'],
    ['Principal', 'NotPrincipal'],
  ] as const) {
    if (a in raw && b in raw) fail(SYNTAX, at, { [a]: raw[a], [b]: raw[b] }, `has both ${a} and ${b}`);
  }
  const effect = raw.Effect;
  if (typeof effect !== 'string' || !['allow', 'deny'].includes(effect.toLowerCase())) {
    fail(SYNTAX, `${at}.Effect`, effect, effect === undefined ? 'is missing' : 'must be "Allow" or "Deny"');
  }
  if (effect !== 'Allow' && effect !== 'Deny')
    fail(LEGACY, `${at}.Effect`, effect, 'is case-sensitive: "Allow" or "Deny"');
  const statement: NormalizedStatement = { Effect: effect as 'Allow' | 'Deny' };
  if ('Sid' in raw) {
    if (typeof raw.Sid !== 'string') fail(SYNTAX, `${at}.Sid`, raw.Sid, 'must be a string');
    statement.Sid = raw.Sid as string;
  }
  for (const key of ['Principal', 'NotPrincipal'] as const) {
    if (!(key in raw)) continue;
    if (kind === 'identity' || kind === 'scp') {
      fail(
        'Policy document should not specify a principal.',
        `${at}.${key}`,
        raw[key],
        `is not allowed in an ${kind === 'scp' ? 'SCP' : 'identity-based policy'}`,
      );
    }
    statement[key] = normalizePrincipal(raw[key], `${at}.${key}`, fail);
  }
  if ((kind === 'resource' || kind === 'rcp') && !('Principal' in raw) && !('NotPrincipal' in raw)) {
    fail(
      'Missing required field Principal',
      `${at}.Principal`,
      undefined,
      'is required in a resource-based policy',
    );
  }
  for (const key of ['Action', 'NotAction'] as const) {
    if (!(key in raw)) continue;
    const list = stringList(raw[key], `${at}.${key}`, fail);
    list.forEach((a, i) => {
      checkAction(a, `${at}.${key}[${i}]`, fail);
    });
    statement[key] = list;
  }
  for (const key of ['Resource', 'NotResource'] as const) {
    if (!(key in raw)) continue;
    const list = stringList(raw[key], `${at}.${key}`, fail);
    for (const r of list) {
      if (r !== '*' && !r.includes(':'))
        fail(`Resource ${r} must be in ARN format or "*".`, `${at}.${key}`, r, 'is not an ARN');
    }
    statement[key] = list;
  }
  if ('Condition' in raw) statement.Condition = normalizeCondition(raw.Condition, `${at}.Condition`, fail);
  return statement;
}

function checkRequiredElements(
  statements: readonly NormalizedStatement[],
  kind: PolicyDocumentKind,
  fail: Fail,
): void {
  statements.forEach((s, i) => {
    const actions = s.Action ?? s.NotAction;
    if (!actions || actions.length === 0)
      fail(
        'Policy statement must contain actions.',
        `Statement[${i}].Action`,
        actions,
        'is missing or empty',
      );
    if (kind === 'identity') {
      const resources = s.Resource ?? s.NotResource;
      if (!resources || resources.length === 0) {
        fail(
          'Policy statement must contain resources.',
          `Statement[${i}].Resource`,
          resources,
          'is missing or empty',
        );
      }
    }
  });
  if (kind === 'resource') return;
  const seen = new Set<string>();
  statements.forEach((s, i) => {
    if (!s.Sid) return;
    if (seen.has(s.Sid))
      fail(
        'Statement IDs (SID) in a single policy must be unique.',
        `Statement[${i}].Sid`,
        s.Sid,
        'repeats an earlier Sid',
      );
    seen.add(s.Sid);
  });
}

function normalize(input: unknown, where: string, options: ParsePolicyOptions): NormalizedPolicy {
  const kind = options.kind ?? 'any';
  const fail: Fail = (awsMessage, field, received, detail) => {
    throw new MalformedPolicyDocumentError(awsMessage, where, field, received, detail);
  };
  let doc = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (error) {
      throw new MalformedPolicyDocumentError(
        SYNTAX,
        where,
        'the document',
        input,
        `is not JSON (${(error as Error).message})`,
        { cause: error },
      );
    }
  }
  if (!isObject(doc)) return fail(SYNTAX, 'the document', doc, 'must be a JSON object');
  for (const key of Object.keys(doc)) {
    if (!TOP_ELEMENTS.has(key))
      fail(SYNTAX, key, doc[key], 'is not a policy element (Version, Id, Statement)');
  }
  const version = doc.Version;
  if (version !== undefined && (typeof version !== 'string' || !VERSIONS.has(version))) {
    fail(SYNTAX, 'Version', version, 'must be "2012-10-17" or "2008-10-17"');
  }
  if (options.managed && version !== '2012-10-17') {
    fail(
      'Policy document must be version 2012-10-17 or greater.',
      'Version',
      version,
      'must be "2012-10-17" in a managed policy',
    );
  }
  if ('Id' in doc && typeof doc.Id !== 'string') fail(SYNTAX, 'Id', doc.Id, 'must be a string');
  const rawStatements = Array.isArray(doc.Statement)
    ? doc.Statement
    : isObject(doc.Statement)
      ? [doc.Statement]
      : undefined;
  if (!rawStatements || rawStatements.length === 0) {
    fail(SYNTAX, 'Statement', doc.Statement, 'must be a statement object or a non-empty list of them');
  }
  const statements = rawStatements.map((s, i) => normalizeStatement(s, i, kind, fail));
  checkRequiredElements(statements, kind, fail);
  const policy: NormalizedPolicy = { Statement: statements };
  if (typeof version === 'string') policy.Version = version;
  if (typeof doc.Id === 'string') policy.Id = doc.Id;
  return policy;
}

const byText = new Map<string, NormalizedPolicy>();
const byObject = new WeakMap<object, Map<string, NormalizedPolicy>>();
/** Distinct texts remembered; the oldest is forgotten first (a re-parse costs microseconds, not a failure). */
const MAX_TEXTS = 50_000;

/**
 * Parses and checks a policy document (JSON text or an object), as IAM does when it is stored.
 * `where` names the document in errors (`role StackFleet-Execution trust policy`). The result is
 * memoised: the same text, or the same object, gives back the same normalised document. Objects
 * are treated as immutable once parsed.
 * @throws MalformedPolicyDocumentError with IAM's message for a document IAM would refuse.
 */
export function parsePolicy(
  input: string | PolicyDocument,
  where: string,
  options: ParsePolicyOptions = {},
): NormalizedPolicy {
  const optionsKey = `${options.kind ?? 'any'}|${options.managed ? 'managed' : ''}`;
  if (typeof input === 'string') {
    const key = `${optionsKey}|${input}`;
    const hit = byText.get(key);
    if (hit) return hit;
    const policy = normalize(input, where, options);
    if (byText.size >= MAX_TEXTS) byText.delete(byText.keys().next().value!);
    byText.set(key, policy);
    return policy;
  }
  let perOptions = byObject.get(input);
  const hit = perOptions?.get(optionsKey);
  if (hit) return hit;
  const policy = normalize(input, where, options);
  if (!perOptions) {
    perOptions = new Map();
    byObject.set(input, perOptions);
  }
  perOptions.set(optionsKey, policy);
  return policy;
}

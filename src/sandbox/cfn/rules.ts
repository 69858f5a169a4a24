/**
 * Template `Rules` (CloudFormation User Guide, rules-section-structure): each rule's assertions
 * are checked against the parameter values when a stack operation or change set starts, and a
 * false one refuses the call with the assertion's AssertDescription (CDK's CheckBootstrapVersion
 * is one). The rule functions are Fn::And, Fn::Or, Fn::Not, Fn::Equals, Fn::Contains,
 * Fn::EachMemberEquals and Fn::EachMemberIn over Ref'd parameters and literals. Fn::ValueOf and
 * Fn::RefAll, which look up the account's resources, are not modelled: an assertion using them
 * counts as true (documented leniency, none of our templates use them).
 */
import { AwsError } from '../types';
import type { ParsedTemplate, TemplateValue } from './template';

type Value = string | string[] | boolean | undefined;
const UNKNOWN = Symbol('unknown');

function ruleValue(
  v: TemplateValue | undefined,
  params: Record<string, string | string[]>,
): Value | typeof UNKNOWN {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    const items = v.map((x) => ruleValue(x, params));
    if (items.includes(UNKNOWN)) return UNKNOWN;
    return items.flatMap((x) => (Array.isArray(x) ? x : [String(x)]));
  }
  const [fn, arg] = Object.entries(v)[0] ?? [];
  if (fn === 'Ref' && typeof arg === 'string') return params[arg];
  if (fn?.startsWith('Fn::')) {
    const result = holds(v, params);
    return result === UNKNOWN ? UNKNOWN : result;
  }
  return UNKNOWN;
}

function list(v: Value | typeof UNKNOWN): string[] | typeof UNKNOWN {
  if (v === UNKNOWN) return UNKNOWN;
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [String(v)];
}

function holds(expr: TemplateValue, params: Record<string, string | string[]>): boolean | typeof UNKNOWN {
  if (typeof expr === 'boolean') return expr;
  if (typeof expr === 'string') return expr === 'true';
  if (expr === null || typeof expr !== 'object' || Array.isArray(expr)) return UNKNOWN;
  const [fn, raw] = Object.entries(expr)[0] ?? [];
  const args = (Array.isArray(raw) ? raw : [raw]) as TemplateValue[];
  const all = (parts: Array<boolean | typeof UNKNOWN>, every: boolean) => {
    if (parts.includes(UNKNOWN)) return UNKNOWN;
    return every ? parts.every(Boolean) : parts.some(Boolean);
  };
  switch (fn) {
    case 'Fn::Not': {
      const inner = holds(args[0] ?? null, params);
      return inner === UNKNOWN ? UNKNOWN : !inner;
    }
    case 'Fn::And':
      return all(
        args.map((a) => holds(a, params)),
        true,
      );
    case 'Fn::Or':
      return all(
        args.map((a) => holds(a, params)),
        false,
      );
    case 'Fn::Equals': {
      const a = ruleValue(args[0], params);
      const b = ruleValue(args[1], params);
      if (a === UNKNOWN || b === UNKNOWN) return UNKNOWN;
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case 'Fn::Contains': {
      const haystack = list(ruleValue(args[0], params));
      const needle = ruleValue(args[1], params);
      if (haystack === UNKNOWN || needle === UNKNOWN) return UNKNOWN;
      return haystack.includes(String(needle));
    }
    case 'Fn::EachMemberEquals': {
      const members = list(ruleValue(args[0], params));
      const value = ruleValue(args[1], params);
      if (members === UNKNOWN || value === UNKNOWN) return UNKNOWN;
      return members.every((m) => m === String(value));
    }
    case 'Fn::EachMemberIn': {
      const members = list(ruleValue(args[0], params));
      const allowed = list(ruleValue(args[1], params));
      if (members === UNKNOWN || allowed === UNKNOWN) return UNKNOWN;
      return members.every((m) => allowed.includes(m));
    }
    default:
      return UNKNOWN;
  }
}

/** Refuses the call (ValidationError, the assertion's description) when a rule's assertion is false. */
export function checkRules(template: ParsedTemplate, params: Record<string, string | string[]>): void {
  for (const [name, rule] of Object.entries(template.Rules ?? {})) {
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) continue;
    const r = rule as { RuleCondition?: TemplateValue; Assertions?: TemplateValue };
    if (r.RuleCondition !== undefined && holds(r.RuleCondition, params) !== true) continue;
    for (const assertion of Array.isArray(r.Assertions) ? r.Assertions : []) {
      const a = assertion as { Assert?: TemplateValue; AssertDescription?: TemplateValue };
      if (a.Assert === undefined || holds(a.Assert, params) !== false) continue;
      const description =
        typeof a.AssertDescription === 'string' ? a.AssertDescription : `Assertion of rule ${name} failed`;
      throw new AwsError('ValidationError', description);
    }
  }
}

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these are CloudFormation Fn::Sub strings, not JS templates
/**
 * templates/*.yaml as CloudFormation sees them (through CfnInclude), with what CloudFormation
 * decides per stack: the parameter values, which Conditions hold in a region, which resources
 * exist there, and what those resources refer to.
 */
import { resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';

// Schema validation of these templates runs in templates-include.test.ts; skip aws-cdk-lib's
// built-in pass here (it is the slow part of every synth).
process.env.CDK_VALIDATION = 'false';

export type Json = Record<string, unknown>;

export function load(name: string): {
  template: Template;
  json: Json & { Resources: Json; Conditions?: Json };
} {
  const stack = new Stack(new App(), 'T');
  new CfnInclude(stack, 'Template', { templateFile: resolve(__dirname, '../../templates', name) });
  // CfnInclude keeps `!GetAtt A.B` as the string form inside free-form JSON (policies) and
  // the array form elsewhere; compare one form.
  const json = normaliseGetAtt(Template.fromStack(stack).toJSON()) as Json & {
    Resources: Json;
    Conditions?: Json;
  };
  return { template: Template.fromJSON(json), json };
}

function normaliseGetAtt(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normaliseGetAtt);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first?.[0] === 'Fn::GetAtt' && typeof first[1] === 'string') {
    const dot = first[1].indexOf('.');
    return { 'Fn::GetAtt': [first[1].slice(0, dot), first[1].slice(dot + 1)] };
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, normaliseGetAtt(v)]));
}

export const baseline = load('baseline.yaml');
export const executionRole = load('execution-role.yaml');

/** Evaluates the condition functions the templates use, like CloudFormation does at deploy time. */
export function evaluate(
  expr: unknown,
  ctx: { region: string; params: Record<string, string>; conditions: Json },
): unknown {
  if (typeof expr !== 'object' || expr === null) return expr;
  const [fn, arg] = Object.entries(expr)[0] as [string, unknown];
  const args = arg as unknown[];
  switch (fn) {
    case 'Ref':
      return arg === 'AWS::Region' ? ctx.region : ctx.params[arg as string];
    case 'Fn::Equals':
      return evaluate(args[0], ctx) === evaluate(args[1], ctx);
    case 'Fn::Not':
      return !evaluate(args[0], ctx);
    case 'Fn::And':
      return args.every((a) => evaluate(a, ctx));
    case 'Fn::Or':
      return args.some((a) => evaluate(a, ctx));
    case 'Condition':
      return evaluate(ctx.conditions[arg as string], ctx);
    default:
      throw new Error(`condition function ${fn} is not handled by this test`);
  }
}

/** Logical ids of the resources a stack in `region` would create with these parameter values. */
export function resourcesIn(region: string, overrides: Record<string, string> = {}): string[] {
  const params = parameterValues(overrides);
  const conditions = baseline.json.Conditions ?? {};
  return Object.entries(baseline.json.Resources as Record<string, { Condition?: string }>)
    .filter(([, r]) => !r.Condition || evaluate({ Condition: r.Condition }, { region, params, conditions }))
    .map(([id]) => id)
    .sort();
}

/** Parameter values a stack gets: the defaults with `overrides` on top. */
export function parameterValues(overrides: Record<string, string>): Record<string, string> {
  const parameters = baseline.json.Parameters as Record<string, { Default?: unknown }>;
  const params: Record<string, string> = {};
  for (const [name, p] of Object.entries(parameters))
    if (p.Default !== undefined) params[name] = String(p.Default);
  return Object.assign(params, overrides);
}

/**
 * What resources refer to, as CloudFormation resolves it in `region`: logical ids (Ref, GetAtt,
 * `${Id}` in Sub, taking only the Fn::If branch that applies) and role names written into ARNs.
 */
export function referencesIn(
  values: unknown[],
  region: string,
  overrides: Record<string, string>,
): { logicalIds: Set<string>; roleNames: Set<string> } {
  const ctx = { region, params: parameterValues(overrides), conditions: baseline.json.Conditions ?? {} };
  const logicalIds = new Set<string>();
  const roleNames = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const entries = Object.entries(value);
    const [fn, arg] = entries[0] ?? [];
    if (entries.length === 1 && fn === 'Fn::If') {
      const [condition, yes, no] = arg as [string, unknown, unknown];
      walk(evaluate({ Condition: condition }, ctx) ? yes : no);
      return;
    }
    if (entries.length === 1 && fn === 'Ref') logicalIds.add(arg as string);
    if (entries.length === 1 && fn === 'Fn::GetAtt') logicalIds.add((arg as string[])[0] as string);
    if (entries.length === 1 && fn === 'Fn::Sub') {
      const text = Array.isArray(arg) ? (arg[0] as string) : (arg as string);
      for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)(\.[A-Za-z.]+)?\}/g)) logicalIds.add(m[1] as string);
      for (const m of text.matchAll(/:role\/([^"\s]+)$/g)) roleNames.add(m[1] as string);
      if (Array.isArray(arg)) walk(arg[1]);
      return;
    }
    for (const [, inner] of entries) walk(inner);
  };
  for (const value of values) walk(value);
  return { logicalIds, roleNames };
}

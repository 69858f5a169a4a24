/**
 * Evaluation of CloudFormation intrinsic functions and conditions, as far as the sandbox
 * needs: resolving properties (to name physical resources, to diff change sets, to report
 * drift), evaluating Conditions (so a resource whose Condition is false is not created), and
 * Outputs. Values the sandbox cannot know yet (a resource that is still to be created) become
 * a marker string so a change set can call the change "Dynamic" as AWS does.
 */
import { AwsError } from '../types';
import type { ParsedTemplate, TemplateValue } from './template';

/** What an expression can see while it is evaluated. */
export interface EvalContext {
  accountId: string;
  region: string;
  stackName: string;
  stackId: string;
  /** Resolved parameter values; list-typed parameters are arrays. */
  parameters: Record<string, string | string[]>;
  /** Evaluated conditions (fill with `evaluateConditions`). */
  conditions: Record<string, boolean>;
  /** `Ref` of a resource (its physical id or ARN by type); undefined = not known yet. */
  resourceRef(logicalId: string): string | undefined;
  /** `Fn::GetAtt`; undefined = not known yet. */
  resourceAttribute(logicalId: string, attribute: string): string | undefined;
  /** `Fn::ImportValue` from the account/region's exports. */
  importValue(name: string): string | undefined;
  /** The template's Mappings, for `Fn::FindInMap`. */
  mappings?: ParsedTemplate['Mappings'];
}

/** Marks a value removed by `!Ref AWS::NoValue`. */
const NO_VALUE = Symbol('AWS::NoValue');

/** Prefix of the placeholder for a value that is not known until the resource exists. */
export const UNRESOLVED_PREFIX = '{{sandbox:unresolved:';

export function unresolvedMarker(what: string): string {
  return `${UNRESOLVED_PREFIX}${what}}}`;
}

/** Whether a resolved value contains something only known after deployment. */
export function containsUnresolved(value: unknown): boolean {
  return JSON.stringify(value ?? null).includes(UNRESOLVED_PREFIX);
}

type Resolved = string | number | boolean | null | Resolved[] | { [key: string]: Resolved };

function templateError(message: string): AwsError {
  return new AwsError('ValidationError', `Template error: ${message}`);
}

function isMap(value: unknown): value is Record<string, TemplateValue> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function pseudo(name: string, ctx: EvalContext): string | string[] | typeof NO_VALUE | undefined {
  switch (name) {
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::AccountId':
      return ctx.accountId;
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::StackId':
      return ctx.stackId;
    case 'AWS::Partition':
      return partitionOf(ctx.region);
    case 'AWS::URLSuffix':
      return ctx.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    case 'AWS::NotificationARNs':
      return [];
    case 'AWS::NoValue':
      return NO_VALUE;
    default:
      return undefined;
  }
}

/** `aws`, `aws-cn` or `aws-us-gov`, from the region name. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function refValue(name: string, ctx: EvalContext): Resolved | typeof NO_VALUE {
  const p = pseudo(name, ctx);
  if (p !== undefined) return p;
  if (name in ctx.parameters) return ctx.parameters[name] as string | string[];
  const ref = ctx.resourceRef(name);
  return ref ?? unresolvedMarker(name);
}

function asString(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw templateError(`${where} expects a string. Received: ${JSON.stringify(value)}`);
}

function asList(value: unknown, where: string): Resolved[] {
  if (Array.isArray(value)) return value as Resolved[];
  throw templateError(`${where} expects a list. Received: ${JSON.stringify(value)}`);
}

function conditionValue(name: string, ctx: EvalContext): boolean {
  const value = ctx.conditions[name];
  if (value === undefined) throw templateError(`unresolved condition dependency ${name}`);
  return value;
}

/**
 * Resolves every intrinsic in `value`. Properties set to `!Ref AWS::NoValue` (or whose `Fn::If`
 * picks it) are dropped, as AWS does.
 */
export function resolveValue(value: TemplateValue | undefined, ctx: EvalContext): Resolved | undefined {
  const resolved = resolve(value, ctx);
  return resolved === NO_VALUE ? undefined : resolved;
}

function resolve(value: TemplateValue | undefined, ctx: EvalContext): Resolved | typeof NO_VALUE {
  if (value === undefined) return NO_VALUE;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out: Resolved[] = [];
    for (const item of value) {
      const r = resolve(item, ctx);
      if (r !== NO_VALUE) out.push(r);
    }
    return out;
  }
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const key = keys[0] as string;
    if (key === 'Ref' || key.startsWith('Fn::') || key === 'Condition') {
      const fn = evaluateFunction(key, value[key] as TemplateValue, ctx);
      if (fn !== undefined) return fn;
    }
  }
  const out: Record<string, Resolved> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = resolve(v, ctx);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

function evaluateFunction(
  key: string,
  arg: TemplateValue,
  ctx: EvalContext,
): Resolved | typeof NO_VALUE | undefined {
  switch (key) {
    case 'Ref':
      return refValue(asString(arg, 'Ref'), ctx);
    case 'Condition':
      // `Condition` as a key is a function only inside Conditions; elsewhere it is a plain property.
      return undefined;
    case 'Fn::GetAtt': {
      const parts = Array.isArray(arg) ? arg : asString(arg, 'Fn::GetAtt').split('.');
      const logicalId = asString(parts[0], 'Fn::GetAtt');
      const attribute = asString(resolve(parts[1] as TemplateValue, ctx), 'Fn::GetAtt');
      return ctx.resourceAttribute(logicalId, attribute) ?? unresolvedMarker(`${logicalId}.${attribute}`);
    }
    case 'Fn::Sub':
      return substitute(arg, ctx);
    case 'Fn::Join': {
      const [delimiter, list] = asList(arg, 'Fn::Join');
      const items = asList(resolve(list as TemplateValue, ctx), 'Fn::Join');
      return items.map((item) => asString(item, 'Fn::Join')).join(asString(delimiter ?? '', 'Fn::Join'));
    }
    case 'Fn::Select': {
      const [index, list] = asList(arg, 'Fn::Select');
      const i = Number(resolve(index as TemplateValue, ctx));
      const items = asList(resolve(list as TemplateValue, ctx), 'Fn::Select');
      if (!Number.isInteger(i) || i < 0 || i >= items.length) {
        throw templateError(`Fn::Select cannot select nonexistent value at index ${String(index)}`);
      }
      return items[i] as Resolved;
    }
    case 'Fn::Split': {
      const [delimiter, text] = asList(arg, 'Fn::Split');
      return asString(resolve(text as TemplateValue, ctx), 'Fn::Split').split(
        asString(delimiter, 'Fn::Split'),
      );
    }
    case 'Fn::FindInMap':
      return findInMap(arg, ctx);
    case 'Fn::If': {
      const [name, whenTrue, whenFalse] = asList(arg, 'Fn::If');
      return resolve(
        (conditionValue(asString(name, 'Fn::If'), ctx) ? whenTrue : whenFalse) as TemplateValue,
        ctx,
      );
    }
    case 'Fn::Equals':
    case 'Fn::Not':
    case 'Fn::And':
    case 'Fn::Or':
      return evaluateCondition({ [key]: arg }, ctx);
    case 'Fn::Base64':
      return Buffer.from(asString(resolve(arg, ctx), 'Fn::Base64')).toString('base64');
    case 'Fn::GetAZs': {
      const region = asString(resolve(arg, ctx), 'Fn::GetAZs') || ctx.region;
      return ['a', 'b', 'c'].map((suffix) => `${region}${suffix}`);
    }
    case 'Fn::ImportValue': {
      const name = asString(resolve(arg, ctx), 'Fn::ImportValue');
      const imported = ctx.importValue(name);
      if (imported === undefined) {
        throw new AwsError('ValidationError', `No export named ${name} found`);
      }
      return imported;
    }
    case 'Fn::Length':
      return asList(resolve(arg, ctx), 'Fn::Length').length;
    case 'Fn::ToJsonString':
      return JSON.stringify(resolve(arg, ctx));
    default:
      throw templateError(`${key} is not supported by the sandbox`);
  }
}

function findInMap(arg: TemplateValue, ctx: EvalContext): Resolved {
  const [mapName, top, second, options] = asList(arg, 'Fn::FindInMap');
  const name = asString(resolve(mapName as TemplateValue, ctx), 'Fn::FindInMap');
  const topKey = asString(resolve(top as TemplateValue, ctx), 'Fn::FindInMap');
  const secondKey = asString(resolve(second as TemplateValue, ctx), 'Fn::FindInMap');
  const found = ctx.mappings?.[name]?.[topKey]?.[secondKey];
  if (found !== undefined) return resolve(found, ctx) as Resolved;
  if (isMap(options) && options.DefaultValue !== undefined)
    return resolve(options.DefaultValue, ctx) as Resolved;
  throw templateError(`Unable to get mapping for ${name}::${topKey}::${secondKey}`);
}

function substitute(arg: TemplateValue, ctx: EvalContext): string {
  const text = asString(Array.isArray(arg) ? arg[0] : arg, 'Fn::Sub');
  const vars: Record<string, Resolved | typeof NO_VALUE> = {};
  if (Array.isArray(arg) && isMap(arg[1])) {
    for (const [k, v] of Object.entries(arg[1])) vars[k] = resolve(v, ctx);
  }
  return text.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
    if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
    const name = inner.trim();
    if (name in vars) return asString(vars[name], 'Fn::Sub');
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::')) {
      const logicalId = name.slice(0, dot);
      const attribute = name.slice(dot + 1);
      return ctx.resourceAttribute(logicalId, attribute) ?? unresolvedMarker(name);
    }
    const value = refValue(name, ctx);
    if (value === NO_VALUE) return whole;
    return Array.isArray(value) ? value.join(',') : asString(value, 'Fn::Sub');
  });
}

/** Evaluates one condition expression (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`). */
export function evaluateCondition(expression: TemplateValue, ctx: EvalContext): boolean {
  if (!isMap(expression))
    throw templateError(`Condition must be an object. Received: ${JSON.stringify(expression)}`);
  const key = Object.keys(expression)[0];
  const arg = key === undefined ? undefined : expression[key];
  switch (key) {
    case 'Condition':
      return conditionValue(asString(arg, 'Condition'), ctx);
    case 'Fn::Equals': {
      const [a, b] = asList(arg, 'Fn::Equals');
      return (
        JSON.stringify(normalise(resolve(a as TemplateValue, ctx))) ===
        JSON.stringify(normalise(resolve(b as TemplateValue, ctx)))
      );
    }
    case 'Fn::Not': {
      const [inner] = asList(arg, 'Fn::Not');
      return !evaluateCondition(inner as TemplateValue, ctx);
    }
    case 'Fn::And':
      return asList(arg, 'Fn::And').every((inner) => evaluateCondition(inner as TemplateValue, ctx));
    case 'Fn::Or':
      return asList(arg, 'Fn::Or').some((inner) => evaluateCondition(inner as TemplateValue, ctx));
    default:
      throw templateError(`Unsupported condition function ${String(key)}`);
  }
}

function normalise(value: Resolved | typeof NO_VALUE): Resolved | null {
  if (value === NO_VALUE) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}

/**
 * Evaluates every condition of the template (conditions may refer to each other, so it
 * resolves them on demand and refuses cycles).
 */
export function evaluateConditions(template: ParsedTemplate, ctx: EvalContext): Record<string, boolean> {
  const results: Record<string, boolean> = {};
  const names = Object.keys(template.Conditions);
  if (names.length === 0) return results;
  const visiting = new Set<string>();
  const get = (name: string): boolean => {
    const known = results[name];
    if (known !== undefined) return known;
    const expression = template.Conditions[name];
    if (expression === undefined) throw templateError(`unresolved condition dependency ${name}`);
    if (visiting.has(name)) {
      throw new AwsError(
        'ValidationError',
        `Template format error: Circular dependency between conditions: [${name}]`,
      );
    }
    visiting.add(name);
    const value = evaluateCondition(expression, scoped);
    visiting.delete(name);
    results[name] = value;
    return value;
  };
  // One context for every condition; `Condition` references resolve on demand through the proxy.
  const scoped: EvalContext = Object.assign(Object.create(null) as EvalContext, ctx, {
    mappings: template.Mappings,
    conditions: new Proxy(results, {
      get: (_target, prop) => (typeof prop === 'string' ? get(prop) : undefined),
    }),
  });
  for (const name of names) get(name);
  return results;
}

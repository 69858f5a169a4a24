import type { InputIssue, ParameterOverride } from './rollout-input';
import type { OutputReference, StackSpec } from './stack-graph';

/**
 * What a rollout asks of its template, checked before any execution starts (by the CLI) and
 * again by "Validate input": the capabilities the template needs are acknowledged, every
 * parameter the request sets is declared, every declared parameter without a Default gets a
 * value in every target, and values respect AllowedValues. CloudFormation would refuse each of
 * these per target, after the rollout had started ("Parameters: [X] do not exist in the
 * template", "Parameters: [X] must have values", "Requires capabilities : [...]"); here they
 * are refused once, naming the field. Pure: the facts come from GetTemplateSummary.
 */

/** CloudFormation's limit for a template read from S3 (TemplateURL): 1 MB (API reference, ValidateTemplate). */
export const MAX_TEMPLATE_BYTES = 1_000_000;
/** CloudFormation's limit for an inline template (TemplateBody): 51,200 bytes (API reference, ValidateTemplate). */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;

/** `https://<bucket>.s3.<region>.amazonaws.com/<key>?versionId=<v>`: the form CloudFormation accepts. */
export function templateUrl(bucket: string, key: string, region: string, versionId?: string): string {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const path = key.split('/').map(encodeURIComponent).join('/');
  const query = versionId ? `?versionId=${encodeURIComponent(versionId)}` : '';
  return `https://${bucket}.s3.${region}.${suffix}/${path}${query}`;
}

/** The parts of a GetTemplateSummary answer the checks read (the SDK's output fits). */
export interface TemplateSummaryLike {
  readonly Parameters?: ReadonlyArray<{
    readonly ParameterKey?: string;
    readonly DefaultValue?: string;
    readonly ParameterType?: string;
    readonly ParameterConstraints?: { readonly AllowedValues?: readonly string[] };
  }>;
  readonly Capabilities?: readonly string[];
  readonly CapabilitiesReason?: string;
  readonly ResourceTypes?: readonly string[];
}

/** What one stack of a request sets: the one-template form's fields, or one entry of `stacks`. */
export interface StackParameterRequest {
  readonly parameters: Readonly<Record<string, string>>;
  readonly parameterOverrides: readonly ParameterOverride[];
  readonly capabilities: readonly string[];
  /** Parameters whose values come from other stacks' outputs (the stacks form). */
  readonly outputParameters?: Readonly<Record<string, OutputReference>>;
}

/**
 * `fromStack` references to outputs their stack's template does not declare. `outputsOf` gives a
 * stack's declared Outputs (undefined when its template could not be read, then not checked).
 * CloudFormation would only tell in the target, after the dependency was deployed.
 */
export function outputIssues(
  stacks: readonly Pick<StackSpec, 'name' | 'outputParameters'>[],
  outputsOf: (name: string) => readonly string[] | undefined,
): InputIssue[] {
  const issues: InputIssue[] = [];
  stacks.forEach((stack, i) => {
    for (const [parameter, ref] of Object.entries(stack.outputParameters)) {
      const declared = outputsOf(ref.fromStack);
      if (!declared || declared.includes(ref.output)) continue;
      const field = `stacks[${i}].parameters.${parameter}.output`;
      issues.push({
        field,
        message: `${field} must be an output the template of ${ref.fromStack} declares (${declared.length > 0 ? declared.join(', ') : 'it declares none'}). Received: ${ref.output}`,
      });
    }
  });
  return issues;
}

/** A planned target's account, region and effective parameters. */
export interface TargetParameters {
  readonly accountId: string;
  readonly region: string;
  readonly parameters: Readonly<Record<string, string>>;
}

/** Whether the acknowledged capabilities cover `needed` (CAPABILITY_NAMED_IAM also covers CAPABILITY_IAM). */
function acknowledged(needed: string, given: readonly string[]): boolean {
  return given.includes(needed) || (needed === 'CAPABILITY_IAM' && given.includes('CAPABILITY_NAMED_IAM'));
}

function sample(targets: readonly TargetParameters[], max = 3): string {
  const named = targets.slice(0, max).map((t) => `${t.accountId} ${t.region}`);
  return `${named.join(', ')}${targets.length > max ? `, +${targets.length - max} more` : ''}`;
}

/**
 * Every problem between the request and its template. `targets`, when known (the CLI plans before
 * starting), makes the required-parameter check exact per target; without them (Validate input
 * has not planned yet) a required parameter is refused only when no entry could supply it.
 */
export function templateIssues(
  summary: TemplateSummaryLike,
  rollout: StackParameterRequest,
  targets?: readonly TargetParameters[],
  prefix = '',
): InputIssue[] {
  const issues: InputIssue[] = [];
  const declared = new Map((summary.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p]));
  const names = [...declared.keys()].filter(Boolean);

  const missingCapabilities = (summary.Capabilities ?? []).filter(
    (c) => !acknowledged(c, rollout.capabilities),
  );
  if (missingCapabilities.length > 0) {
    issues.push({
      field: `${prefix}capabilities`,
      message:
        `${prefix}capabilities must include ${missingCapabilities.join(', ')}: ${summary.CapabilitiesReason ?? 'the template needs it'} ` +
        `(CloudFormation refuses the stack otherwise: "Requires capabilities : [${missingCapabilities.join(', ')}]"). ` +
        `Received: [${rollout.capabilities.join(', ')}]`,
    });
  }

  const fromOutputs = Object.fromEntries(
    Object.entries(rollout.outputParameters ?? {}).map(([k, r]) => [k, `${r.fromStack}.${r.output}`]),
  );
  const sources: Array<[string, Readonly<Record<string, string>>]> = [
    [`${prefix}parameters`, rollout.parameters],
    [`${prefix}parameters`, fromOutputs],
    ...rollout.parameterOverrides.map(
      (o, i) =>
        [`${prefix}parameterOverrides[${i}].parameters`, o.parameters] as [string, Record<string, string>],
    ),
  ];
  for (const [field, values] of sources) {
    for (const [key, value] of Object.entries(values)) {
      const decl = declared.get(key);
      if (!decl) {
        issues.push({
          field: `${field}.${key}`,
          message: `${field}.${key} is not a parameter of the template (it declares ${names.length > 0 ? names.join(', ') : 'none'}). Received: ${key}`,
        });
        continue;
      }
      const allowed = decl.ParameterConstraints?.AllowedValues;
      // A value from another stack's outputs is known only in the target, when that stack has finished.
      if (allowed && allowed.length > 0 && values !== fromOutputs) {
        const list = decl.ParameterType?.includes('List') ? value.split(',').map((v) => v.trim()) : [value];
        const bad = list.find((v) => !allowed.includes(v));
        if (bad !== undefined) {
          issues.push({
            field: `${field}.${key}`,
            message: `${field}.${key} must be one of the template's AllowedValues (${allowed.join(', ')}). Received: ${bad}`,
          });
        }
      }
    }
  }

  for (const name of names) {
    const decl = declared.get(name);
    if (decl?.DefaultValue !== undefined) continue;
    if (fromOutputs[name] !== undefined) continue;
    if (targets) {
      const lacking = targets.filter((t) => t.parameters[name] === undefined);
      if (lacking.length === 0) continue;
      issues.push({
        field: `${prefix}parameters.${name}`,
        message: `${prefix}parameters.${name} must be set: the template declares ${name} without a Default, and ${lacking.length} target${lacking.length === 1 ? '' : 's'} would get no value (${sample(lacking)}). Received: (nothing)`,
      });
    } else if (
      rollout.parameters[name] === undefined &&
      !rollout.parameterOverrides.some((o) => o.parameters[name] !== undefined)
    ) {
      issues.push({
        field: `${prefix}parameters.${name}`,
        message: `${prefix}parameters.${name} must be set: the template declares ${name} without a Default. Received: (nothing)`,
      });
    }
  }
  return issues;
}

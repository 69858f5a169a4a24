/**
 * The sandbox's ValidateTemplate and GetTemplateSummary: the template facts CloudFormation reports
 * (parameters, capabilities, resource types) and the refusals it makes before any stack exists
 * (syntax, unrecognized resource types, unresolved references, in parseTemplate; dependency cycles
 * here), worded like AWS's so callers see the same errors they would in a real account.
 */
import { asArray, type OpEnv, readTemplateSource, requireStack, templateOf } from './common';
import { orderResources } from './plan';
import { type ParsedTemplate, requiredCapabilities } from './template';

function parameterList(template: ParsedTemplate) {
  return Object.entries(template.Parameters).map(([key, decl]) => {
    const p: Record<string, unknown> = {
      ParameterKey: key,
      NoEcho: decl.NoEcho === true || decl.NoEcho === 'true',
    };
    if (decl.Default !== undefined)
      p.DefaultValue = Array.isArray(decl.Default) ? decl.Default.join(',') : String(decl.Default);
    if (decl.Description !== undefined) p.Description = decl.Description;
    return { p, decl };
  });
}

function capabilitiesInfo(template: ParsedTemplate): Record<string, unknown> {
  const { capabilities, reasonTypes } = requiredCapabilities(template);
  if (capabilities.length === 0) return { Capabilities: [] };
  return {
    Capabilities: capabilities,
    CapabilitiesReason: `The following resource(s) require capabilities: [${reasonTypes.join(', ')}]`,
  };
}

/**
 * ValidateTemplate refuses a dependency cycle among the template's resources, whatever their
 * Conditions, with "Circular dependency between resources: [A, B]" (the message AWS returns, as
 * tools relaying ValidateTemplate show it, e.g. dougmoscrop/serverless-plugin-split-stacks#122).
 */
function refuseDependencyCycles(template: ParsedTemplate): void {
  const everyCondition = Object.fromEntries(Object.keys(template.Conditions).map((name) => [name, true]));
  orderResources(template, everyCondition);
}

export function validateTemplate(env: OpEnv, params: Record<string, unknown>): Record<string, unknown> {
  const { template } = readTemplateSource(env, {
    TemplateBody: params.TemplateBody as string | undefined,
    TemplateURL: params.TemplateURL as string | undefined,
  });
  refuseDependencyCycles(template);
  const out: Record<string, unknown> = {
    Parameters: parameterList(template).map(({ p }) => p),
    ...capabilitiesInfo(template),
    DeclaredTransforms:
      template.Transform === undefined ? [] : asArray(template.Transform as string | string[]),
  };
  if (template.Description !== undefined) out.Description = template.Description;
  return out;
}

export function getTemplateSummary(env: OpEnv, params: Record<string, unknown>): Record<string, unknown> {
  let template: ParsedTemplate;
  if (params.StackName) {
    const stack = requireStack(env, params.StackName as string);
    template = templateOf(env.section, stack.config.templateHash);
  } else {
    template = readTemplateSource(env, {
      TemplateBody: params.TemplateBody as string | undefined,
      TemplateURL: params.TemplateURL as string | undefined,
    }).template;
  }
  const out: Record<string, unknown> = {
    Parameters: parameterList(template).map(({ p, decl }) => ({
      ...p,
      ParameterType: decl.Type,
      ParameterConstraints: decl.AllowedValues ? { AllowedValues: decl.AllowedValues.map(String) } : {},
    })),
    ...capabilitiesInfo(template),
    ResourceTypes: [...new Set(Object.values(template.Resources).map((r) => r.Type))],
    Version: template.AWSTemplateFormatVersion ?? '2010-09-09',
    DeclaredTransforms:
      template.Transform === undefined ? [] : asArray(template.Transform as string | string[]),
  };
  if (template.Description !== undefined) out.Description = template.Description;
  if (template.Metadata !== undefined) out.Metadata = JSON.stringify(template.Metadata);
  return out;
}

/**
 * Whether CloudFormation recognizes a resource type. AWS refuses a template naming any other type
 * before it touches a stack, in ValidateTemplate, GetTemplateSummary, CreateStack and
 * CreateChangeSet alike: "Template format error: Unrecognized resource types: [AWS::Foo::Bar]"
 * (as reported in aws/aws-cli#2684 and #7226 for validate-template, #6805 for
 * GetTemplateSummary). The sandbox has no registry of private or third-party types, so those are
 * unrecognized too, as they are in an account that has not registered them.
 */
import { RESOURCE_TYPE_NAMES } from './resource-type-names';

let known: Set<string> | undefined;

function knownTypes(): Set<string> {
  if (!known) {
    known = new Set();
    for (const [service, names] of Object.entries(RESOURCE_TYPE_NAMES)) {
      for (const name of names.split(' ')) known.add(`${service}::${name}`);
    }
  }
  return known;
}

/**
 * A custom resource type: `Custom::` and up to 60 letters, digits or `_@-` (CloudFormation User
 * Guide, "Custom resources": ResourceType).
 */
const CUSTOM_TYPE = /^Custom::[A-Za-z0-9_@-]{1,60}$/;

/** The AWS SAM transform that makes `AWS::Serverless::*` types valid. */
const SERVERLESS_TRANSFORM = 'AWS::Serverless-2016-10-31';

function transforms(transform: unknown): string[] {
  if (typeof transform === 'string') return [transform];
  if (Array.isArray(transform)) return transform.filter((t): t is string => typeof t === 'string');
  return [];
}

/** The resource types of `types` CloudFormation would not recognize, in template order, once each. */
export function unrecognizedResourceTypes(types: readonly string[], transform?: unknown): string[] {
  const serverless = transforms(transform).includes(SERVERLESS_TRANSFORM);
  const out: string[] = [];
  for (const type of types) {
    if (out.includes(type) || CUSTOM_TYPE.test(type)) continue;
    if (type.startsWith('AWS::Serverless::') && !serverless) {
      out.push(type);
      continue;
    }
    if (!knownTypes().has(type)) out.push(type);
  }
  return out;
}

/**
 * CloudFormation template parsing for the sandbox: YAML (with the short-form intrinsic tags)
 * or JSON into the long form (`{ "Fn::Sub": ... }`), plus the structural checks AWS makes
 * before any stack is touched. Errors are `AwsError('ValidationError', 'Template format error: ...')`
 * like AWS's, so the code under test sees the same failure it would in a real account.
 */
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import { AwsError } from '../types';
import { unrecognizedResourceTypes } from './recognized-types';

/** A template value after parsing: JSON-like, with intrinsics in their long form. */
export type TemplateValue =
  | string
  | number
  | boolean
  | null
  | TemplateValue[]
  | { [key: string]: TemplateValue };

export interface TemplateParameterDecl {
  Type: string;
  Default?: TemplateValue;
  AllowedValues?: TemplateValue[];
  AllowedPattern?: string;
  MinLength?: number;
  MaxLength?: number;
  MinValue?: number;
  MaxValue?: number;
  NoEcho?: boolean | string;
  Description?: string;
  ConstraintDescription?: string;
}

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, TemplateValue>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: TemplateValue;
}

export interface TemplateOutput {
  Value: TemplateValue;
  Description?: string;
  Condition?: string;
  Export?: { Name: TemplateValue };
}

export interface ParsedTemplate {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Metadata?: TemplateValue;
  Parameters: Record<string, TemplateParameterDecl>;
  Mappings: Record<string, Record<string, Record<string, TemplateValue>>>;
  Conditions: Record<string, TemplateValue>;
  Resources: Record<string, TemplateResource>;
  Outputs: Record<string, TemplateOutput>;
  Transform?: TemplateValue;
  /** Set by the parser: the body was JSON (GetTemplate returns the body as given either way). */
  format: 'JSON' | 'YAML';
}

/** Short tag -> long-form key. `!GetAtt a.b` is special-cased into `["a", "b"]`. */
const SHORT_TAGS: Record<string, string> = {
  '!Ref': 'Ref',
  '!Condition': 'Condition',
  '!Sub': 'Fn::Sub',
  '!GetAtt': 'Fn::GetAtt',
  '!If': 'Fn::If',
  '!Equals': 'Fn::Equals',
  '!Not': 'Fn::Not',
  '!And': 'Fn::And',
  '!Or': 'Fn::Or',
  '!Join': 'Fn::Join',
  '!Select': 'Fn::Select',
  '!Split': 'Fn::Split',
  '!FindInMap': 'Fn::FindInMap',
  '!ImportValue': 'Fn::ImportValue',
  '!Base64': 'Fn::Base64',
  '!GetAZs': 'Fn::GetAZs',
  '!Cidr': 'Fn::Cidr',
  '!Length': 'Fn::Length',
  '!ToJsonString': 'Fn::ToJsonString',
  '!Transform': 'Fn::Transform',
};

function buildCustomTags(): YAML.Tags {
  const tags: YAML.Tags = [];
  for (const [tag, key] of Object.entries(SHORT_TAGS)) {
    tags.push({
      tag,
      identify: () => false,
      resolve: (value: string) => {
        if (key === 'Fn::GetAtt') {
          const dot = value.indexOf('.');
          return { [key]: dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
        }
        return { [key]: value };
      },
    });
    tags.push({
      tag,
      identify: () => false,
      collection: 'seq',
      resolve: (seq: YAML.YAMLSeq) => ({ [key]: seq.toJSON() }),
    } as YAML.CollectionTag);
    tags.push({
      tag,
      identify: () => false,
      collection: 'map',
      resolve: (map: YAML.YAMLMap) => ({ [key]: map.toJSON() }),
    } as YAML.CollectionTag);
  }
  return tags;
}

const customTags = buildCustomTags();

/** `ValidationError: Template format error: <detail>` as AWS words it. */
export function templateFormatError(detail: string): AwsError {
  return new AwsError('ValidationError', `Template format error: ${detail}`);
}

const TOP_LEVEL_KEYS = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
  'Rules',
  'Hooks',
]);

const LOGICAL_ID = /^[A-Za-z0-9]+$/;

/** Content hash of a template body: stacks share one stored copy of identical templates. */
const hashCache = new Map<string, string>();

export function templateHash(body: string): string {
  const known = hashCache.get(body);
  if (known) return known;
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 32);
  if (hashCache.size > 200) hashCache.clear();
  hashCache.set(body, hash);
  return hash;
}

const parseCache = new Map<string, ParsedTemplate>();

/**
 * Parses and checks a template body. Results are cached by content, so 10,000 stacks on one
 * template parse it once; callers must treat the result as read-only.
 */
export function parseTemplate(body: string): ParsedTemplate {
  const key = templateHash(body);
  const cached = parseCache.get(key);
  if (cached) return cached;
  const parsed = parseUncached(body);
  if (parseCache.size > 200) parseCache.clear();
  parseCache.set(key, parsed);
  return parsed;
}

function parseUncached(body: string): ParsedTemplate {
  const trimmed = body.trim();
  if (trimmed.length === 0) throw templateFormatError('Template body is empty.');
  let raw: unknown;
  let format: 'JSON' | 'YAML';
  if (trimmed.startsWith('{')) {
    format = 'JSON';
    try {
      raw = JSON.parse(trimmed);
    } catch (error) {
      throw templateFormatError(`JSON not well-formed. (${(error as Error).message})`);
    }
  } else {
    format = 'YAML';
    const doc = YAML.parseDocument(body, { customTags, uniqueKeys: true, prettyErrors: true });
    const first = doc.errors[0];
    if (first) {
      const pos = first.linePos?.[0];
      throw templateFormatError(
        `YAML not well-formed. (line ${pos?.line ?? '?'}, column ${pos?.col ?? '?'})`,
      );
    }
    raw = doc.toJS({ maxAliasCount: 1000 });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw templateFormatError('Template must be an object (a map of template sections).');
  }
  return checkStructure(raw as Record<string, unknown>, format);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkStructure(raw: Record<string, unknown>, format: 'JSON' | 'YAML'): ParsedTemplate {
  const unknownKeys = Object.keys(raw).filter((k) => !TOP_LEVEL_KEYS.has(k));
  if (unknownKeys.length > 0) {
    throw templateFormatError(`Invalid template property or properties [${unknownKeys.join(', ')}]`);
  }
  const version = raw.AWSTemplateFormatVersion;
  if (version !== undefined && String(version) !== '2010-09-09') {
    throw templateFormatError(`Unsupported template version: ${String(version)}`);
  }
  if (raw.Description !== undefined && typeof raw.Description !== 'string') {
    throw templateFormatError('Every Description member must be a string.');
  }
  for (const section of ['Parameters', 'Mappings', 'Conditions', 'Resources', 'Outputs'] as const) {
    if (raw[section] !== undefined && raw[section] !== null && !isMap(raw[section])) {
      throw templateFormatError(`The ${section} section must be an object.`);
    }
  }
  const resources = (raw.Resources ?? {}) as Record<string, unknown>;
  if (Object.keys(resources).length === 0) {
    throw templateFormatError('At least one Resources member must be defined.');
  }
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!LOGICAL_ID.test(logicalId)) {
      throw templateFormatError(`Resource name ${logicalId} is non alphanumeric.`);
    }
    if (!isMap(resource) || typeof resource.Type !== 'string' || resource.Type.length === 0) {
      throw templateFormatError(
        `[/Resources/${logicalId}] Every Resources object must contain a Type member.`,
      );
    }
    if (resource.Properties !== undefined && resource.Properties !== null && !isMap(resource.Properties)) {
      throw templateFormatError(`[/Resources/${logicalId}/Properties] Properties must be an object.`);
    }
  }
  const parameters = (raw.Parameters ?? {}) as Record<string, unknown>;
  for (const [name, decl] of Object.entries(parameters)) {
    if (!isMap(decl) || typeof decl.Type !== 'string') {
      throw templateFormatError(`[/Parameters/${name}] Every Parameters object must contain a Type member.`);
    }
  }
  const outputs = (raw.Outputs ?? {}) as Record<string, unknown>;
  for (const [name, output] of Object.entries(outputs)) {
    if (!isMap(output) || output.Value === undefined) {
      throw templateFormatError(`[/Outputs/${name}] Every Outputs member must contain a Value object`);
    }
  }
  const conditions = (raw.Conditions ?? {}) as Record<string, TemplateValue>;
  const template: ParsedTemplate = {
    Parameters: parameters as Record<string, TemplateParameterDecl>,
    Mappings: (raw.Mappings ?? {}) as ParsedTemplate['Mappings'],
    Conditions: conditions,
    Resources: resources as Record<string, TemplateResource>,
    Outputs: outputs as Record<string, TemplateOutput>,
    format,
  };
  if (version !== undefined) template.AWSTemplateFormatVersion = String(version);
  if (typeof raw.Description === 'string') template.Description = raw.Description;
  if (raw.Metadata !== undefined) template.Metadata = raw.Metadata as TemplateValue;
  if (raw.Transform !== undefined) template.Transform = raw.Transform as TemplateValue;
  const unrecognized = unrecognizedResourceTypes(
    Object.values(template.Resources).map((r) => r.Type),
    template.Transform,
  );
  if (unrecognized.length > 0) {
    throw templateFormatError(`Unrecognized resource types: [${unrecognized.join(', ')}]`);
  }
  checkReferences(template);
  return template;
}

/** Names a `Ref`/`Fn::GetAtt`/`Fn::Sub` inside `value` points at (resources or parameters). */
export function collectReferences(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, into);
    return into;
  }
  if (!isMap(value)) return into;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const key = keys[0] as string;
    const arg = value[key];
    if (key === 'Ref' && typeof arg === 'string') {
      into.add(arg);
      return into;
    }
    if (key === 'Fn::GetAtt') {
      const target = Array.isArray(arg) ? arg[0] : typeof arg === 'string' ? arg.split('.')[0] : undefined;
      if (typeof target === 'string') into.add(target);
      if (Array.isArray(arg)) collectReferences(arg.slice(1), into);
      return into;
    }
    if (key === 'Fn::Sub') {
      const text = Array.isArray(arg) ? arg[0] : arg;
      const vars = Array.isArray(arg) && isMap(arg[1]) ? arg[1] : {};
      if (typeof text === 'string') {
        for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = (match[1] as string).trim().split('.')[0] as string;
          if (!(name in vars)) into.add(name);
        }
      }
      collectReferences(vars, into);
      return into;
    }
  }
  for (const item of Object.values(value)) collectReferences(item, into);
  return into;
}

/** Every `Ref`/`GetAtt` target must be a parameter, resource or pseudo parameter (AWS checks at validate time). */
function checkReferences(template: ParsedTemplate): void {
  const known = new Set([...Object.keys(template.Parameters), ...Object.keys(template.Resources)]);
  const unresolved = new Set<string>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    for (const name of collectReferences(resource.Properties ?? {})) {
      if (!known.has(name) && !name.startsWith('AWS::')) unresolved.add(name);
    }
    for (const dep of dependsOnList(resource)) {
      if (!(dep in template.Resources)) {
        throw templateFormatError(
          `Unresolved resource dependencies [${dep}] in the Resources block of the template`,
        );
      }
    }
    if (resource.Condition !== undefined && !(resource.Condition in template.Conditions)) {
      throw templateFormatError(
        `Unresolved dependencies [${resource.Condition}]. Cannot reference resources in the Conditions block of the template (resource ${logicalId})`,
      );
    }
  }
  for (const output of Object.values(template.Outputs)) {
    for (const name of collectReferences(output.Value)) {
      if (!known.has(name) && !name.startsWith('AWS::')) unresolved.add(name);
    }
  }
  if (unresolved.size > 0) {
    throw templateFormatError(
      `Unresolved resource dependencies [${[...unresolved].join(', ')}] in the Resources block of the template`,
    );
  }
}

/** `DependsOn` as a list (it may be a string or a list in templates). */
export function dependsOnList(resource: TemplateResource): string[] {
  if (resource.DependsOn === undefined) return [];
  return Array.isArray(resource.DependsOn) ? resource.DependsOn : [resource.DependsOn];
}

/** IAM resource types that need CAPABILITY_IAM, with the property that makes them "named" (CAPABILITY_NAMED_IAM). */
export const IAM_RESOURCE_NAME_PROPERTY: Record<string, string | undefined> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::User': 'UserName',
  'AWS::IAM::Group': 'GroupName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::IAM::Policy': undefined,
  'AWS::IAM::AccessKey': undefined,
  'AWS::IAM::UserToGroupAddition': undefined,
};

/** The capability a template needs (AWS checks every IAM resource, whatever its Condition). */
const capabilityCache = new WeakMap<ParsedTemplate, { capabilities: string[]; reasonTypes: string[] }>();

export function requiredCapabilities(template: ParsedTemplate): {
  capabilities: string[];
  reasonTypes: string[];
} {
  const cached = capabilityCache.get(template);
  if (cached) return cached;
  let iam = false;
  let named = false;
  const types = new Set<string>();
  for (const resource of Object.values(template.Resources)) {
    if (!(resource.Type in IAM_RESOURCE_NAME_PROPERTY)) continue;
    iam = true;
    types.add(resource.Type);
    const nameProp = IAM_RESOURCE_NAME_PROPERTY[resource.Type];
    if (nameProp && resource.Properties?.[nameProp] !== undefined) named = true;
  }
  const capabilities: string[] = [];
  if (named) capabilities.push('CAPABILITY_NAMED_IAM');
  else if (iam) capabilities.push('CAPABILITY_IAM');
  if (template.Transform !== undefined) capabilities.push('CAPABILITY_AUTO_EXPAND');
  const result = { capabilities, reasonTypes: [...types] };
  capabilityCache.set(template, result);
  return result;
}

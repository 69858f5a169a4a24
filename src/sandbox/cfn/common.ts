/**
 * Helpers every sandbox CloudFormation operation shares: the per-call environment (account,
 * region, clock, persisted section), stack lookup by name or id with AWS's errors, where a
 * template comes from (body, S3 URL with `?versionId=`, previous template), and pagination.
 */
import type { OperationContext } from '../types';
import { AwsError } from '../types';
import { seedPreexistingStacks } from './faults';
import { type Acting, callerOf, forwardAccess, resourceActor } from './iam-env';
import type { PlanEnv } from './plan';
import {
  type CfnSection,
  cfnSection,
  emptySection,
  type StackRecord,
  settleStack,
  type TargetState,
  targetOf,
} from './state';
import { type ParsedTemplate, parseTemplate, templateHash } from './template';
import { authorizeTemplateRead } from './template-access';

/** Limits AWS enforces on template sources. */
export const TEMPLATE_BODY_MAX_BYTES = 51_200;
export const TEMPLATE_URL_MAX_BYTES = 1_000_000;

export interface OpEnv extends PlanEnv {
  ctx: OperationContext;
}

/** The environment of one call: its account's and region's slice of the CloudFormation world. */
export function opEnv(ctx: OperationContext): OpEnv {
  const world = ctx.world;
  const section: CfnSection = cfnSection(world, () => {
    const s = emptySection();
    seedPreexistingStacks(s, world);
    return s;
  });
  const accountId = ctx.caller.accountId;
  const region = ctx.region;
  return {
    ctx,
    world,
    section,
    target: targetOf(section, accountId, region),
    accountId,
    region,
    now: ctx.now(),
  };
}

/**
 * Who makes an operation's resource calls: CloudFormation assumes `roleArn` (throws AWS's
 * "Role ... is invalid or cannot be assumed"), or uses the caller's forward access session.
 */
export function actorFor(env: OpEnv, roleArn: string | undefined): Acting {
  return resourceActor(env.world, callerOf(env.ctx), roleArn, env.region, env.now);
}

export function validationError(message: string): AwsError {
  return new AwsError('ValidationError', message);
}

const STACK_NAME = /^[a-zA-Z][-a-zA-Z0-9]*$/;

/** Checks a new stack's name like AWS's input validation does. */
export function checkStackName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw validationError(
      "1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null",
    );
  }
  if (name.length > 128 || !STACK_NAME.test(name)) {
    throw validationError(
      `1 validation error detected: Value '${name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
    );
  }
  return name;
}

function isStackArn(nameOrId: string): boolean {
  return nameOrId.startsWith('arn:') && nameOrId.includes(':stack/');
}

/** The stack a name or StackId means, settled to now; undefined when there is none (deleted ones only by id). */
export function findStack(env: OpEnv, nameOrId: string | undefined): StackRecord | undefined {
  if (!nameOrId) return undefined;
  const { target } = env;
  let stack: StackRecord | undefined;
  if (isStackArn(nameOrId)) {
    stack = target.stacks[nameOrId];
    if (stack) settleStack(target, stack, env.now, env.world);
    return stack;
  }
  const id = target.byName[nameOrId];
  if (!id) return undefined;
  stack = target.stacks[id];
  if (!stack) return undefined;
  settleStack(target, stack, env.now, env.world);
  if (stack.status === 'DELETE_COMPLETE') return undefined;
  return stack;
}

/** Like `findStack`, but answers AWS's "Stack with id X does not exist". */
export function requireStack(env: OpEnv, nameOrId: string | undefined): StackRecord {
  if (!nameOrId) {
    throw validationError(
      "1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null",
    );
  }
  const stack = findStack(env, nameOrId);
  if (!stack) throw validationError(`Stack with id ${nameOrId} does not exist`);
  return stack;
}

/** Settles every stack of the target (ListStacks/DescribeStacks need current statuses). */
export function settleAll(env: OpEnv): void {
  for (const stack of Object.values(env.target.stacks)) settleStack(env.target, stack, env.now, env.world);
}

/** Stores a template body once per content and returns its hash. */
export function storeTemplate(section: CfnSection, body: string): string {
  const hash = templateHash(body);
  if (!(hash in section.templates)) section.templates[hash] = body;
  return hash;
}

export function templateBody(section: CfnSection, hash: string): string {
  const body = section.templates[hash];
  if (body === undefined)
    throw new AwsError(
      'InternalFailure',
      `Template ${hash} is missing from the sandbox state`,
      500,
      'Receiver',
    );
  return body;
}

export function templateOf(section: CfnSection, hash: string): ParsedTemplate {
  return parseTemplate(templateBody(section, hash));
}

export interface TemplateSourceParams {
  TemplateBody?: string;
  TemplateURL?: string;
  UsePreviousTemplate?: boolean | string;
}

/** The S3 location a TemplateURL points at (virtual-hosted or path style, optional `?versionId=`). */
export function parseTemplateUrl(url: string): { bucket: string; key: string; versionId?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw validationError('TemplateURL must be a supported URL.');
  }
  const host = parsed.hostname;
  const local = host === '127.0.0.1' || host === 'localhost';
  if (parsed.protocol !== 'https:' && !(local && parsed.protocol === 'http:')) {
    throw validationError('TemplateURL must be an Amazon S3 URL.');
  }
  const versionId = parsed.searchParams.get('versionId') ?? undefined;
  const path = parsed.pathname.replace(/^\//, '');
  let bucket: string | undefined;
  let key: string | undefined;
  const virtual = /^(.+)\.s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com(?:\.cn)?$/.exec(host);
  const pathStyle = /^s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com(?:\.cn)?$/.test(host) || local;
  if (virtual && !/^s3[.-]/.test(host)) {
    bucket = virtual[1];
    key = path;
  } else if (pathStyle) {
    const slash = path.indexOf('/');
    if (slash > 0) {
      bucket = path.slice(0, slash);
      key = path.slice(slash + 1);
    }
  }
  if (!bucket || !key) throw validationError('TemplateURL must be an Amazon S3 URL.');
  const decodedKey = decodeURIComponent(key);
  return versionId ? { bucket, key: decodedKey, versionId } : { bucket, key: decodedKey };
}

/** Decoded template bodies per world (object versions are immutable; ids may repeat across worlds). */
const s3BodiesByWorld = new WeakMap<object, Map<string, string>>();

/** Resolves where the template comes from: exactly one of TemplateBody, TemplateURL, UsePreviousTemplate. */
export function readTemplateSource(
  env: OpEnv,
  params: TemplateSourceParams,
  previous?: StackRecord,
): { body: string; hash: string; template: ParsedTemplate } {
  const usePrevious = params.UsePreviousTemplate === true || params.UsePreviousTemplate === 'true';
  const given = [params.TemplateBody !== undefined, params.TemplateURL !== undefined, usePrevious].filter(
    Boolean,
  ).length;
  if (given === 0) throw validationError('Either Template URL or Template Body must be specified.');
  if (given > 1) {
    throw validationError(
      usePrevious
        ? 'You cannot specify both usePreviousTemplate and Template Body/Template URL'
        : 'Specify exactly one of TemplateBody or TemplateUrl.',
    );
  }
  let body: string;
  if (usePrevious) {
    if (!previous) throw validationError('UsePreviousTemplate is only valid for an existing stack.');
    body = templateBody(env.section, previous.pending?.config?.templateHash ?? previous.config.templateHash);
  } else if (params.TemplateURL !== undefined) {
    const location = parseTemplateUrl(params.TemplateURL);
    // CloudFormation reads the object with the caller's credentials (template-access.ts).
    authorizeTemplateRead(env.world, forwardAccess(callerOf(env.ctx)), location);
    const object = env.world.readObject(location.bucket, location.key, location.versionId);
    if (!object)
      throw validationError('TemplateURL must reference a valid S3 object to which you have access.');
    if (object.body.length > TEMPLATE_URL_MAX_BYTES) {
      throw validationError(`Template may not exceed ${TEMPLATE_URL_MAX_BYTES} bytes in size.`);
    }
    // An object version never changes: decode it once, not once per target.
    const versionKey = `${location.bucket}/${location.key}@${object.versionId}`;
    const cacheable = Boolean(object.versionId) && object.versionId !== 'null';
    let s3Bodies = s3BodiesByWorld.get(env.world);
    if (!s3Bodies) {
      s3Bodies = new Map();
      s3BodiesByWorld.set(env.world, s3Bodies);
    }
    const known = cacheable ? s3Bodies.get(versionKey) : undefined;
    if (known !== undefined) {
      body = known;
    } else {
      body = object.body.toString('utf8');
      if (cacheable) {
        if (s3Bodies.size > 100) s3Bodies.clear();
        s3Bodies.set(versionKey, body);
      }
    }
  } else {
    body = String(params.TemplateBody);
    if (Buffer.byteLength(body) > TEMPLATE_BODY_MAX_BYTES) {
      throw validationError(
        `1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${TEMPLATE_BODY_MAX_BYTES}`,
      );
    }
  }
  const template = parseTemplate(body);
  return { body, hash: storeTemplate(env.section, body), template };
}

/** Opaque pagination token over an offset. */
export function encodeToken(offset: number, scope: string): string {
  return Buffer.from(JSON.stringify({ o: offset, s: scope })).toString('base64');
}

export function decodeToken(token: string | undefined, scope: string): number {
  if (!token) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { o?: unknown; s?: unknown };
    if (typeof parsed.o === 'number' && parsed.s === scope && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through to the error below
  }
  throw validationError('Invalid NextToken');
}

/** One page of `items` and the token for the next. */
export function page<T>(
  items: T[],
  token: string | undefined,
  scope: string,
  size: number,
): { items: T[]; next?: string } {
  const offset = decodeToken(token, scope);
  const slice = items.slice(offset, offset + size);
  return offset + size < items.length
    ? { items: slice, next: encodeToken(offset + size, scope) }
    : { items: slice };
}

/** Decoded list params may arrive as arrays or be absent. */
export function asArray<T>(value: T[] | T | undefined): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function asBool(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  return value === true || value === 'true';
}

export type { TargetState };

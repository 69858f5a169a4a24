/**
 * The Lambda functions of the sandbox: what CloudFormation stacks create (`AWS::Lambda::Function`),
 * so the local engine can invoke each Task's function as its own execution role. A function is
 * bound to an in-process handler by its handler id (`src/core/functions.ts` ids such as
 * `deploy-stack`), derived from the synthesized template (see `handlerIdOf`).
 */
import { lambdaFunctions } from '../../core/functions';
import type { SandboxWorld } from '../types';

export const LAMBDA_SECTION = 'lambda';

export interface LambdaFunctionRecord {
  name: string;
  arn: string;
  accountId: string;
  region: string;
  /** Execution role the function runs as (its `Role` property). */
  roleArn: string;
  /** `src/core/functions.ts` id, when the function is one of stackfleet's; undefined otherwise. */
  handlerId?: string;
  environment: Record<string, string>;
  runtime?: string;
  handler?: string;
  managedBy?: { stackId: string; logicalId: string };
}

export interface LambdaSection {
  version: 1;
  /** By function ARN (unqualified). */
  functions: Record<string, LambdaFunctionRecord>;
}

export function lambdaSection(world: Pick<SandboxWorld, 'section'>): LambdaSection {
  return world.section<LambdaSection>(LAMBDA_SECTION, () => ({ version: 1, functions: {} }));
}

export function functionArnOf(accountId: string, region: string, name: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
}

export function putFunction(world: Pick<SandboxWorld, 'section'>, record: LambdaFunctionRecord): void {
  lambdaSection(world).functions[record.arn] = record;
}

export function deleteFunction(world: Pick<SandboxWorld, 'section'>, arn: string): boolean {
  const functions = lambdaSection(world).functions;
  if (!functions[arn]) return false;
  delete functions[arn];
  return true;
}

/** A function by ARN (a qualified ARN `...:function:name:alias` finds the function). */
export function findFunction(
  world: Pick<SandboxWorld, 'section'>,
  arn: string,
): LambdaFunctionRecord | undefined {
  const parts = arn.split(':');
  const unqualified = parts.length > 7 ? parts.slice(0, 7).join(':') : arn;
  return lambdaSection(world).functions[unqualified];
}

export function listFunctions(world: Pick<SandboxWorld, 'section'>): LambdaFunctionRecord[] {
  return Object.values(lambdaSection(world).functions);
}

const KNOWN_IDS = new Set<string>(lambdaFunctions.map((f) => f.id));

function kebab(pascal: string): string {
  return pascal.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/**
 * Which stackfleet function a synthesized `AWS::Lambda::Function` is: from its `aws:cdk:path`
 * metadata (`StackFleetAdmin/Functions/<PascalId>/Resource`), else its Description
 * (`stackfleet <id>`, what infra/lib/rollout-functions.ts writes), else its logical id
 * (`Functions<PascalId><hash>`). Undefined for functions that are not stackfleet's.
 */
export function handlerIdOf(input: {
  cdkPath?: string;
  description?: string;
  logicalId?: string;
}): string | undefined {
  const fromPath = input.cdkPath
    ? /\/Functions\/([A-Za-z0-9]+)\/Resource$/.exec(input.cdkPath)?.[1]
    : undefined;
  if (fromPath && KNOWN_IDS.has(kebab(fromPath))) return kebab(fromPath);
  const fromDescription = input.description
    ? /^stackfleet ([a-z0-9-]+)\b/.exec(input.description)?.[1]
    : undefined;
  if (fromDescription && KNOWN_IDS.has(fromDescription)) return fromDescription;
  const fromLogical = input.logicalId
    ? /^Functions([A-Z][A-Za-z0-9]*?)[0-9A-F]{8}$/.exec(input.logicalId)?.[1]
    : undefined;
  if (fromLogical && KNOWN_IDS.has(kebab(fromLogical))) return kebab(fromLogical);
  return undefined;
}

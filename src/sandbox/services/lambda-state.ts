/**
 * Lambda functions of the sandbox: what CloudFormation's AWS::Lambda::Function provider deployed
 * (name, execution role, the handler of `src/core/functions.ts` it runs, environment), per ARN.
 * The local engine invokes them in-process as their execution role.
 */
import type { SandboxWorld } from '../types';

export interface LambdaFunctionRecord {
  arn: string;
  name: string;
  accountId: string;
  region: string;
  /** The execution role Lambda assumes to run it. */
  roleArn: string;
  /** Id in src/core/functions.ts (`deploy-stack`), or undefined for code the sandbox cannot run. */
  handlerId?: string;
  environment: Record<string, string>;
  runtime?: string;
  timeoutSeconds: number;
  memorySize: number;
  managedBy?: { stackId: string; logicalId: string };
}

export interface LambdaState {
  functions: Record<string, LambdaFunctionRecord>;
  /**
   * Resource-based policy statements per function ARN, by statement id (AddPermission,
   * `AWS::Lambda::Permission`): who else may invoke it (events.amazonaws.com for a rule's target).
   */
  permissions?: Record<string, Record<string, string>>;
}

export function lambdaState(world: Pick<SandboxWorld, 'section'>): LambdaState {
  return world.section<LambdaState>('lambda', () => ({ functions: {} }));
}

export function putFunction(world: Pick<SandboxWorld, 'section'>, record: LambdaFunctionRecord): void {
  lambdaState(world).functions[record.arn] = record;
}

/** Adds a statement (JSON text) to a function's resource-based policy. */
export function putFunctionPermission(
  world: Pick<SandboxWorld, 'section'>,
  functionArn: string,
  sid: string,
  statement: string,
): void {
  const state = lambdaState(world);
  state.permissions ??= {};
  state.permissions[functionArn] = { ...(state.permissions[functionArn] ?? {}), [sid]: statement };
}

export function deleteFunctionPermission(
  world: Pick<SandboxWorld, 'section'>,
  functionArn: string,
  sid: string,
): void {
  const statements = lambdaState(world).permissions?.[functionArn];
  if (statements) delete statements[sid];
}

/** The function's resource-based policy as JSON text (GetPolicy), if it has statements. */
export function functionPolicyOf(
  world: Pick<SandboxWorld, 'section'>,
  functionArn: string,
): string | undefined {
  const statements = lambdaState(world).permissions?.[functionArn];
  if (!statements || Object.keys(statements).length === 0) return undefined;
  return JSON.stringify({
    Version: '2012-10-17',
    Id: 'default',
    Statement: Object.entries(statements).map(([Sid, text]) => ({ Sid, ...(JSON.parse(text) as object) })),
  });
}

export function deleteFunction(world: Pick<SandboxWorld, 'section'>, arn: string): void {
  delete lambdaState(world).functions[arn];
}

/** A function by ARN (qualifiers such as `:$LATEST` ignored), or by name in an account and region. */
export function findFunction(
  world: Pick<SandboxWorld, 'section'>,
  ref: string,
  where?: { accountId: string; region: string },
): LambdaFunctionRecord | undefined {
  const state = lambdaState(world);
  const m = /^(arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+)(?::.*)?$/.exec(ref);
  if (m) return state.functions[m[1] as string];
  if (!where) return undefined;
  return state.functions[`arn:aws:lambda:${where.region}:${where.accountId}:function:${ref}`];
}

/**
 * The ARN a Lambda API `FunctionName` means: a name or a partial ARN (`123456789012:function:name`)
 * is in the caller's region (and, for a name, the caller's account); a full ARN is itself.
 */
export function functionArnOf(ref: string, where: { accountId: string; region: string }): string {
  if (ref.startsWith('arn:')) return ref;
  const partial = /^(\d{12}):function:(.+)$/.exec(ref);
  if (partial) return `arn:aws:lambda:${where.region}:${partial[1]}:function:${partial[2]}`;
  return `arn:aws:lambda:${where.region}:${where.accountId}:function:${ref}`;
}

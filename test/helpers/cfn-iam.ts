/**
 * A sandbox world for CloudFormation-and-IAM tests, driven the way the request path will drive
 * it: each call is made as a real principal (an account root or a role session), its
 * `cloudformation:*` permissions are authorized first (src/sandbox/iam/actions/cloudformation.ts,
 * what `Sandbox.handle` will call), then the operation runs with `ctx.iam` set.
 */
import { createHash } from 'node:crypto';
import { testScenario } from '../../src/sandbox/cfn/testing';
import { cloudFormationAuthorization } from '../../src/sandbox/iam/actions/cloudformation';
import {
  authorize,
  DENIAL_SHAPES,
  decide,
  principalOf,
  type RequestFacts,
} from '../../src/sandbox/iam/authorize';
import { type IamRole, iamSection, putRole } from '../../src/sandbox/iam/state';
import type { PolicyDocument } from '../../src/sandbox/iam/types';
import { Sandbox } from '../../src/sandbox/sandbox';
import { s3State } from '../../src/sandbox/services/s3';
import type { S3Encryption } from '../../src/sandbox/services/s3-state';
import type { Caller, OperationContext } from '../../src/sandbox/types';
import type { World } from '../../src/sandbox/world';

export const ADMIN = '111111111111';
export const MEMBER = '222222222222';
export const OTHER = '333333333333';
export const REGION = 'eu-west-1';
export const ORG_ID = 'o-abcdefghij';

export async function openWorld(): Promise<{ sandbox: Sandbox; world: World }> {
  const sandbox = await Sandbox.open({ scenario: testScenario(), stateDir: null });
  return { sandbox, world: sandbox.world };
}

/** An IAM role in the world (as if made by IAM or another stack). */
export function givenRole(
  world: World,
  accountId: string,
  name: string,
  trust: PolicyDocument,
  policies: Record<string, PolicyDocument> = {},
  path = '/',
): IamRole {
  return putRole(iamSection(world), {
    accountId,
    name,
    path,
    trustPolicy: JSON.stringify(trust),
    inlinePolicies: Object.fromEntries(Object.entries(policies).map(([k, v]) => [k, JSON.stringify(v)])),
    now: world.now(),
  });
}

export function allow(
  action: string | string[],
  resource: string | string[] = '*',
  condition?: PolicyDocument['Statement'],
): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: action,
        Resource: resource,
        ...(condition ? { Condition: condition as never } : {}),
      },
    ],
  };
}

export function trustService(service: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  };
}

/** A role session as STS would issue it. */
export function sessionOf(accountId: string, roleName: string, sessionName = 'test'): Caller {
  return {
    accountId,
    accessKeyId: `ASIA${createHash('sha256').update(`${accountId}/${roleName}/${sessionName}`).digest('hex').slice(0, 16).toUpperCase()}`,
    arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
    roleName,
    sessionName,
  };
}

export function rootOf(accountId: string): Caller {
  return { accountId, accessKeyId: `root-${accountId}`, arn: `arn:aws:iam::${accountId}:root` };
}

/** Calls a CloudFormation operation as `caller`, authorizing it first as the request path does. */
export async function cfnAs<T = Record<string, unknown>>(
  sandbox: Sandbox,
  caller: Caller,
  operation: string,
  params: Record<string, unknown>,
  region = REGION,
): Promise<T> {
  const world = sandbox.world;
  const who = principalOf(world, caller);
  const facts: RequestFacts = { region, now: world.now() };
  const ctx: OperationContext = {
    caller,
    region,
    now: () => world.now(),
    world,
    requestId: 'test-request',
    iam: {
      who,
      facts,
      authorize: (specs) => authorize(world, who, specs, facts, DENIAL_SHAPES.cloudformation as never),
      decide: (spec) => decide(world, who, spec, facts),
    },
  };
  ctx.iam?.authorize(
    cloudFormationAuthorization(operation, params, { world, accountId: caller.accountId, region }),
  );
  const op = sandbox.service('cloudformation')?.operations[operation];
  if (!op) throw new Error(`no operation ${operation}`);
  return JSON.parse(JSON.stringify(await op(params, ctx))) as T;
}

/** Puts an S3 object version in a bucket of `owner` (creating the bucket), as S3 would hold it. */
export function givenObject(
  world: World,
  input: {
    bucket: string;
    owner: string;
    key: string;
    body: string;
    policy?: PolicyDocument;
    encryption?: S3Encryption;
  },
): string {
  const state = s3State(world);
  type Bucket = (typeof state.buckets)[string] & { policy?: string; encryption?: S3Encryption };
  const bucket: Bucket = (state.buckets[input.bucket] as Bucket | undefined) ?? {
    owner: input.owner,
    region: REGION,
    createdAt: world.now(),
    versioning: 'Enabled',
    objects: {},
  };
  state.buckets[input.bucket] = bucket;
  if (input.policy) bucket.policy = JSON.stringify(input.policy);
  if (input.encryption) bucket.encryption = input.encryption;
  state.counter += 1;
  const versionId = `v${state.counter}`;
  const body = Buffer.from(input.body);
  const versions = bucket.objects[input.key] ?? [];
  bucket.objects[input.key] = versions;
  versions.unshift({
    versionId,
    body: body.toString('base64'),
    etag: `"${createHash('md5').update(body).digest('hex')}"`,
    size: body.length,
    lastModified: world.now(),
    // S3 encrypts a new object with the bucket's default encryption.
    ...(bucket.encryption ? { encryption: bucket.encryption } : {}),
  });
  return versionId;
}

/** Moves the world's clock on (stacks' schedules run in virtual time). */
export function later(world: World, ms = 3_600_000): void {
  world.advance(ms);
}

/**
 * The IAM API of the sandbox (query protocol, 2010-05-08; IAM API Reference) on the IAM state every
 * authorization reads (src/sandbox/iam/state.ts), so a policy put here decides the principal's next
 * call: CreateUser, GetUser, DeleteUser, GetRole, and the inline policies of users and roles
 * (Put/Get/Delete/ListUserPolicies, Put/Get/Delete/ListRolePolicies). Documents are returned
 * URL-encoded, as IAM returns them. Policy names are 1-128 `[\w+=,.@-]`; documents must parse.
 */
import { parsePolicy } from '../iam/policy';
import { findRole, findUser, iamSection, type PolicyHolder, putUser, touch } from '../iam/state';
import { AwsError, type OperationContext, type ServiceEmulator } from '../types';

const NAME = /^[\w+=,.@-]{1,128}$/;
const USER_NAME = /^[\w+=,.@-]{1,64}$/;

function named(params: Record<string, unknown>, field: string, pattern = NAME): string {
  const value = params[field];
  if (typeof value !== 'string' || !pattern.test(value))
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${String(value)}' at '${field.charAt(0).toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
    );
  return value;
}

function userOf(ctx: OperationContext, params: Record<string, unknown>) {
  const name = named(params, 'UserName', USER_NAME);
  const user = findUser(iamSection(ctx.world), ctx.caller.accountId, name);
  if (!user) throw new AwsError('NoSuchEntity', `The user with name ${name} cannot be found.`, 404);
  return user;
}

function roleOf(ctx: OperationContext, params: Record<string, unknown>) {
  const name = named(params, 'RoleName', USER_NAME);
  const role = findRole(iamSection(ctx.world), ctx.caller.accountId, name);
  if (!role) throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
  return role;
}

function documentOf(params: Record<string, unknown>): string {
  const text = params.PolicyDocument;
  if (typeof text !== 'string' || text === '')
    throw new AwsError(
      'ValidationError',
      "1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null",
    );
  try {
    parsePolicy(text, 'PolicyDocument');
  } catch (error) {
    throw new AwsError(
      'MalformedPolicyDocument',
      `The policy failed legacy parsing: ${(error as Error).message}`,
    );
  }
  return text;
}

function putInline(ctx: OperationContext, holder: PolicyHolder, params: Record<string, unknown>) {
  holder.inlinePolicies[named(params, 'PolicyName')] = documentOf(params);
  touch(iamSection(ctx.world), ctx.caller.accountId);
  return {};
}

function getInline(
  holder: PolicyHolder,
  params: Record<string, unknown>,
  owner: string,
  entity: 'user' | 'role',
) {
  const name = named(params, 'PolicyName');
  const document = holder.inlinePolicies[name];
  if (document === undefined)
    throw new AwsError('NoSuchEntity', `The ${entity} policy with name ${name} cannot be found.`, 404);
  return {
    [entity === 'user' ? 'UserName' : 'RoleName']: owner,
    PolicyName: name,
    PolicyDocument: encodeURIComponent(document),
  };
}

function deleteInline(
  ctx: OperationContext,
  holder: PolicyHolder,
  params: Record<string, unknown>,
  entity: 'user' | 'role',
) {
  const name = named(params, 'PolicyName');
  if (holder.inlinePolicies[name] === undefined)
    throw new AwsError('NoSuchEntity', `The ${entity} policy with name ${name} cannot be found.`, 404);
  delete holder.inlinePolicies[name];
  touch(iamSection(ctx.world), ctx.caller.accountId);
  return {};
}

const date = (ms: number) => new Date(ms);

export function createIamService(): ServiceEmulator {
  return {
    signingName: 'iam',
    protocol: 'query',
    xmlNamespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
    operations: {
      CreateUser(params, ctx) {
        const name = named(params, 'UserName', USER_NAME);
        const section = iamSection(ctx.world);
        if (findUser(section, ctx.caller.accountId, name))
          throw new AwsError('EntityAlreadyExists', `User with name ${name} already exists.`, 409);
        const user = putUser(section, {
          accountId: ctx.caller.accountId,
          name,
          ...(typeof params.Path === 'string' ? { path: params.Path } : {}),
          now: ctx.now(),
        });
        return {
          User: {
            UserName: user.name,
            UserId: user.userId,
            Arn: user.arn,
            Path: user.path,
            CreateDate: date(user.createdAt),
          },
        };
      },
      GetUser(params, ctx) {
        const user = userOf(ctx, params);
        return {
          User: {
            UserName: user.name,
            UserId: user.userId,
            Arn: user.arn,
            Path: user.path,
            CreateDate: date(user.createdAt),
          },
        };
      },
      GetRole(params, ctx) {
        const role = roleOf(ctx, params);
        return {
          Role: {
            RoleName: role.name,
            RoleId: role.roleId,
            Arn: role.arn,
            Path: role.path,
            CreateDate: date(role.createdAt),
            AssumeRolePolicyDocument: encodeURIComponent(role.trustPolicy),
            MaxSessionDuration: role.maxSessionDuration,
            ...(role.description !== undefined ? { Description: role.description } : {}),
          },
        };
      },
      PutUserPolicy: (params, ctx) => putInline(ctx, userOf(ctx, params), params),
      GetUserPolicy: (params, ctx) => {
        const user = userOf(ctx, params);
        return getInline(user, params, user.name, 'user');
      },
      DeleteUserPolicy: (params, ctx) => deleteInline(ctx, userOf(ctx, params), params, 'user'),
      ListUserPolicies: (params, ctx) => ({
        PolicyNames: Object.keys(userOf(ctx, params).inlinePolicies).sort(),
        IsTruncated: false,
      }),
      PutRolePolicy: (params, ctx) => putInline(ctx, roleOf(ctx, params), params),
      GetRolePolicy: (params, ctx) => {
        const role = roleOf(ctx, params);
        return getInline(role, params, role.name, 'role');
      },
      DeleteRolePolicy: (params, ctx) => deleteInline(ctx, roleOf(ctx, params), params, 'role'),
      ListRolePolicies: (params, ctx) => ({
        PolicyNames: Object.keys(roleOf(ctx, params).inlinePolicies).sort(),
        IsTruncated: false,
      }),
    },
  };
}

/**
 * The IAM API of the sandbox (query protocol, 2010-05-08; IAM API Reference) on the IAM state every
 * authorization reads (src/sandbox/iam/state.ts), so a policy put here decides the principal's next
 * call: CreateUser, GetUser, GetRole, and the inline policies of users and roles
 * (Put/Get/Delete/ListUserPolicies, Put/Get/Delete/ListRolePolicies), one implementation for both. Documents are returned
 * URL-encoded, as IAM returns them. Policy names are 1-128 `[\w+=,.@-]`; documents must parse.
 */
import { parsePolicy } from '../iam/policy';
import {
  findRole,
  findUser,
  type IamUser,
  iamSection,
  type PolicyHolder,
  putUser,
  touch,
} from '../iam/state';
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

/**
 * The principals that hold inline policies: the parameter that names one and where it is kept.
 * The kind is also the word in AWS's NoSuchEntity messages, which differ per API (IAM API
 * Reference, GetUserPolicy / GetRolePolicy): "The user with name X cannot be found." for a missing
 * user, "The role policy with name X cannot be found." for a missing policy of a role.
 */
const PRINCIPALS = {
  user: { nameField: 'UserName', find: findUser },
  role: { nameField: 'RoleName', find: findRole },
} as const;
type PrincipalKind = keyof typeof PRINCIPALS;
type PrincipalOf<K extends PrincipalKind> = NonNullable<ReturnType<(typeof PRINCIPALS)[K]['find']>>;

/** The user or role the call names, in the caller's account; NoSuchEntity when there is none. */
function principalOf<K extends PrincipalKind>(
  kind: K,
  ctx: OperationContext,
  params: Record<string, unknown>,
): PrincipalOf<K> {
  const { nameField, find } = PRINCIPALS[kind];
  const name = named(params, nameField, USER_NAME);
  const principal = find(iamSection(ctx.world), ctx.caller.accountId, name);
  if (!principal) throw new AwsError('NoSuchEntity', `The ${kind} with name ${name} cannot be found.`, 404);
  return principal as PrincipalOf<K>;
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

/**
 * Put/Get/Delete/List<Kind>Policies for users and roles: one implementation, the principal kind
 * deciding the name parameter, the response's name field and the NoSuchEntity messages.
 */
function inlinePolicyOperations(kind: PrincipalKind): ServiceEmulator['operations'] {
  const Kind = kind === 'user' ? 'User' : 'Role';
  const noSuchPolicy = (name: string) =>
    new AwsError('NoSuchEntity', `The ${kind} policy with name ${name} cannot be found.`, 404);
  return {
    [`Put${Kind}Policy`]: (params, ctx) => {
      const holder: PolicyHolder = principalOf(kind, ctx, params);
      holder.inlinePolicies[named(params, 'PolicyName')] = documentOf(params);
      touch(iamSection(ctx.world), ctx.caller.accountId);
      return {};
    },
    [`Get${Kind}Policy`]: (params, ctx) => {
      const holder = principalOf(kind, ctx, params);
      const name = named(params, 'PolicyName');
      const document = holder.inlinePolicies[name];
      if (document === undefined) throw noSuchPolicy(name);
      return {
        [PRINCIPALS[kind].nameField]: holder.name,
        PolicyName: name,
        PolicyDocument: encodeURIComponent(document),
      };
    },
    [`Delete${Kind}Policy`]: (params, ctx) => {
      const holder: PolicyHolder = principalOf(kind, ctx, params);
      const name = named(params, 'PolicyName');
      if (holder.inlinePolicies[name] === undefined) throw noSuchPolicy(name);
      delete holder.inlinePolicies[name];
      touch(iamSection(ctx.world), ctx.caller.accountId);
      return {};
    },
    [`List${Kind}Policies`]: (params, ctx) => ({
      PolicyNames: Object.keys(principalOf(kind, ctx, params).inlinePolicies).sort(),
      IsTruncated: false,
    }),
  };
}

const date = (ms: number) => new Date(ms);

/** The User element of CreateUser and GetUser. */
function userShape(user: IamUser) {
  return {
    UserName: user.name,
    UserId: user.userId,
    Arn: user.arn,
    Path: user.path,
    CreateDate: date(user.createdAt),
  };
}

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
        return { User: userShape(user) };
      },
      GetUser: (params, ctx) => ({ User: userShape(principalOf('user', ctx, params)) }),
      GetRole(params, ctx) {
        const role = principalOf('role', ctx, params);
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
      ...inlinePolicyOperations('user'),
      ...inlinePolicyOperations('role'),
    },
  };
}

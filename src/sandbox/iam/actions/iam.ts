/**
 * IAM operations -> IAM (Service Authorization Reference for AWS Identity and Access Management):
 * user actions on `arn:aws:iam::A:user/<path><name>`, role actions on the role's ARN.
 */
import { findRole, findUser, iamSection } from '../state';
import type { ActionEnv, ServiceActions } from './types';

function userArn(params: Record<string, unknown>, env: ActionEnv): string {
  const name = String(params.UserName ?? '');
  return (
    findUser(iamSection(env.world), env.caller.accountId, name)?.arn ??
    `arn:aws:iam::${env.caller.accountId}:user/${name}`
  );
}

function roleArn(params: Record<string, unknown>, env: ActionEnv): string {
  const name = String(params.RoleName ?? '');
  return (
    findRole(iamSection(env.world), env.caller.accountId, name)?.arn ??
    `arn:aws:iam::${env.caller.accountId}:role/${name}`
  );
}

const onUser = (action: string) => (params: Record<string, unknown>, env: ActionEnv) => [
  { action, resource: userArn(params, env) },
];
const onRole = (action: string) => (params: Record<string, unknown>, env: ActionEnv) => [
  { action, resource: roleArn(params, env) },
];

export const iamActions: ServiceActions = {
  CreateUser: (params, env) => [
    {
      action: 'iam:CreateUser',
      resource: `arn:aws:iam::${env.caller.accountId}:user${typeof params.Path === 'string' ? params.Path : '/'}${String(params.UserName ?? '')}`,
    },
  ],
  GetUser: onUser('iam:GetUser'),
  GetRole: onRole('iam:GetRole'),
  PutUserPolicy: onUser('iam:PutUserPolicy'),
  GetUserPolicy: onUser('iam:GetUserPolicy'),
  DeleteUserPolicy: onUser('iam:DeleteUserPolicy'),
  ListUserPolicies: onUser('iam:ListUserPolicies'),
  PutRolePolicy: onRole('iam:PutRolePolicy'),
  GetRolePolicy: onRole('iam:GetRolePolicy'),
  DeleteRolePolicy: onRole('iam:DeleteRolePolicy'),
  ListRolePolicies: onRole('iam:ListRolePolicies'),
};

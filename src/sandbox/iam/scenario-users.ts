/**
 * IAM users the scenario gives access keys to (`accessKeys[].userName`): created at open when the
 * account has no such user, with the entry's `policy` as the inline policy `scenario`, so a test can
 * act as a user (one who stops the trail) whose later calls the user's policies decide.
 */
import type { SandboxWorld } from '../types';
import { findUser, iamSection, putUser } from './state';

export function seedScenarioUsers(world: SandboxWorld, now: number): void {
  const section = iamSection(world);
  for (const key of world.scenario.accessKeys ?? []) {
    if (key.userName === undefined || findUser(section, key.accountId, key.userName)) continue;
    putUser(section, {
      accountId: key.accountId,
      name: key.userName,
      ...(key.policy !== undefined ? { inlinePolicies: { scenario: JSON.stringify(key.policy) } } : {}),
      now,
    });
  }
}

/** The ARN of a user of the world (with its path), or the plain form when it does not exist. */
export function userArnOf(world: SandboxWorld, accountId: string, userName: string): string {
  return (
    findUser(iamSection(world), accountId, userName)?.arn ?? `arn:aws:iam::${accountId}:user/${userName}`
  );
}

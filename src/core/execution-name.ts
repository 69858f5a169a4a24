import { createHash } from 'node:crypto';

/**
 * Names of the nested per-target executions (deploy-target, preview-target, drift-target). A
 * person looking for "what happened to account 111122223333 in eu-west-1" finds the execution in
 * the console by its name, so the name leads with the account and region and ends with a short
 * form of the rollout id that keeps names of different rollouts apart (names are unique per state
 * machine for 90 days).
 */

/** Step Functions limit on execution names. */
export const EXECUTION_NAME_MAX_LENGTH = 80;

/** Longest rollout-id suffix kept in a target execution name; longer ids are shortened with a hash. */
export const SHORT_ROLLOUT_ID_MAX_LENGTH = 24;

/**
 * Characters Step Functions refuses in names: whitespace, `{}[]?*"#%\^|~\`$&,;:/` and control
 * characters (U+0000-001F, U+007F-009F).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: Step Functions forbids control characters in names
const FORBIDDEN_NAME_CHARACTERS = /[\s{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/g;

/** Why a name is not a valid execution name, or undefined when it is valid. */
export function executionNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > EXECUTION_NAME_MAX_LENGTH) {
    return `must be between 1 and ${EXECUTION_NAME_MAX_LENGTH} characters (it has ${name.length})`;
  }
  const forbidden = name.match(FORBIDDEN_NAME_CHARACTERS);
  if (forbidden) {
    return `must not contain spaces or any of {}[]?*"#%\\^|~\`$&,;: / (it contains ${JSON.stringify([...new Set(forbidden)].join(''))})`;
  }
  return undefined;
}

/** True when Step Functions accepts the string as an execution name. */
export function isValidExecutionName(name: string): boolean {
  return executionNameProblem(name) === undefined;
}

/** Replaces characters Step Functions refuses in names with `-`. */
export function sanitizeNamePart(value: string): string {
  return value.replace(FORBIDDEN_NAME_CHARACTERS, '-');
}

/**
 * The rollout id as it appears at the end of execution names: unchanged when short enough, otherwise
 * its first characters plus 8 hex digits of its SHA-256, so two long ids with the same prefix still
 * give different names and the same id always gives the same name.
 */
export function shortRolloutId(rolloutId: string, maxLength = SHORT_ROLLOUT_ID_MAX_LENGTH): string {
  const clean = sanitizeNamePart(rolloutId);
  if (clean.length <= maxLength) return clean;
  const hash = createHash('sha256').update(rolloutId).digest('hex').slice(0, 8);
  const keep = Math.max(0, maxLength - hash.length - 1);
  const prefix = clean.slice(0, keep).replace(/-+$/, '');
  return prefix ? `${prefix}-${hash}` : hash;
}

/**
 * `<account>-<region>-<short rollout id>`, e.g. `111122223333-eu-west-1-2026-11-27-baseline`. Always
 * within the 80-character limit: if an unusually long region would overflow it, the rollout part is
 * shortened further (it still carries the hash).
 */
export function targetExecutionName(accountId: string, region: string, rolloutId: string): string {
  const head = `${sanitizeNamePart(accountId)}-${sanitizeNamePart(region)}-`;
  const room = Math.min(SHORT_ROLLOUT_ID_MAX_LENGTH, EXECUTION_NAME_MAX_LENGTH - head.length);
  return `${head}${shortRolloutId(rolloutId, Math.max(8, room))}`.slice(0, EXECUTION_NAME_MAX_LENGTH);
}

/**
 * A stack's execution in the stacks form: `<account>-<region>-<part>-<short rollout id>`, where the
 * part is the stack's name (or `lane<n>` for the execution that walks a lane of the target's
 * stacks), so the console lists a target's executions together. Within 80 characters: stack names
 * are at most 24 (src/core/rollout-stacks.ts), and the rollout part shrinks (keeping its hash).
 */
export function stackExecutionName(
  accountId: string,
  region: string,
  part: string,
  rolloutId: string,
): string {
  const head = `${sanitizeNamePart(accountId)}-${sanitizeNamePart(region)}-${sanitizeNamePart(part)}-`;
  const room = Math.min(SHORT_ROLLOUT_ID_MAX_LENGTH, EXECUTION_NAME_MAX_LENGTH - head.length);
  return `${head}${shortRolloutId(rolloutId, Math.max(8, room))}`.slice(0, EXECUTION_NAME_MAX_LENGTH);
}

/** The execution that walks lane `index` (0-based) of a target's stacks. */
export function laneExecutionName(
  accountId: string,
  region: string,
  index: number,
  rolloutId: string,
): string {
  return stackExecutionName(accountId, region, `lane${index + 1}`, rolloutId);
}

/**
 * How an API operation maps to the IAM permissions it needs: the Service Authorization Reference's
 * action(s), the resource ARN(s) and the service-specific condition keys, per operation.
 */
import type { Caller, SandboxWorld } from '../../types';
import type { AuthorizationSpec } from '../authorize';

export interface ActionEnv {
  world: SandboxWorld;
  caller: Caller;
  region: string;
}

/**
 * The permissions an operation needs, or `'self'` for operations that authorize inside the
 * operation because the check needs what the operation finds (AssumeRole and its trust policy).
 */
export type ActionMapping = (params: Record<string, unknown>, env: ActionEnv) => AuthorizationSpec[] | 'self';

export type ServiceActions = Record<string, ActionMapping>;

/** One spec on `*` per action (actions the reference lists without a resource type). */
export function anyResource(...actions: string[]): AuthorizationSpec[] {
  return actions.map((action) => ({ action, resource: '*' }));
}

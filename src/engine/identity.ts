/**
 * Who the local engine acts as. On AWS, Step Functions makes a state machine's calls (invoking
 * Lambda, starting child executions, reading ItemReader objects, publishing to SNS) with the state
 * machine's role, and Lambda runs each function with its execution role. An engine given an
 * identity does the same: each call is authorized for the state machine's role and each function
 * runs with its own role's credentials. Without one (the engine on its own) it acts with the
 * ambient credentials. `--local-engine` against AWS gives it src/engine/remote-identity.ts: its own
 * calls are made with the SDK's credentials (AWS checks each), and each function is the deployed
 * one, invoked through Lambda so that it runs as its own role.
 */
import type { AwsCredentialIdentity } from '@smithy/types';
import type { LambdaHandler } from './lambda-binding';
import type { StoredStateMachine } from './types';

/** What a deployed function is, for the engine to run it. */
export interface DeployedFunction {
  handler: LambdaHandler;
  /**
   * The execution role's session credentials (Lambda assumed the role), which the handler runs
   * with; absent when the handler runs the function elsewhere (invokes it through Lambda).
   */
  credentials?: AwsCredentialIdentity;
  /** Names the identity in per-function caches. */
  owner: string;
  /** The function's environment (AWS_REGION and its own variables). */
  environment: Record<string, string>;
}

/** A refusal in the shape the engine reports it: the error name of the integration and AWS's message. */
export interface IdentityDenial {
  error: string;
  cause: string;
}

export interface EngineIdentity {
  /**
   * Credentials of the state machine's role, as Step Functions assumes it for an execution; a
   * role that does not trust states.amazonaws.com yields a denial; undefined: the SDK's own.
   */
  stateMachineCredentials(
    stateMachine: StoredStateMachine,
    executionArn: string,
  ): AwsCredentialIdentity | IdentityDenial | undefined;
  /** Whether the state machine's role may take `action` on `resource`; undefined when allowed. */
  authorize(
    stateMachine: StoredStateMachine,
    executionArn: string,
    action: string,
    resource: string,
  ): IdentityDenial | undefined;
  /** The deployed function behind an ARN (Lambda's ResourceNotFound when there is none). */
  deployedFunction(functionArn: string): DeployedFunction | IdentityDenial;
}

export function isDenial(value: unknown): value is IdentityDenial {
  return typeof value === 'object' && value !== null && 'error' in value && 'cause' in value;
}

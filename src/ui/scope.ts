/**
 * Which executions the UI's API may read: those of stackfleet's own state machines, the rollout
 * machine and the per-target machines its definition starts (one per mode, and the stacks form's
 * lane walker, walk-lane, listed under `graph`). The server holds
 * credentials that can usually read every workflow of the account; without this, a page (or
 * anything on loopback) could ask for another workload's execution and read its input.
 */
import { DescribeStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { TargetModes } from '../core/target-input';
import { findTargetStateMachine } from './definitions';
import { ForeignExecutionError, UiRequestError } from './errors';

const EXECUTION_ARN = /^(arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}):execution:([^:\s]+):([^:\s]+)$/;

/**
 * The state machine ARN an execution ARN belongs to, from the ARN alone (no call reads the
 * execution first). The Service Authorization Reference for Step Functions defines the resource
 * types as `arn:${Partition}:states:${Region}:${Account}:execution:${StateMachineName}:${ExecutionId}`
 * and `...:stateMachine:${StateMachineName}`; a Distributed Map child
 * (`execution:${StateMachineName}/${MapRunLabel}:${ExecutionId}`) and an Express execution
 * (`:express:`) do not match, so they are never taken for one of ours.
 */
export function stateMachineOfExecution(executionArn: string): string | undefined {
  const m = EXECUTION_ARN.exec(executionArn);
  if (!m || m[2]!.includes('/')) return undefined;
  return `${m[1]}:stateMachine:${m[2]}`;
}

/** The state machines whose executions the UI serves. */
export interface ExecutionScopeOptions {
  /** The rollout state machine (the admin stack's `RolloutStateMachineArn` output). */
  rolloutStateMachineArn: string;
  /**
   * The per-target machines (the admin stack's `*TargetStateMachineArn` outputs and its
   * `WalkLaneStateMachineArn`). When absent they
   * are read from the rollout machine's definition (the machines its Validate step may pick).
   */
  targetStateMachineArns?: readonly string[];
  /** The tamper response machine (the admin stack's `RespondToTamperingStateMachineArn` output), also one of ours. */
  responseStateMachineArn?: string;
}

/** Refuses execution ARNs of other state machines with a message that says whose they are. */
export class ExecutionScope {
  readonly rolloutStateMachineArn: string;
  readonly responseStateMachineArn: string | undefined;
  private targets: Promise<Set<string>>;

  constructor(
    private readonly sfn: SFNClient,
    options: ExecutionScopeOptions,
  ) {
    this.rolloutStateMachineArn = options.rolloutStateMachineArn;
    this.responseStateMachineArn = options.responseStateMachineArn;
    this.targets = options.targetStateMachineArns
      ? Promise.resolve(new Set(options.targetStateMachineArns))
      : this.readTargetsFromDefinition();
    this.targets.catch(() => {
      // Retried on the next request (a throttled DescribeStateMachine must not disable the UI).
      this.targets = this.readTargetsFromDefinition();
      this.targets.catch(() => undefined);
    });
  }

  private async readTargetsFromDefinition(): Promise<Set<string>> {
    const d = await this.sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: this.rolloutStateMachineArn }),
    );
    const found = new Set<string>();
    // `graph`: the lane walker the stacks form fans out (statemachines/rollout.asl.json's Validate input).
    for (const mode of [...TargetModes, 'graph']) {
      const target = findTargetStateMachine(d.definition ?? '{}', mode);
      if (target) found.add(target.stateMachineArn);
    }
    return found;
  }

  /** The per-target state machines served (for tests and the server's error messages). */
  targetStateMachineArns(): Promise<Set<string>> {
    return this.targets;
  }

  /** `value` when it is an execution of the rollout state machine; refuses it otherwise. */
  requireRollout(field: string, value: string | null): string {
    const arn = requireExecutionArn(field, value);
    const machine = stateMachineOfExecution(arn);
    if (machine !== this.rolloutStateMachineArn) {
      throw new ForeignExecutionError(
        field,
        `Query parameter ${field} must be an execution of stackfleet's rollout state machine ${this.rolloutStateMachineArn}; this UI serves no other workflow. Received: ${arn}${machine ? ` (an execution of ${machine})` : ''}`,
      );
    }
    return arn;
  }

  /** The response machine, or a refusal that says how to configure it. */
  requireResponseMachine(): string {
    if (this.responseStateMachineArn) return this.responseStateMachineArn;
    throw new ForeignExecutionError(
      'responseStateMachineArn',
      'This UI was started without the tamper response state machine (the admin stack output RespondToTamperingStateMachineArn). Received: none',
    );
  }

  /** `value` when it is an execution of the tamper response machine; refuses it otherwise. */
  requireResponse(field: string, value: string | null): string {
    const arn = requireExecutionArn(field, value);
    const machine = stateMachineOfExecution(arn);
    if (machine !== this.requireResponseMachine()) {
      throw new ForeignExecutionError(
        field,
        `Query parameter ${field} must be an execution of stackfleet's tamper response state machine ${this.responseStateMachineArn}; this UI serves no other workflow. Received: ${arn}${machine ? ` (an execution of ${machine})` : ''}`,
      );
    }
    return arn;
  }

  /** `value` when it is an execution of a per-target state machine; refuses it otherwise. */
  async requireTarget(field: string, value: string | null): Promise<string> {
    const arn = requireExecutionArn(field, value);
    const machine = stateMachineOfExecution(arn);
    const targets = await this.targets;
    if (!machine || !targets.has(machine)) {
      throw new ForeignExecutionError(
        field,
        `Query parameter ${field} must be an execution of one of stackfleet's per-target state machines (${[...targets].join(', ') || 'none found'}); this UI serves no other workflow. Received: ${arn}${machine ? ` (an execution of ${machine})` : ''}`,
      );
    }
    return arn;
  }
}

function requireExecutionArn(field: string, value: string | null): string {
  if (!value || !EXECUTION_ARN.test(value)) {
    throw new UiRequestError(
      field,
      `Query parameter ${field} must be a Step Functions execution ARN. Received: ${value ?? '(none)'}`,
    );
  }
  return value;
}

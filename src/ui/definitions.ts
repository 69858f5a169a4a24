/**
 * The two graphs of a rollout's page: its own state machine and the per-target machine of its
 * mode, read from the rollout definition (which names the per-target machines it may start).
 */
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { aslToGraph } from './asl-graph';
import { type LaidOutGraph, layoutGraph } from './layout';
import { LruMap } from './lru';
import type { DefinitionsWire } from './wire';

/** The state machine a rollout's targets run as, and the name its graph is drawn under. */
export interface TargetStateMachine {
  stateMachineArn: string;
  /** `deploy-target`, `preview-target` or `drift-target`. */
  machine: string;
}

/**
 * The per-target state machine a rollout's children ran, read from the rollout definition. The
 * rollout picks it by mode at run time (`StateMachineArn.$`) from the `targetStateMachines` it
 * passes to Validate input, so the rollout's `mode` (from its input) selects the entry. A
 * definition whose Task names one machine in `Parameters.StateMachineArn` (rollouts started
 * before the per-mode machines) runs every mode in that one.
 */
export function findTargetStateMachine(
  rolloutDefinition: string,
  mode: string | undefined,
): TargetStateMachine | undefined {
  let fixed: string | undefined;
  let byMode: Record<string, unknown> | undefined;
  const visit = (value: unknown) => {
    if (fixed || !value || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (typeof record.Resource === 'string' && record.Resource.includes(':states:startExecution')) {
      const params = (record.Parameters ?? record.Arguments) as Record<string, unknown> | undefined;
      const arn = params?.StateMachineArn;
      if (typeof arn === 'string' && arn.startsWith('arn:')) {
        fixed = arn;
        return;
      }
    }
    const machines = record.targetStateMachines;
    if (!byMode && machines && typeof machines === 'object') byMode = machines as Record<string, unknown>;
    for (const v of Object.values(record)) visit(v);
  };
  try {
    visit(JSON.parse(rolloutDefinition));
  } catch {
    return undefined;
  }
  if (fixed) return { stateMachineArn: fixed, machine: 'deploy-target' };
  const chosen = mode === undefined ? undefined : byMode?.[mode];
  if (typeof chosen === 'string' && chosen.startsWith('arn:'))
    return { stateMachineArn: chosen, machine: `${mode}-target` };
  return undefined;
}

/** The `mode` of a rollout execution's input; undefined when the input has none (it was refused). */
export function rolloutModeOf(input: string | undefined): string | undefined {
  try {
    const mode = (JSON.parse(input ?? '{}') as { mode?: unknown }).mode;
    return typeof mode === 'string' ? mode : undefined;
  } catch {
    return undefined;
  }
}

/** Caches laid-out graphs per state machine: definitions do not change under a running page. */
export class DefinitionCache {
  private readonly graphs = new Map<string, Promise<{ graph: LaidOutGraph; definition: string }>>();
  /** Mode of each rollout execution read so far (an execution's input never changes). */
  private readonly modes = new LruMap<string, string | undefined>(500);

  constructor(private readonly sfn: SFNClient) {}

  /** Layout of a state machine's definition (by ARN). */
  graph(stateMachineArn: string, machine: string): Promise<{ graph: LaidOutGraph; definition: string }> {
    let entry = this.graphs.get(stateMachineArn);
    if (!entry) {
      entry = (async () => {
        const d = await this.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
        const definition = d.definition ?? '{}';
        return { graph: await layoutGraph(aslToGraph(definition, machine)), definition };
      })();
      entry.catch(() => this.graphs.delete(stateMachineArn));
      this.graphs.set(stateMachineArn, entry);
    }
    return entry;
  }

  /**
   * Both graphs of a rollout: its own machine and the per-target machine of its mode (the one
   * its children run). `execution` (DescribeExecution of the rollout) saves a call when known.
   */
  async forRollout(
    rolloutExecutionArn: string,
    execution?: { input?: string },
  ): Promise<DefinitionsWire & { targetStateMachineArn?: string }> {
    const d = await this.sfn.send(
      new DescribeStateMachineForExecutionCommand({ executionArn: rolloutExecutionArn }),
    );
    const rolloutArn = d.stateMachineArn ?? '';
    const definition = d.definition ?? '{}';
    let rollout = this.graphs.get(rolloutArn);
    if (!rollout) {
      rollout = layoutGraph(aslToGraph(definition, 'rollout')).then((graph) => ({ graph, definition }));
      this.graphs.set(rolloutArn, rollout);
    }
    const out: DefinitionsWire & { targetStateMachineArn?: string } = { rollout: (await rollout).graph };
    let target = findTargetStateMachine(definition, undefined);
    if (!target) {
      if (!this.modes.has(rolloutExecutionArn)) {
        const input =
          execution?.input ??
          (await this.sfn.send(new DescribeExecutionCommand({ executionArn: rolloutExecutionArn }))).input;
        this.modes.set(rolloutExecutionArn, rolloutModeOf(input));
      }
      target = findTargetStateMachine(definition, this.modes.get(rolloutExecutionArn));
    }
    if (target) {
      out.target = (await this.graph(target.stateMachineArn, target.machine)).graph;
      out.targetStateMachineArn = target.stateMachineArn;
    }
    return out;
  }
}

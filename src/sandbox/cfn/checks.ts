/**
 * Plan-time checks: when an operation's schedule is computed, each resource's handler calls are
 * authorized for the acting principal (the service role session, or the caller's forward access
 * session) and the service's own rules are applied, against the world as it is plus the stack's
 * resources that complete before the resource starts. A refusal makes the resource fail at its
 * time with the reason CloudFormation shows:
 *   Resource handler returned message: "<service message> (Service: <S>, Status Code: <n>,
 *   Request ID: <id>)" (RequestToken: <token>, HandlerErrorCode: <code>)
 * (the shape of CloudFormation's resource events, e.g. aws/aws-cdk#27168).
 */
import { decide, iamEnforced } from '../iam/authorize';
import { denialMessage } from '../iam/messages';
import type { Acting } from './iam-env';
import { containsUnresolved, type EvalContext, resolveValue } from './intrinsics';
import { type CompletedResource, planView } from './plan-view';
import type { HandlerFailure, HandlerPhase, ResourceProvider, ResourceRef } from './providers/index';
import { providerFor } from './providers/index';
import { stableUuid } from './resource-types';
import type { TemplateValue } from './template';

/** What a wave asks of a resource action before it runs: undefined, or the failure reason. */
export type WaveCheck = (
  item: { logicalId: string; type: string; physicalId?: string },
  startAt: number,
  completedBefore: string[],
) => string | undefined;

/** One resource's inputs for the checks. */
export interface CheckedResource {
  type: string;
  physicalId?: string;
  rawProperties: Record<string, unknown>;
  /** Properties of the deployed configuration (updates). */
  previous?: Record<string, unknown>;
  phase: HandlerPhase;
  metadataPath?: string;
}

export interface CheckInput {
  actor: Acting;
  accountId: string;
  region: string;
  stackId: string;
  stackName: string;
  /** Resolves a resource's properties (physical ids of the operation known). */
  ctx: EvalContext;
  resources: Record<string, CheckedResource>;
  /** Seed of request ids and tokens (the operation id). */
  seed: string;
}

function handlerReason(failure: HandlerFailure, seed: string, logicalId: string): string {
  const requestId = stableUuid(`${seed}/${logicalId}/request`);
  const token = stableUuid(`${seed}/${logicalId}/token`);
  return `Resource handler returned message: "${failure.prefix ?? ''}${failure.message} (Service: ${failure.service}, Status Code: ${failure.status}, Request ID: ${requestId})" (RequestToken: ${token}, HandlerErrorCode: ${failure.handlerErrorCode})`;
}

/** The check of a wave, or undefined when nothing in it has a provider. */
export function resourceChecks(
  world: import('../types').SandboxWorld,
  input: CheckInput,
): WaveCheck | undefined {
  // With IAM off (scenario `iam.enforce: false`, the benchmark's comparison run) nothing is checked:
  // every service rule here is itself a policy evaluation.
  if (!iamEnforced(world)) return undefined;
  const wanted = Object.entries(input.resources).filter(([, r]) => providerFor(r.type) !== undefined);
  if (wanted.length === 0) return undefined;
  const resolved = new Map<string, Record<string, unknown>>();
  const propsOf = (logicalId: string): Record<string, unknown> => {
    const known = resolved.get(logicalId);
    if (known) return known;
    const r = input.resources[logicalId];
    let value: Record<string, unknown> = {};
    if (r) {
      try {
        value = (resolveValue(r.rawProperties as TemplateValue, input.ctx) ?? {}) as Record<string, unknown>;
      } catch {
        value = {};
      }
    }
    resolved.set(logicalId, value);
    return value;
  };
  return (item, startAt, completedBefore) => {
    const resource = input.resources[item.logicalId];
    const provider: ResourceProvider | undefined = providerFor(item.type);
    if (!resource || !provider || item.physicalId === undefined) return undefined;
    const needsProps = resource.phase !== 'delete' || provider.deleteNeedsProperties === true;
    const props = needsProps ? propsOf(item.logicalId) : {};
    // A value the sandbox cannot know yet (an attribute of a resource it does not model) skips the check.
    if (needsProps && containsUnresolved(props)) return undefined;
    const ref: ResourceRef = {
      world,
      accountId: input.accountId,
      region: input.region,
      stackId: input.stackId,
      stackName: input.stackName,
      logicalId: item.logicalId,
      physicalId: item.physicalId,
      now: startAt,
      ...(resource.metadataPath ? { metadataPath: resource.metadataPath } : {}),
    };
    const completed: CompletedResource[] = [];
    for (const id of completedBefore) {
      const r = input.resources[id];
      if (!r?.physicalId) continue;
      completed.push({ logicalId: id, type: r.type, physicalId: r.physicalId, props: propsOf(id) });
    }
    const view = planView(world, input.accountId, input.region, completed);
    const specs = provider.calls?.(resource.phase, props, ref, resource.previous, view) ?? [];
    for (const spec of specs) {
      const { decision, request } = decide(world, input.actor.who, spec, {
        ...input.actor.facts,
        now: startAt,
      });
      if (decision.effect !== 'Allow') {
        return handlerReason(
          {
            message: denialMessage(request, decision) ?? 'Access Denied',
            service: provider.service,
            status: provider.deniedStatus,
            handlerErrorCode: 'AccessDenied',
          },
          input.seed,
          item.logicalId,
        );
      }
    }
    const failure = provider.rules?.(resource.phase, props, ref, view, input.actor);
    return failure ? handlerReason(failure, input.seed, item.logicalId) : undefined;
  };
}

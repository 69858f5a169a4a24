import type { AwsCredentialIdentity } from '@smithy/types';
import type { TargetInput } from '../core/target-input';
import { readTemplateResources, type TemplateResource } from '../core/wait-policy';
import { readPinnedTemplate } from './target-cfn';

/**
 * The resources a create of the pinned template makes in one target, for the wait policy (Deploy
 * stack's prior, Check stack's projection). The URL pins an S3 version, so a body never changes:
 * it is read once per warm function and version, and the resource graph once per target context.
 * Only an estimate rests on this; when the template cannot be read, the policy goes by the events.
 */

const bodies = new Map<string, Promise<string | undefined>>();
const graphs = new Map<string, Record<string, TemplateResource> | undefined>();
/** Graphs kept (one per account x region x parameters); a rollout's checks revisit recent targets. */
const GRAPHS_KEPT = 4096;

/** Forgets cached template bodies and graphs (tests; a cold start). */
export function clearTemplateCache(): void {
  bodies.clear();
  graphs.clear();
}

function body(input: TargetInput, credentials: AwsCredentialIdentity): Promise<string | undefined> {
  let text = bodies.get(input.templateUrl);
  if (!text) {
    text = readPinnedTemplate(input, credentials).then((read) => {
      if (read === undefined) {
        bodies.delete(input.templateUrl);
        console.warn(`Could not read ${input.templateUrl} to estimate the stack's create time`);
      }
      return read;
    });
    bodies.set(input.templateUrl, text);
  }
  return text;
}

/** The create's resources and what each waits for, or undefined when the template cannot be read. */
export async function pinnedTemplateResources(
  input: TargetInput,
  credentials: AwsCredentialIdentity,
): Promise<Record<string, TemplateResource> | undefined> {
  const key = `${input.templateUrl}\n${input.accountId}\n${input.region}\n${JSON.stringify(input.parameters)}`;
  if (graphs.has(key)) return graphs.get(key);
  const text = await body(input, credentials);
  if (text === undefined) return undefined;
  let graph: Record<string, TemplateResource> | undefined;
  try {
    graph = readTemplateResources(text, {
      region: input.region,
      accountId: input.accountId,
      parameters: input.parameters,
    });
  } catch (error) {
    console.warn(`Could not read the resources of ${input.templateUrl}: ${String(error)}`);
    graph = undefined;
  }
  if (graphs.size >= GRAPHS_KEPT) {
    const oldest = graphs.keys().next().value;
    if (oldest !== undefined) graphs.delete(oldest);
  }
  graphs.set(key, graph);
  return graph;
}

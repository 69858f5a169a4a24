import type { GetTemplateSummaryCommandOutput } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import {
  type CheckedTargets,
  checkTargets,
  checkTemplateFits,
  summarizeTemplate,
  throwIssues,
} from '../aws/rollout-checks';
import { InvalidInputError } from '../core/errors';
import { type FanOut, fanOutFor, needsPerAccountRegions, rolloutKeys } from '../core/plan';
import {
  isStackGraph,
  type RolloutInput,
  type RolloutMode,
  type TemplateLocation,
} from '../core/rollout-input';
import {
  MAX_TEMPLATE_BODY_BYTES,
  outputIssues,
  type TargetParameters,
  templateUrl,
} from '../core/template-checks';
import { templateOutputKeys } from '../core/wait-policy';
import type { AdminResources, Backend } from './backend';
import {
  buildRolloutInput,
  fieldOrigin,
  isStacksConfig,
  type LoadedConfig,
  type TemplateSource,
} from './config';
import { UsageError } from './exit-codes';
import { describeGraph, describeResolution, describeSelection } from './selection';

/**
 * Everything that can be checked before an execution starts, checked before anything is
 * published or started (README: "Bad input ... nothing was started"): the rollout id is new, the
 * template exists and CloudFormation accepts it, the request fits it (parameters, capabilities),
 * and the targets resolve against the organisation exactly as "Plan targets" will resolve them.
 * Every refusal is a UsageError (exit 2) naming the field, the flag that set it, and the value.
 */

export interface PreflightResult {
  /** The request, its template still a placeholder when a local file is published after this. */
  input: RolloutInput;
  checked: CheckedTargets;
  fanOut: FanOut;
  /** Each template's facts (request order), when CloudFormation could be asked before publishing. */
  summaries: Array<GetTemplateSummaryCommandOutput | undefined>;
  /** "Targets: ..." and "Resolved: ..." for stderr. */
  lines: string[];
}

/** An InvalidInput from a check, as the user sees it: the field, the flag that set it, exit 2. */
export function asUsageError(error: unknown, config: Pick<LoadedConfig, 'flagged'>): unknown {
  if (!(error instanceof InvalidInputError)) return error;
  const flag = fieldOrigin(config, error.field);
  return new UsageError(`${error.message}${flag ? ` (from ${flag})` : ''}`, { cause: error });
}

function errorName(error: unknown): string {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.$metadata?.httpStatusCode === 404 ? 'NotFound' : (e?.name ?? '');
}

/** Refuses a rollout id an execution or an earlier rollout's records already use. */
async function checkRolloutIdIsNew(
  backend: Backend,
  admin: AdminResources,
  rolloutId: string,
): Promise<void> {
  const arn = `${admin.rolloutStateMachineArn.replace(':stateMachine:', ':execution:')}:${rolloutId}`;
  try {
    const found = await backend.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    throw new UsageError(
      `--rollout-id must be new for each rollout: ${rolloutId} is execution ${arn} (${found.status}, started ${found.startDate?.toISOString() ?? '?'}); execution names stay taken for 90 days. Received: ${rolloutId}`,
    );
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (errorName(error) !== 'ExecutionDoesNotExist') throw error;
  }
  const claim = rolloutKeys(rolloutId).executionKey;
  try {
    await backend.s3.send(new HeadObjectCommand({ Bucket: admin.artifactBucket, Key: claim }));
  } catch (error) {
    if (['NotFound', 'NoSuchKey'].includes(errorName(error))) return;
    throw error;
  }
  throw new UsageError(
    `--rollout-id must be new for each rollout: ${rolloutId} was used by an earlier execution (s3://${admin.artifactBucket}/${claim}). Received: ${rolloutId}`,
  );
}

/** One template of the request: the one-template form's, or a stack's (`field` is `stacks[i].template`). */
export interface TemplateEntry {
  field: string;
  source: TemplateSource;
  /** A local file's bytes (read, size-bounded). */
  body?: Buffer;
}

/** The templates of a config, in request order, with the field each is refused under. */
export function templateEntries(
  config: LoadedConfig,
  bodies: readonly (Buffer | undefined)[] = [],
): TemplateEntry[] {
  const sources = isStacksConfig(config) ? config.stackTemplates : [config.template];
  return sources.map((source, i) => ({
    field: isStacksConfig(config) ? `stacks[${i}].template` : (fieldOrigin(config, 'template') ?? 'template'),
    source,
    ...(bodies[i] ? { body: bodies[i] } : {}),
  }));
}

/** Checks an s3:// template exists (and is versioned) and returns the URL CloudFormation reads. */
async function s3TemplateUrl(
  backend: Backend,
  source: Extract<TemplateSource, { kind: 's3' }>,
  field: string,
): Promise<string> {
  const { bucket, key, versionId } = source;
  const where = `s3://${bucket}/${key}${versionId ? `?versionId=${versionId}` : ''}`;
  let head: { VersionId?: string };
  try {
    head = await backend.s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
    );
  } catch (error) {
    const name = errorName(error);
    if (['NotFound', 'NoSuchKey', 'NoSuchBucket', 'NoSuchVersion'].includes(name)) {
      throw new UsageError(
        `${field} must name an existing template object; ${where} was not found. Received: ${where}`,
      );
    }
    if (
      ['Forbidden', 'AccessDenied'].includes(name) ||
      (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403
    ) {
      throw new UsageError(
        `${field} must be readable by the admin account; reading ${where} was denied. Received: ${where}`,
      );
    }
    throw error;
  }
  const pinned = versionId ?? (head.VersionId && head.VersionId !== 'null' ? head.VersionId : undefined);
  if (!pinned) {
    throw new UsageError(
      `${field} must be in a bucket with versioning enabled, so every target deploys the same version; ${where} has no version id. Received: ${where}`,
    );
  }
  return templateUrl(bucket, key, backend.region, pinned);
}

/** A template as the checks need it: where it is (a placeholder until published), its summary and Outputs when known. */
interface CheckedTemplate {
  location: TemplateLocation;
  summary?: GetTemplateSummaryCommandOutput;
  outputs?: string[];
}

async function checkTemplateEntry(backend: Backend, admin: AdminResources, entry: TemplateEntry) {
  const out: CheckedTemplate = {
    location: { bucket: admin.artifactBucket, key: 'templates/preflight.yaml' },
  };
  if (entry.source.kind === 's3') {
    const url = await s3TemplateUrl(backend, entry.source, entry.field);
    out.summary = await summarizeTemplate(backend.cloudFormation, { TemplateURL: url }, entry.field, url);
    const { kind: _kind, ...s3 } = entry.source;
    out.location = s3;
    try {
      const object = await backend.s3.send(
        new GetObjectCommand({
          Bucket: s3.bucket,
          Key: s3.key,
          ...(s3.versionId ? { VersionId: s3.versionId } : {}),
        }),
      );
      const text = await object.Body?.transformToString('utf8');
      if (text !== undefined) out.outputs = templateOutputKeys(text);
    } catch {
      // Outputs are checked again by "Validate input", which reads the object as the admin functions.
    }
  } else if (entry.body) {
    if (entry.body.length <= MAX_TEMPLATE_BODY_BYTES) {
      out.summary = await summarizeTemplate(
        backend.cloudFormation,
        { TemplateBody: entry.body.toString('utf8') },
        entry.field,
        entry.source.path,
      );
    }
    try {
      out.outputs = templateOutputKeys(entry.body.toString('utf8'));
    } catch {
      // CloudFormation's own check (ValidateTemplate) reports a template it cannot read.
    }
  }
  return out;
}

/** Each stack's targets with the parameters it gets there (the stacks form), for the required-parameter check. */
function stackTargets(fanOut: FanOut, stack: string): TargetParameters[] {
  const lanes = [...(fanOut.lanes?.canaries ?? []), ...(fanOut.lanes?.targets ?? [])].flat();
  return lanes.flatMap((l) =>
    l.lane.stacks
      .filter((s) => s.name === stack)
      .map((s) => ({ accountId: l.accountId, region: l.region, parameters: s.parameters })),
  );
}

/** Every template against the request: parameters, capabilities, and (the stacks form) the outputs fromStack reads. */
function checkTemplatesFit(input: RolloutInput, templates: readonly CheckedTemplate[], fanOut: FanOut): void {
  if (!isStackGraph(input)) {
    const summary = templates[0]?.summary;
    if (summary) checkTemplateFits(summary, input, [...fanOut.canaries, ...fanOut.targets]);
    return;
  }
  input.stacks.forEach((stack, i) => {
    const summary = templates[i]?.summary;
    if (summary) checkTemplateFits(summary, stack, stackTargets(fanOut, stack.name), `stacks[${i}].`);
  });
  throwIssues(
    outputIssues(input.stacks, (name) => templates[input.stacks.findIndex((s) => s.name === name)]?.outputs),
  );
}

/**
 * Runs every check (inside `backend.run`). `bodies` are the local templates' bytes (already read,
 * size-bounded), one per template entry; templates over CloudFormation's TemplateBody limit are
 * asked about after publishing (see `checkPublishedTemplate`).
 */
export async function preflight(
  backend: Backend,
  admin: AdminResources,
  config: LoadedConfig,
  mode: RolloutMode,
  rolloutId: string,
  bodies: readonly (Buffer | undefined)[],
): Promise<PreflightResult> {
  try {
    await checkRolloutIdIsNew(backend, admin, rolloutId);
    const templates: CheckedTemplate[] = [];
    for (const entry of templateEntries(config, bodies))
      templates.push(await checkTemplateEntry(backend, admin, entry));
    const input = buildRolloutInput(
      config,
      mode,
      rolloutId,
      templates.map((t) => t.location),
    );
    // Each account's enabled regions are read as its execution role. The sandbox's CLI acts as
    // the admin functions do; on AWS the operator is not trusted by the execution roles (and
    // AccessDenied in every account's CloudTrail would alarm someone), so Plan targets reads them.
    const perAccount = backend.kind === 'sandbox';
    const checked = await checkTargets(input, { region: backend.region, perAccount });
    const fanOut = fanOutFor(input, checked.plan);
    const targets = [...fanOut.canaries, ...fanOut.targets];
    if (targets.length === 0) {
      throw new UsageError(
        `targets reach no account x region of the organisation (${checked.plan.skipped.length} skipped), so nothing would be deployed. Received: ${describeSelection(input.targets, config.flagged).slice('Targets: '.length)}`,
      );
    }
    checkTemplatesFit(input, templates, fanOut);
    const lines = [
      describeSelection(input.targets, config.flagged),
      ...describeResolution(checked.accounts, checked.plan, fanOut, checked.regions.unreachableAccounts),
      ...(isStackGraph(input) ? describeGraph(input, fanOut) : []),
    ];
    if (!perAccount && needsPerAccountRegions(input.targets, checked.regions)) {
      lines.push(
        '  note: opt-in regions are in play and each account\'s enabled regions are read by "Plan targets"; targets in a region an account has not enabled will be SKIPPED',
      );
    }
    const summaries = templates.map((t) => t.summary);
    return { input, checked, fanOut, summaries, lines };
  } catch (error) {
    throw asUsageError(error, config);
  }
}

/** A template too large to send inline, asked about once published (by the URL a rollout pins). */
export async function checkPublishedTemplate(
  backend: Backend,
  config: LoadedConfig,
  result: PreflightResult,
  index: number,
  url: string,
): Promise<void> {
  if (result.summaries[index]) return;
  try {
    const entry = templateEntries(config)[index] as TemplateEntry;
    const summary = await summarizeTemplate(backend.cloudFormation, { TemplateURL: url }, entry.field, url);
    const { input, fanOut } = result;
    if (!isStackGraph(input)) checkTemplateFits(summary, input, [...fanOut.canaries, ...fanOut.targets]);
    else {
      const stack = input.stacks[index];
      if (stack) checkTemplateFits(summary, stack, stackTargets(fanOut, stack.name), `stacks[${index}].`);
    }
  } catch (error) {
    throw asUsageError(error, config);
  }
}

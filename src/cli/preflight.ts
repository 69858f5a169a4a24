import type { GetTemplateSummaryCommandOutput } from '@aws-sdk/client-cloudformation';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import {
  type CheckedTargets,
  checkTargets,
  checkTemplateFits,
  summarizeTemplate,
} from '../aws/rollout-checks';
import { InvalidInputError } from '../core/errors';
import { type FanOut, fanOutFor, needsPerAccountRegions, rolloutKeys } from '../core/plan';
import type { RolloutInput, RolloutMode } from '../core/rollout-input';
import { MAX_TEMPLATE_BODY_BYTES, templateUrl } from '../core/template-checks';
import type { AdminResources, Backend } from './backend';
import { buildRolloutInput, fieldOrigin, type LoadedConfig } from './config';
import { UsageError } from './exit-codes';
import { describeResolution, describeSelection } from './selection';

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
  /** The template's facts, when CloudFormation could be asked before publishing. */
  summary?: GetTemplateSummaryCommandOutput;
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

/** Checks an s3:// template exists (and is versioned) and returns the URL CloudFormation reads. */
async function s3TemplateUrl(backend: Backend, config: LoadedConfig): Promise<string> {
  if (config.template.kind !== 's3') throw new Error('s3TemplateUrl needs an s3:// template');
  const { bucket, key, versionId } = config.template;
  const field = fieldOrigin(config, 'template') ?? 'template';
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

/**
 * Runs every check (inside `backend.run`). `body` is the local template's bytes (already read,
 * size-bounded); templates over CloudFormation's TemplateBody limit are asked about after
 * publishing (see `checkPublishedTemplate`).
 */
export async function preflight(
  backend: Backend,
  admin: AdminResources,
  config: LoadedConfig,
  mode: RolloutMode,
  rolloutId: string,
  body: Buffer | undefined,
): Promise<PreflightResult> {
  try {
    await checkRolloutIdIsNew(backend, admin, rolloutId);
    const templateField = fieldOrigin(config, 'template') ?? 'template';
    let summary: GetTemplateSummaryCommandOutput | undefined;
    let location = {
      bucket: admin.artifactBucket,
      key: 'templates/preflight.yaml',
    } as RolloutInput['template'];
    if (config.template.kind === 's3') {
      const url = await s3TemplateUrl(backend, config);
      summary = await summarizeTemplate(backend.cloudFormation, { TemplateURL: url }, templateField, url);
      const { kind: _kind, ...s3 } = config.template;
      location = s3;
    } else if (body && body.length <= MAX_TEMPLATE_BODY_BYTES) {
      summary = await summarizeTemplate(
        backend.cloudFormation,
        { TemplateBody: body.toString('utf8') },
        templateField,
        config.template.path,
      );
    }
    const input = buildRolloutInput(config, mode, rolloutId, location);
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
    if (summary) checkTemplateFits(summary, input, targets);
    const lines = [
      describeSelection(input.targets, config.flagged),
      ...describeResolution(checked.accounts, checked.plan, fanOut, checked.regions.unreachableAccounts),
    ];
    if (!perAccount && needsPerAccountRegions(input.targets, checked.regions)) {
      lines.push(
        '  note: opt-in regions are in play and each account\'s enabled regions are read by "Plan targets"; targets in a region an account has not enabled will be SKIPPED',
      );
    }
    return { input, checked, fanOut, ...(summary ? { summary } : {}), lines };
  } catch (error) {
    throw asUsageError(error, config);
  }
}

/** A template too large to send inline, asked about once published (by the URL a rollout pins). */
export async function checkPublishedTemplate(
  backend: Backend,
  config: LoadedConfig,
  result: PreflightResult,
  url: string,
): Promise<void> {
  if (result.summary) return;
  try {
    const field = fieldOrigin(config, 'template') ?? 'template';
    const summary = await summarizeTemplate(backend.cloudFormation, { TemplateURL: url }, field, url);
    checkTemplateFits(summary, result.input, [...result.fanOut.canaries, ...result.fanOut.targets]);
  } catch (error) {
    throw asUsageError(error, config);
  }
}

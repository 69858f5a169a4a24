import type { GetTemplateSummaryCommandOutput } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { awsClients } from '../src/aws/clients';
import { checkTargets, checkTemplateFits, summarizeTemplate, throwIssues } from '../src/aws/rollout-checks';
import { InvalidInputError, StackFleetError, ThrottledError, TransientError } from '../src/core/errors';
import {
  isStackGraph,
  type RolloutInput,
  type RolloutMode,
  type SingleStackRollout,
  type StackGraphRollout,
  type TemplateLocation,
} from '../src/core/rollout-input';
import { parseRolloutInput, rolloutIdFromExecutionName } from '../src/core/rollout-validation';
import type { OutputReference, StackSpec } from '../src/core/stack-graph';
import { MAX_TEMPLATE_BYTES, outputIssues, templateIssues, templateUrl } from '../src/core/template-checks';
import { templateOutputKeys } from '../src/core/wait-policy';

/**
 * "Validate input": refuses a bad rollout request with InvalidInput naming the field, before any
 * stack is touched, whoever started the execution (the CLI checks the same before it starts one;
 * the console and the schedule do not): the request's shape; the template object (and version)
 * exists, and CloudFormation accepts it (ValidateTemplate: syntax, resource types, cycles) and the
 * request fits it (GetTemplateSummary: declared parameters, values for required ones,
 * AllowedValues, capabilities); the targets exist in the organisation (accounts, OUs, exclusions,
 * overrides) and the regions in the partition. It pins the template version so every target
 * deploys the same bytes, and picks the per-target state machine of the mode once.
 */

export interface ValidateRolloutEvent {
  /** The execution input as the operator wrote it. */
  request: unknown;
  /** `$$.Execution.Name`: the rollout id when the request has none (scheduled runs). */
  executionName?: string;
  /**
   * The per-target state machine of each mode, as the rollout definition substitutes them
   * (`${DeployTargetStateMachineArn}` ...), and `graph`, the lane walker of the stacks form
   * (`${WalkStacksStateMachineArn}`). The rollout starts the one its mode (and form) names.
   */
  targetStateMachines: Record<RolloutMode, string> & { graph?: string };
}

/** The fields every child execution shares (the deploy-target input minus per-target fields). */
export interface DeploymentSettings {
  rolloutId: string;
  mode: RolloutInput['mode'];
  stackName: string;
  templateUrl: string;
  templateVersion: string;
  tags: Record<string, string>;
  capabilities: string[];
  executionRoleName: string;
  /** null when the execution roles require none (JSONPath cannot omit a field). */
  externalId: string | null;
  timeoutSeconds: number;
  /** Drift mode: repair drifted targets (always false in other modes). */
  repair: boolean;
  /** Per-target machines wait for Stack Status Change events (polling stays the fallback). */
  stackEvents: boolean;
}

/**
 * The stacks form: what every lane shares. Each stack's settings by name (its pinned template,
 * tags, capabilities, dependencies and output-fed parameters); the lane item adds the target's
 * literal parameters. `stackStateMachineArn` is the mode's per-stack machine the lanes start.
 */
export interface GraphDeploymentSettings {
  rolloutId: string;
  mode: RolloutInput['mode'];
  executionRoleName: string;
  externalId: string | null;
  timeoutSeconds: number;
  repair: boolean;
  /** Each stack's per-stack machine waits for its Stack Status Change events (polling the fallback). */
  stackEvents: boolean;
  stackStateMachineArn: string;
  stacks: Record<
    string,
    {
      stackName: string;
      templateUrl: string;
      templateVersion: string;
      tags: Record<string, string>;
      capabilities: string[];
      dependsOn: string[];
      outputParameters: Record<string, OutputReference>;
    }
  >;
}

export interface ValidatedRollout {
  rollout: RolloutInput;
  deployment: DeploymentSettings | GraphDeploymentSettings;
  /** The state machine every target of this rollout runs as (the one of its mode). */
  targetStateMachineArn: string;
}

/** CloudFormation's limit for a template read from S3 (kept here for existing importers). */
export { MAX_TEMPLATE_BYTES, templateUrl };

/** The region functions run in (Lambda sets AWS_REGION; the local engine sets it too). */
export function functionRegion(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

/**
 * The per-target state machine of `mode`. A missing one is a defect of the deployed rollout
 * definition, not of the request, so it is not an InvalidInput.
 */
export function targetStateMachineFor(
  targetStateMachines: Partial<Record<string, unknown>> | undefined,
  mode: RolloutMode | 'graph',
): string {
  const arn = targetStateMachines?.[mode];
  if (typeof arn !== 'string' || !STATE_MACHINE_ARN.test(arn)) {
    throw new StackFleetError(
      `targetStateMachines.${mode} must be the ARN of the ${mode} per-target state machine (the rollout definition's Validate input passes one per mode). Received: ${arn === undefined ? '(nothing)' : JSON.stringify(arn)}`,
    );
  }
  return arn;
}

function errorName(error: unknown): string {
  return (error as { name?: string })?.name ?? '';
}

function statusCode(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/**
 * Checks one template object exists and fits, and pins its version: the one asked for, else the
 * latest at validation time (the per-stack workflows refuse unpinned template URLs, so an
 * unversioned bucket is refused here, early). `field` is `template` or `stacks[i].template`.
 */
async function pinTemplate(
  location: TemplateLocation,
  field: string,
): Promise<{ url: string; version: string; summary: GetTemplateSummaryCommandOutput }> {
  const { bucket, key, versionId } = location;
  const region = functionRegion();
  const where = `s3://${bucket}/${key}${versionId ? ` (version ${versionId})` : ''}`;
  let head: { VersionId?: string; ETag?: string; ContentLength?: number };
  try {
    head = await awsClients
      .s3({ region })
      .send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  } catch (error) {
    const name = errorName(error);
    const code = statusCode(error);
    if (
      name === 'NotFound' ||
      name === 'NoSuchKey' ||
      name === 'NoSuchBucket' ||
      name === 'NoSuchVersion' ||
      code === 404
    ) {
      const at = versionId ? `${field}.versionId` : `${field}.key`;
      throw new InvalidInputError(
        at,
        `${at} must name an existing template object; ${where} was not found. Received: ${versionId ?? key}`,
        { cause: error },
      );
    }
    if (name === 'Forbidden' || name === 'AccessDenied' || code === 403) {
      throw new InvalidInputError(
        `${field}.bucket`,
        `${field}.bucket must be readable by stackfleet; reading ${where} was denied. Received: ${bucket}`,
        { cause: error },
      );
    }
    if (name === 'BadRequest' || code === 400) {
      throw new InvalidInputError(
        `${field}.versionId`,
        `${field}.versionId is not a valid version of ${bucket}/${key}. Received: ${versionId ?? '(none)'}`,
        { cause: error },
      );
    }
    if (/throttl|slowdown|toomanyrequests/i.test(name) || code === 503) {
      throw new ThrottledError(`S3 throttled reading ${where}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    throw new TransientError(`Could not read ${where}: ${name} ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof head.ContentLength === 'number' && head.ContentLength > MAX_TEMPLATE_BYTES) {
    throw new InvalidInputError(
      `${field}.key`,
      `${field}.key must be a template of at most ${MAX_TEMPLATE_BYTES} bytes (CloudFormation's limit). Received: ${where} of ${head.ContentLength} bytes`,
    );
  }
  const version = versionId ?? (head.VersionId && head.VersionId !== 'null' ? head.VersionId : undefined);
  if (!version) {
    throw new InvalidInputError(
      `${field}.bucket`,
      `${field}.bucket must have versioning enabled so every target deploys the same template version; ${where} has no version id. Received: ${bucket}`,
    );
  }
  const url = templateUrl(bucket, key, region, version);
  const summary = await summarizeTemplate(
    awsClients.cloudFormation({ region }),
    { TemplateURL: url },
    field,
    `${where} (version ${version})`,
  );
  return { url, version, summary };
}

/** The declared Outputs of a pinned template (read from S3), for checking fromStack references. */
async function declaredOutputs(location: TemplateLocation, version: string): Promise<string[] | undefined> {
  try {
    const answer = await awsClients
      .s3({ region: functionRegion() })
      .send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key, VersionId: version }));
    const body = await answer.Body?.transformToString('utf-8');
    return body === undefined ? undefined : templateOutputKeys(body);
  } catch (error) {
    // HeadObject just found it; a template that cannot be parsed here was accepted by CloudFormation.
    console.warn(
      `Validate input: could not read the Outputs of s3://${location.bucket}/${location.key}: ${String(error)}`,
    );
    return undefined;
  }
}

/** Checks every stack of the stacks form and builds the settings its lanes share. */
async function validateGraph(
  rollout: StackGraphRollout,
  stackStateMachineArn: string,
): Promise<{ rollout: StackGraphRollout; deployment: GraphDeploymentSettings }> {
  const pinned: StackSpec[] = [];
  const stacks: GraphDeploymentSettings['stacks'] = {};
  const outputs = new Map<string, string[] | undefined>();
  for (const [i, stack] of rollout.stacks.entries()) {
    const field = `stacks[${i}].template`;
    const { url, version, summary } = await pinTemplate(stack.template, field);
    throwIssues(templateIssues(summary, stack, undefined, `stacks[${i}].`));
    outputs.set(stack.name, await declaredOutputs(stack.template, version));
    pinned.push({ ...stack, template: { ...stack.template, versionId: version } });
    stacks[stack.name] = {
      stackName: stack.stackName,
      templateUrl: url,
      templateVersion: version,
      tags: stack.tags,
      capabilities: stack.capabilities,
      dependsOn: stack.dependsOn,
      outputParameters: stack.outputParameters,
    };
  }
  throwIssues(outputIssues(rollout.stacks, (name) => outputs.get(name)));
  return {
    rollout: { ...rollout, stacks: pinned },
    deployment: {
      rolloutId: rollout.rolloutId,
      mode: rollout.mode,
      executionRoleName: rollout.executionRoleName,
      externalId: rollout.externalId ?? null,
      timeoutSeconds: rollout.timeoutSeconds,
      repair: rollout.repair,
      stackEvents: rollout.stackEvents,
      stackStateMachineArn,
      stacks,
    },
  };
}

async function checkTargetsIfAllowed(rollout: RolloutInput): Promise<void> {
  // Per-account enabled regions are Plan targets' to ask; what is checked here needs no role.
  try {
    await checkTargets(rollout, { region: functionRegion(), perAccount: false });
  } catch (error) {
    // An admin account that may not list the organisation (not the management account nor a
    // delegated administrator) cannot check targets here; Plan targets meets the same refusal,
    // and its Catch summarizes and notifies it with what to do about it.
    if (!organizationRefused(error)) throw error;
  }
}

export async function handler(event: ValidateRolloutEvent): Promise<ValidatedRollout> {
  const defaultId = event.executionName ? rolloutIdFromExecutionName(event.executionName) : undefined;
  const rollout = parseRolloutInput(event.request, defaultId);
  const modeMachine = targetStateMachineFor(event.targetStateMachines, rollout.mode);
  if (isStackGraph(rollout)) {
    const graphMachine = targetStateMachineFor(event.targetStateMachines, 'graph');
    const checked = await validateGraph(rollout, modeMachine);
    await checkTargetsIfAllowed(checked.rollout);
    return { ...checked, targetStateMachineArn: graphMachine };
  }
  const { url, version, summary } = await pinTemplate(rollout.template, 'template');
  checkTemplateFits(summary, rollout);
  await checkTargetsIfAllowed(rollout);
  const normalised: SingleStackRollout = {
    ...rollout,
    template: { ...rollout.template, versionId: version },
  };
  return {
    rollout: normalised,
    deployment: {
      rolloutId: rollout.rolloutId,
      mode: rollout.mode,
      stackName: rollout.stackName,
      templateUrl: url,
      templateVersion: version,
      tags: rollout.tags,
      capabilities: rollout.capabilities,
      executionRoleName: rollout.executionRoleName,
      externalId: rollout.externalId ?? null,
      timeoutSeconds: rollout.timeoutSeconds,
      repair: rollout.repair,
      stackEvents: rollout.stackEvents,
    },
    targetStateMachineArn: modeMachine,
  };
}

/** Organizations refused to be read by this account (AccessDeniedException, AWSOrganizationsNotInUseException). */
function organizationRefused(error: unknown): boolean {
  const name = (error as { name?: string })?.name ?? '';
  return name === 'AccessDeniedException' || name === 'AWSOrganizationsNotInUseException';
}

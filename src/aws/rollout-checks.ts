import {
  type CloudFormationClient,
  GetTemplateSummaryCommand,
  type GetTemplateSummaryCommandOutput,
  ValidateTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { InvalidInputError, ThrottledError, TransientError } from '../core/errors';
import {
  type OrganizationView,
  type RegionView,
  type ResolvedAccounts,
  type RolloutPlan,
  resolveAccounts,
  resolveTargets,
} from '../core/plan';
import type { InputIssue, RolloutInput } from '../core/rollout-input';
import { type StackParameterRequest, type TargetParameters, templateIssues } from '../core/template-checks';
import { type FactsOptions, readOrganization, readRegions } from './organization-facts';
import { withRetries } from './retry';

/**
 * The checks a rollout request gets before anything starts, shared by the CLI (before it
 * publishes or starts an execution) and "Validate input" (for executions started elsewhere: the
 * console, the schedule). They need AWS: the template goes through CloudFormation's own
 * ValidateTemplate and GetTemplateSummary, the targets through the organisation.
 */

/** Throws one InvalidInput naming the first field, listing every problem (one per line). */
export function throwIssues(issues: readonly InputIssue[]): void {
  const first = issues[0];
  if (!first) return;
  const message =
    issues.length === 1
      ? first.message
      : `${issues.length} problems in the rollout input:\n${issues.map((i) => `- ${i.message}`).join('\n')}`;
  throw new InvalidInputError(first.field, message);
}

function errorInfo(error: unknown): { name: string; status?: number; message: string } {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return { name: e?.name ?? '', status: e?.$metadata?.httpStatusCode, message: e?.message ?? String(error) };
}

/**
 * The template as CloudFormation sees it: ValidateTemplate refuses what it cannot accept (syntax,
 * unrecognized resource types, dependency cycles, size) and GetTemplateSummary reports what it
 * needs (parameters with their defaults and AllowedValues, capabilities, resource types). A
 * refusal is InvalidInput naming `field` and the template; throttling and service errors are
 * Throttled/TransientError for the caller to retry.
 */
export async function summarizeTemplate(
  cfn: CloudFormationClient,
  source: { TemplateURL: string } | { TemplateBody: string },
  field: string,
  where: string,
): Promise<GetTemplateSummaryCommandOutput> {
  const attempt = async <T>(label: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await withRetries(label, call, {});
    } catch (error) {
      const { name, status, message } = errorInfo(error);
      if (error instanceof ThrottledError || error instanceof TransientError) throw error;
      if (name === 'ValidationError' || status === 400) {
        throw new InvalidInputError(
          field,
          `${field} is not a template CloudFormation accepts: ${message}. Received: ${where}`,
          { cause: error },
        );
      }
      throw new TransientError(`${label} of ${where} failed: ${name} ${message}`, { cause: error });
    }
  };
  await attempt('ValidateTemplate', () => cfn.send(new ValidateTemplateCommand(source)));
  return attempt('GetTemplateSummary', () => cfn.send(new GetTemplateSummaryCommand(source)));
}

/** Refuses a request its template cannot satisfy (see src/core/template-checks.ts). */
export function checkTemplateFits(
  summary: GetTemplateSummaryCommandOutput,
  stack: StackParameterRequest,
  targets?: readonly TargetParameters[],
  prefix = '',
): void {
  throwIssues(templateIssues(summary, stack, targets, prefix));
}

/** The resolved targets with the facts they came from. */
export interface CheckedTargets {
  org: OrganizationView;
  accounts: ResolvedAccounts;
  regions: RegionView;
  plan: RolloutPlan;
}

/**
 * Resolves the request's targets against the organisation exactly as "Plan targets" will,
 * refusing unknown accounts and OUs, regions the partition lacks, and mistyped exclusions and
 * overrides. `perAccount: false` skips asking each account for its enabled regions (Validate
 * input leaves that to Plan targets, which asks anyway); the CLI asks, to print the exact count.
 */
export async function checkTargets(
  rollout: RolloutInput,
  options: FactsOptions & { perAccount?: boolean } = {},
): Promise<CheckedTargets> {
  const org = await readOrganization(rollout, options);
  // Resolved first so only the selected accounts are asked for their regions (unknown ones refused).
  const selected = resolveAccounts(rollout.targets, org);
  const regions = await readRegions(rollout, selected.accountIds, options);
  const { accounts, plan } = resolveTargets(rollout, org, regions);
  return { org, accounts, regions, plan };
}

import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import {
  DescribeOrganizationCommand,
  ListRootsCommand,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
} from '@aws-sdk/client-organizations';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity } from '@smithy/types';
import { assumeExecutionRole } from '../src/aws/assume-role';
import { awsClients } from '../src/aws/clients';
import { InvalidInputError, StackFleetError, ThrottledError, TransientError } from '../src/core/errors';
import {
  buildPlan,
  needsPerAccountRegions,
  type OrganizationView,
  orderLongestFirst,
  type PlannedTarget,
  type RegionView,
  resolveAccounts,
  rolloutKeys,
  toJsonLines,
  toleranceFor,
} from '../src/core/plan';
import type { RolloutInput } from '../src/core/rollout-input';
import { readTemplateResources, templatePrior } from '../src/core/wait-policy';

/**
 * "Plan targets": resolves the rollout's account x region targets and writes them to S3 as JSON
 * Lines, returning only small facts, so the state payload and the parent's history stay the same
 * size for 10 or 10,000 targets.
 *
 * Where the facts come from:
 * - Accounts: Organizations, called as the admin identity (the function's own credentials): the
 *   organisation's accounts with their status, and the OU subtrees the rollout selects.
 * - Regions: one EC2 DescribeRegions (AllRegions) in the admin account tells which regions exist
 *   and which are enabled everywhere (`opt-in-not-required`). Only when an opt-in region is in play
 *   (explicit, or `ALL_ENABLED`) does the planner ask each account, as the execution role in that
 *   account (DescribeRegions answers for the calling account). An account whose role cannot be
 *   assumed is not failed here: its targets are planned on the regions enabled everywhere and their
 *   children fail with RoleNotAssumable, so the summary shows the real cause per target.
 */

export interface PlanTargetsEvent {
  rollout: RolloutInput;
  /** The artifact bucket (`${ArtifactBucketName}`) the manifest is written to. */
  bucket: string;
  /**
   * `$$.Execution.Id` of the rollout. When given, the rollout id is claimed for this execution and a
   * different execution reusing it is refused (child names and S3 keys derive from the id).
   */
  executionId?: string;
}

/** Small facts about the plan; the state machine reads keys, counts and Map settings from here. */
export interface PlanFacts {
  bucket: string;
  targetsKey: string;
  canariesKey: string;
  skippedKey: string;
  resultsPrefix: string;
  canaryResultsPrefix: string;
  summaryKey: string;
  executionKey: string;
  accountCount: number;
  targetCount: number;
  canaryCount: number;
  skippedCount: number;
  /** Accounts whose execution role could not be assumed to list their regions. */
  unreachableAccountCount: number;
  maxConcurrency: number;
  toleratedFailureCount: number;
  toleratedFailurePercentage: number;
}

export interface PlanOptions {
  /** Base of the backoff between attempts on throttling (ms); tests make it small. */
  retryBaseMs?: number;
  /** Attempts per call on throttling/transient errors, on top of the SDK's own retries. */
  maxAttempts?: number;
  /** Accounts asked for their regions at once. */
  regionLookupConcurrency?: number;
}

const ORGANIZATIONS_REGION = 'us-east-1';

function functionRegion(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

function errorCode(error: unknown): string {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e?.Code ?? e?.name ?? '';
}

const RETRYABLE =
  /throttl|toomanyrequests|requestlimitexceeded|slowdown|serviceunavailable|internal|timeout|transient/i;

function isRetryable(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return RETRYABLE.test(errorCode(error)) || (status !== undefined && status >= 500);
}

/** A deterministic jitter in [0, 1): the same call and attempt always waits the same (simulated) time. */
function jitter(label: string, attempt: number): number {
  let h = 2166136261;
  for (const ch of `${label}#${attempt}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return ((h >>> 0) % 10_000) / 10_000;
}

/**
 * Runs an AWS call, retrying throttling and transient errors with capped exponential backoff and
 * full jitter, on top of the SDK's own attempts. After the last attempt it throws Throttled or
 * TransientError, which the state machine retries as a whole.
 */
async function withRetries<T>(label: string, call: () => Promise<T>, options: PlanOptions): Promise<T> {
  const attempts = options.maxAttempts ?? 6;
  const base = options.retryBaseMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (
        error instanceof StackFleetError &&
        !(error instanceof ThrottledError || error instanceof TransientError)
      )
        throw error;
      const retryable =
        error instanceof ThrottledError || error instanceof TransientError || isRetryable(error);
      if (!retryable) throw error;
      if (attempt >= attempts) {
        const message = `${label} still failing after ${attempts} attempts: ${(error as Error).message}`;
        throw /throttl|toomany|limitexceeded|slowdown/i.test(`${errorCode(error)} ${(error as Error).name}`)
          ? new ThrottledError(message, { cause: error })
          : new TransientError(message, { cause: error });
      }
      const delay = Math.min(5_000, base * 2 ** (attempt - 1)) * jitter(label, attempt);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Runs `work` over `items` with at most `limit` at once, keeping results in input order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await work(items[index] as T);
    }
  });
  await Promise.all(runners);
  return out;
}

/** Reads the organisation: every account's status, and the subtrees under the selected OUs. */
async function readOrganization(rollout: RolloutInput, options: PlanOptions): Promise<OrganizationView> {
  const org = awsClients.organizations({ region: ORGANIZATIONS_REGION });
  const described = await withRetries(
    'DescribeOrganization',
    () => org.send(new DescribeOrganizationCommand({})),
    options,
  );
  const managementAccountId = described.Organization?.MasterAccountId ?? '';

  const accounts: OrganizationView['accounts'] = [];
  await withRetries(
    'ListAccounts',
    async () => {
      accounts.length = 0;
      for await (const page of paginateListAccounts({ client: org }, {})) {
        for (const a of page.Accounts ?? []) {
          if (!a.Id) continue;
          // `State` replaces the deprecated `Status`; read whichever the API sends.
          const state = (a as { State?: string }).State ?? a.Status ?? 'ACTIVE';
          accounts.push({ id: a.Id, status: state, ...(a.Name ? { name: a.Name } : {}) });
        }
      }
    },
    options,
  );

  const children: OrganizationView['children'] = {};
  const roots = rollout.targets.organizationalUnits;
  if (roots.length > 0) {
    const rootIds = new Set(
      (await withRetries('ListRoots', () => org.send(new ListRootsCommand({})), options)).Roots?.map(
        (r) => r.Id ?? '',
      ) ?? [],
    );
    const queue = roots.map((id, index) => ({ id, field: `targets.organizationalUnits[${index}]` }));
    while (queue.length > 0) {
      const { id, field } = queue.shift()!;
      if (children[id]) continue;
      const node = { organizationalUnits: [] as string[], accounts: [] as string[] };
      try {
        await withRetries(
          `ListOrganizationalUnitsForParent ${id}`,
          async () => {
            node.organizationalUnits = [];
            for await (const page of paginateListOrganizationalUnitsForParent(
              { client: org },
              { ParentId: id },
            )) {
              for (const ou of page.OrganizationalUnits ?? [])
                if (ou.Id) node.organizationalUnits.push(ou.Id);
            }
          },
          options,
        );
        await withRetries(
          `ListAccountsForParent ${id}`,
          async () => {
            node.accounts = [];
            for await (const page of paginateListAccountsForParent({ client: org }, { ParentId: id })) {
              for (const a of page.Accounts ?? []) if (a.Id) node.accounts.push(a.Id);
            }
          },
          options,
        );
      } catch (error) {
        const code = errorCode(error);
        if (/ParentNotFound|OrganizationalUnitNotFound|InvalidInput/.test(code)) {
          throw new InvalidInputError(
            field,
            `${field} must be an OU or root of the organisation${rootIds.size ? ` (root ${[...rootIds].join(', ')})` : ''}. Received: ${id}`,
            { cause: error },
          );
        }
        throw error;
      }
      children[id] = node;
      for (const child of node.organizationalUnits) queue.push({ id: child, field });
    }
  }
  return { managementAccountId, accounts, children };
}

interface RegionAnswer {
  RegionName?: string;
  OptInStatus?: string;
}

function enabledRegions(regions: RegionAnswer[]): string[] {
  return regions
    .filter((r) => r.RegionName && r.OptInStatus !== 'not-opted-in')
    .map((r) => r.RegionName as string)
    .sort();
}

/** Region facts: what exists, what is enabled everywhere, and (when needed) what each account enabled. */
async function readRegions(
  rollout: RolloutInput,
  accountIds: string[],
  options: PlanOptions,
): Promise<RegionView> {
  const region = functionRegion();
  const ec2 = awsClients.ec2({ region });
  const admin = await withRetries(
    'DescribeRegions',
    () => ec2.send(new DescribeRegionsCommand({ AllRegions: true })),
    options,
  );
  const listed = (admin.Regions ?? []) as RegionAnswer[];
  const allRegions = listed
    .map((r) => r.RegionName ?? '')
    .filter(Boolean)
    .sort();
  const anyStatus = listed.some((r) => r.OptInStatus);
  const defaultRegions = anyStatus
    ? listed
        .filter((r) => r.OptInStatus === 'opt-in-not-required')
        .map((r) => r.RegionName as string)
        .sort()
    : allRegions;
  const view: RegionView = { allRegions, defaultRegions, enabledByAccount: {}, unreachableAccounts: {} };
  if (!needsPerAccountRegions(rollout.targets, view)) return view;

  await mapLimit(accountIds, options.regionLookupConcurrency ?? 10, async (accountId) => {
    let credentials: AwsCredentialIdentity;
    try {
      credentials = await withRetries(
        `AssumeRole ${accountId}`,
        () =>
          assumeExecutionRole({
            accountId,
            roleName: rollout.executionRoleName,
            rolloutId: rollout.rolloutId,
            region,
            ...(rollout.externalId === undefined ? {} : { externalId: rollout.externalId }),
          }),
        options,
      );
    } catch (error) {
      if (error instanceof ThrottledError || error instanceof TransientError) throw error;
      view.unreachableAccounts[accountId] = (error as Error).message;
      return;
    }
    const client = awsClients.ec2({ region, credentials });
    try {
      const answer = await withRetries(
        `DescribeRegions ${accountId}`,
        () => client.send(new DescribeRegionsCommand({ AllRegions: true })),
        options,
      );
      view.enabledByAccount[accountId] = enabledRegions((answer.Regions ?? []) as RegionAnswer[]);
    } catch (error) {
      if (error instanceof ThrottledError || error instanceof TransientError) throw error;
      // A role without ec2:DescribeRegions (an older bootstrap) should not stop the whole rollout:
      // the account is planned like one whose role could not be assumed.
      view.unreachableAccounts[accountId] = `DescribeRegions refused: ${(error as Error).message}`;
    }
  });
  return view;
}

async function putJsonLines(
  bucket: string,
  key: string,
  items: readonly unknown[],
  options: PlanOptions,
): Promise<void> {
  const s3 = awsClients.s3({ region: functionRegion() });
  const body = toJsonLines(items);
  await withRetries(
    `PutObject ${key}`,
    () =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          // Explicit: the SDK warns about bodies of unknown length, which includes an empty string.
          ContentLength: Buffer.byteLength(body),
          ContentType: 'application/x-ndjson',
        }),
      ),
    options,
  );
}

/**
 * Claims the rollout id for this execution. Child executions are named after the rollout id and
 * names are unique for 90 days, and results are keyed by it in S3: a second execution with the same
 * id would fail every target with ExecutionAlreadyExists and mix its results with the first one's.
 * A retry of the same execution finds its own claim and carries on.
 */
async function claimRolloutId(
  bucket: string,
  key: string,
  rollout: RolloutInput,
  executionId: string,
  options: PlanOptions,
): Promise<void> {
  const s3 = awsClients.s3({ region: functionRegion() });
  let owner: string | undefined;
  try {
    const answer = await withRetries(
      `GetObject ${key}`,
      () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })),
      options,
    );
    const text = (await answer.Body?.transformToString('utf-8')) ?? '{}';
    owner = (JSON.parse(text) as { executionId?: string }).executionId ?? 'an earlier execution';
  } catch (error) {
    if (!['NoSuchKey', 'NotFound'].includes(errorCode(error))) throw error;
  }
  if (owner === executionId) return;
  if (owner !== undefined) {
    throw new InvalidInputError(
      'rolloutId',
      `rolloutId must be new for each rollout: ${rollout.rolloutId} was already used by ${owner} (child execution names derive from it and stay taken for 90 days). Received: ${rollout.rolloutId}`,
    );
  }
  const body = JSON.stringify({ executionId, rolloutId: rollout.rolloutId, mode: rollout.mode });
  await withRetries(
    `PutObject ${key}`,
    () =>
      s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
      ),
    options,
  );
}

/** The planning itself, with tunable retry timing (the handler uses the defaults). */
/**
 * Orders the targets by the template's expected create time for each (its conditions and the
 * target's parameters decide which resources exist there). Without the template, plan order.
 */
async function longestFirst(rollout: RolloutInput, targets: PlannedTarget[]): Promise<PlannedTarget[]> {
  let body: string | undefined;
  try {
    const s3 = awsClients.s3({ region: process.env.AWS_REGION ?? 'us-east-1' });
    const out = await s3.send(
      new GetObjectCommand({
        Bucket: rollout.template.bucket,
        Key: rollout.template.key,
        ...(rollout.template.versionId ? { VersionId: rollout.template.versionId } : {}),
      }),
    );
    body = await out?.Body?.transformToString();
  } catch (error) {
    console.warn(
      `Plan targets: could not read the template to order targets longest-first: ${String(error)}`,
    );
  }
  if (!body) return targets;
  const template = body;
  const estimate = (t: PlannedTarget) => {
    try {
      return templatePrior(
        readTemplateResources(template, {
          region: t.region,
          accountId: t.accountId,
          parameters: t.parameters,
        }),
      ).expectedSeconds;
    } catch {
      return 0;
    }
  };
  return orderLongestFirst(targets, estimate);
}

export async function planTargets(event: PlanTargetsEvent, options: PlanOptions = {}): Promise<PlanFacts> {
  const { rollout, bucket } = event;
  const keys = rolloutKeys(rollout.rolloutId);
  if (event.executionId) await claimRolloutId(bucket, keys.executionKey, rollout, event.executionId, options);
  const org = await readOrganization(rollout, options);
  const accounts = resolveAccounts(rollout.targets, org);
  const regions = await readRegions(rollout, accounts.accountIds, options);
  const plan = buildPlan(rollout, accounts, regions);
  const targets = await longestFirst(rollout, plan.targets);

  await putJsonLines(bucket, keys.targetsKey, targets, options);
  await putJsonLines(bucket, keys.canariesKey, plan.canaries, options);
  await putJsonLines(bucket, keys.skippedKey, plan.skipped, options);

  return {
    bucket,
    ...keys,
    accountCount: accounts.accountIds.length,
    targetCount: plan.targets.length,
    canaryCount: plan.canaries.length,
    skippedCount: plan.skipped.length,
    unreachableAccountCount: Object.keys(regions.unreachableAccounts).length,
    maxConcurrency: rollout.maxConcurrency,
    ...toleranceFor(rollout.failureTolerance, plan.targets.length),
  };
}

export async function handler(event: PlanTargetsEvent): Promise<PlanFacts> {
  return planTargets(event);
}

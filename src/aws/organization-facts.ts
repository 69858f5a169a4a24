import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import {
  DescribeOrganizationCommand,
  ListRootsCommand,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
} from '@aws-sdk/client-organizations';
import type { AwsCredentialIdentity } from '@smithy/types';
import { InvalidInputError, ThrottledError, TransientError } from '../core/errors';
import { needsPerAccountRegions, type OrganizationView, type RegionView } from '../core/plan';
import type { RolloutInput } from '../core/rollout-input';
import { assumeExecutionRole } from './assume-role';
import { awsClients } from './clients';
import { errorCode, mapLimit, type RetryOptions, withRetries } from './retry';

/**
 * The facts a rollout's targets are resolved from, read the same way wherever they are needed:
 * by "Plan targets" (which writes the manifest), by "Validate input" (which refuses targets the
 * organisation does not have before anything is planned) and by the CLI before it starts an
 * execution (which prints the resolved selection). The decisions are pure, in src/core/plan.ts.
 *
 * - Accounts: Organizations, called as the admin identity: the organisation's accounts with their
 *   status, and the OU subtrees the rollout selects.
 * - Regions: one EC2 DescribeRegions (AllRegions) in the admin account tells which regions exist
 *   and which are enabled everywhere (`opt-in-not-required`). Only when an opt-in region is in play
 *   (explicit, or `ALL_ENABLED`) is each account asked, as the execution role in that account
 *   (DescribeRegions answers for the calling account). An account whose role cannot be assumed is
 *   recorded as unreachable, not failed.
 */

export interface FactsOptions extends RetryOptions {
  /** Accounts asked for their regions at once. */
  regionLookupConcurrency?: number;
  /**
   * Region of the EC2 DescribeRegions calls (the admin region). @default AWS_REGION, else us-east-1
   */
  region?: string;
}

const ORGANIZATIONS_REGION = 'us-east-1';

function factsRegion(options: FactsOptions): string {
  return options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

/** Reads the organisation: every account's status, and the subtrees under the selected OUs. */
export async function readOrganization(
  rollout: Pick<RolloutInput, 'targets'>,
  options: FactsOptions = {},
): Promise<OrganizationView> {
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

/**
 * Region facts: what exists, what is enabled everywhere, and (when needed, unless `perAccount` is
 * false) what each account enabled.
 */
export async function readRegions(
  rollout: RolloutInput,
  accountIds: string[],
  options: FactsOptions & { perAccount?: boolean } = {},
): Promise<RegionView> {
  const region = factsRegion(options);
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
  if (options.perAccount === false || !needsPerAccountRegions(rollout.targets, view)) return view;

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

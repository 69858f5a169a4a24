/**
 * Scenario files: the organisation, regions and faults a sandbox plays. Parsed from YAML and
 * validated field by field, because a typo in a scenario would otherwise show up much later as
 * a confusing rollout result. Errors name the field path, the value received and the line.
 */

import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import {
  validateAccessKey,
  validateActivity,
  validateEvents,
  validateTamperResponse,
} from './scenario-activity';
import { Checker, type Path, ScenarioError } from './scenario-checker';
import { DEFAULT_DURATIONS, validateDurations } from './scenario-durations';
import { validateFaults } from './scenario-faults';
import { validateIam } from './scenario-iam';
import { accountIdAt, EXTERNAL_ID, ORGANIZATION_FIELDS, validateOrganizationTree } from './scenario-org-tree';
import { validateOrganizationExtras } from './scenario-organization';
import { validateQuotas } from './scenario-quotas';
import type { Scenario, ScenarioAccount } from './scenario-types';

export { ScenarioError } from './scenario-checker';

/** Regions every account has unless a scenario says otherwise. */
export const DEFAULT_REGIONS = ['us-east-1', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'] as const;
export const DEFAULT_EXECUTION_ROLE = 'StackFleetExecution';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

const TOP = [
  'seed',
  'organization',
  'regions',
  'optInRegions',
  'executionRoleName',
  'externalId',
  'durations',
  'faults',
  'accessKeys',
  'adminAccountId',
  'iam',
  'cloudFormationQuotas',
  'events',
  'activity',
  'tamperResponse',
] as const;

/**
 * Validates a parsed scenario, fills defaults, and returns it typed. `source` names the file in
 * messages; `locate` may add " (line N)" for a field path.
 */
export function validateScenario(
  raw: unknown,
  source = 'scenario',
  locate: (path: Path) => string = () => '',
): Scenario {
  const c = new Checker(source, locate);
  const top = c.object([], raw ?? {}, TOP);

  const seed = top.seed === undefined ? 1 : c.number(['seed'], top.seed, 0, Number.MAX_SAFE_INTEGER);
  const regions = (top.regions === undefined ? [...DEFAULT_REGIONS] : c.array(['regions'], top.regions)).map(
    (r, i) => c.string(['regions', i], r, REGION, 'a region name like eu-west-1'),
  );
  if (regions.length === 0) c.fail(['regions'], 'must list at least one region', top.regions);
  const optInRegions = (
    top.optInRegions === undefined ? [] : c.array(['optInRegions'], top.optInRegions)
  ).map((r, i) => {
    const region = c.string(['optInRegions', i], r, REGION, 'a region name like af-south-1');
    if (regions.includes(region))
      c.fail(['optInRegions', i], 'is already a default region (listed in regions)', region);
    return region;
  });
  const allRegions = new Set([...regions, ...optInRegions]);

  const executionRoleName =
    top.executionRoleName === undefined
      ? DEFAULT_EXECUTION_ROLE
      : c.string(
          ['executionRoleName'],
          top.executionRoleName,
          ROLE_NAME,
          'an IAM role name (1-64 of [A-Za-z0-9+=,.@_-])',
        );
  const externalId =
    top.externalId === undefined
      ? undefined
      : c.string(
          ['externalId'],
          top.externalId,
          EXTERNAL_ID,
          'an ExternalId: 2-1224 of [A-Za-z0-9+=,.@:/_-]',
        );

  const orgRaw = c.object(['organization'], top.organization, ORGANIZATION_FIELDS);
  const tree = validateOrganizationTree(c, orgRaw, optInRegions);
  const { rootId, ous, accounts, managementAccountId, accountIds } = tree;
  const extras = validateOrganizationExtras(c, orgRaw, {
    rootId,
    managementAccountId,
    ouIds: tree.ouIds,
    accounts: new Map(accounts.map((a) => [a.id, a])),
  });

  const durations = validateDurations(c, top.durations);

  const faults = validateFaults(c, top.faults, accountIds, allRegions);

  const scenario: Scenario = {
    seed,
    organization: { id: tree.id, managementAccountId, rootId, ous, accounts, ...extras },
    regions,
    optInRegions,
    executionRoleName,
    durations,
    faults,
  };
  if (externalId !== undefined) scenario.externalId = externalId;
  if (top.adminAccountId !== undefined) {
    const admin = accountIdAt(c, ['adminAccountId'], top.adminAccountId);
    if (!accountIds.has(admin)) c.fail(['adminAccountId'], 'must be one of the organization accounts', admin);
    scenario.adminAccountId = admin;
  }
  if (top.iam !== undefined) scenario.iam = validateIam(c, top.iam, accountIds);
  if (top.cloudFormationQuotas !== undefined)
    scenario.cloudFormationQuotas = validateQuotas(c, top.cloudFormationQuotas, accountIds);
  if (top.accessKeys !== undefined) {
    scenario.accessKeys = c.array(['accessKeys'], top.accessKeys).map((k, i) => {
      const p: Path = ['accessKeys', i];
      const key = c.object(p, k, ['accessKeyId', 'secretAccessKey', 'accountId', 'userName', 'policy']);
      const accountId = accountIdAt(c, [...p, 'accountId'], key.accountId);
      return validateAccessKey(c, p, key, {
        accessKeyId: c.string(
          [...p, 'accessKeyId'],
          key.accessKeyId,
          /^[A-Za-z0-9]{2,128}$/,
          'an access key id (letters and digits)',
        ),
        secretAccessKey: c.string(
          [...p, 'secretAccessKey'],
          key.secretAccessKey,
          /^.{1,128}$/,
          'a secret of 1-128 characters',
        ),
        accountId,
      });
    });
  }
  if (top.events !== undefined) scenario.events = validateEvents(c, top.events);
  if (top.activity !== undefined)
    scenario.activity = validateActivity(c, top.activity, accountIds, [...allRegions]);
  if (top.tamperResponse !== undefined)
    scenario.tamperResponse = validateTamperResponse(c, top.tamperResponse);
  return scenario;
}

/** Parses and validates scenario YAML text; `source` names it in messages (usually the file path). */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e ? lineCounter.linePos(e.pos[0]).line : undefined;
    throw new ScenarioError(
      '',
      `Scenario ${source}: not valid YAML${line ? ` (line ${line})` : ''}: ${e?.message.split('\n')[0]}`,
    );
  }
  const locate = (path: Path): string => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range)
        return ` (line ${lineCounter.linePos(node.range[0]).line})`;
    }
    return '';
  };
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // Parsing succeeded but building the value did not (an alias with no anchor, "*x").
    throw new ScenarioError(
      '',
      `Scenario ${source}: not valid YAML: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return validateScenario(value, source, locate);
}

/** Reads and validates a scenario file. */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(
      'scenario',
      `Scenario file cannot be read. Received: ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  return parseScenario(text, path);
}

/** The demo's stack left broken by an earlier attempt: the logging stack of examples/rollout.yaml. */
export const DEMO_STACK_NAME = 'stackfleet-logging';

/**
 * The built-in demo organisation used when no scenario is given: 30 accounts in nested OUs,
 * four default regions plus opt-in af-south-1 enabled in three accounts, a couple of injected
 * failures that stay within a 10% tolerance, and stacks left broken by an earlier attempt.
 */
export function demoScenario(): Scenario {
  // Validated like a file so it carries every default (and a mistake here fails loudly).
  return validateScenario(rawDemoScenario(), 'built-in demo');
}

function rawDemoScenario(): Scenario {
  const root = 'r-sf01';
  const ou = {
    security: 'ou-sf01-security',
    infrastructure: 'ou-sf01-infrastr',
    workloads: 'ou-sf01-workload',
    prod: 'ou-sf01-prod0000',
    dev: 'ou-sf01-dev00000',
    sandbox: 'ou-sf01-sandbox0',
  } as const;
  const accounts: ScenarioAccount[] = [{ id: '111122223333', name: 'management', parent: root }];
  let n = 0;
  const add = (name: string, parent: string, extra: Partial<ScenarioAccount> = {}): string => {
    n += 1;
    const id = `2000000000${String(n).padStart(2, '0')}`;
    accounts.push({ id, name, parent, email: `aws+${name}@example.com`, ...extra });
    return id;
  };
  add('log-archive', ou.security);
  add('audit', ou.security);
  add('security-tooling', ou.security);
  const network = add('network', ou.infrastructure, { optInRegionsEnabled: ['af-south-1'] });
  add('shared-services', ou.infrastructure);
  add('identity', ou.infrastructure);
  add('backup', ou.infrastructure);
  const prodNames = [
    'payments',
    'orders',
    'catalog',
    'search',
    'identity-api',
    'analytics',
    'mobile-api',
    'web',
  ];
  const prod = prodNames.map((name, i) =>
    add(`${name}-prod`, ou.prod, i < 2 ? { optInRegionsEnabled: ['af-south-1'] } : {}),
  );
  const dev = prodNames.map((name) => add(`${name}-dev`, ou.dev));
  const sandbox = [
    'sandbox-alice',
    'sandbox-bob',
    'sandbox-chen',
    'sandbox-dana',
    'sandbox-emil',
    'sandbox-fatou',
  ].map((name, i) => add(name, ou.sandbox, i === 5 ? { executionRole: 'missing' } : {}));
  return {
    seed: 20_240_601,
    organization: {
      id: 'o-stackfleet1',
      managementAccountId: '111122223333',
      rootId: root,
      ous: [
        { id: ou.security, name: 'Security', parent: root },
        { id: ou.infrastructure, name: 'Infrastructure', parent: root },
        { id: ou.workloads, name: 'Workloads', parent: root },
        { id: ou.prod, name: 'Prod', parent: ou.workloads },
        { id: ou.dev, name: 'Dev', parent: ou.workloads },
        { id: ou.sandbox, name: 'Sandbox', parent: root },
      ],
      accounts,
      // A real SCP, evaluated as AWS evaluates it: this account may not create or change trails, so
      // its home-region stack fails on the Trail with the explicit deny, and its other regions succeed.
      policies: [
        {
          id: 'p-denytrailchanges',
          name: 'DenyTrailChanges',
          description: 'sandbox-chen keeps its own trail',
          type: 'SERVICE_CONTROL_POLICY',
          content: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'DenyTrailChanges',
                Effect: 'Deny',
                Action: ['cloudtrail:CreateTrail', 'cloudtrail:UpdateTrail', 'cloudtrail:DeleteTrail'],
                Resource: '*',
              },
            ],
          }),
          targets: [sandbox[2] as string],
        },
      ],
    },
    regions: [...DEFAULT_REGIONS],
    optInRegions: ['af-south-1'],
    executionRoleName: DEFAULT_EXECUTION_ROLE,
    durations: { ...DEFAULT_DURATIONS },
    faults: {
      resourceFailures: [
        {
          accounts: [dev[3] as string],
          regions: ['eu-central-1'],
          resourceType: 'AWS::Config::ConfigurationRecorder',
          reason:
            'Resource handler returned message: "Failed to put configuration recorder because you have reached the limit for the maximum number of customer managed configuration records: (1)" (Service: Config, Status Code: 400)',
          on: 'create',
        },
      ],
      preexistingStacks: [
        {
          account: prod[4] as string,
          region: 'eu-west-1',
          stackName: DEMO_STACK_NAME,
          status: 'ROLLBACK_COMPLETE',
        },
        {
          account: network,
          region: 'us-east-1',
          stackName: DEMO_STACK_NAME,
          status: 'UPDATE_ROLLBACK_FAILED',
        },
      ],
    },
  };
}

/**
 * Scenario files: the organisation, regions and faults a sandbox plays. Parsed from YAML and
 * validated field by field, because a typo in a scenario would otherwise show up much later as
 * a confusing rollout result. Errors name the field path, the value received and the line.
 */

import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { validateAccessKey, validateActivity, validateEvents } from './scenario-activity';
import { Checker, type Path, ScenarioError } from './scenario-checker';
import { validateFaults } from './scenario-faults';
import { validateIam } from './scenario-iam';
import { validateOrganizationExtras } from './scenario-organization';
import { validateQuotas } from './scenario-quotas';
import type { Scenario, ScenarioAccount, ScenarioOu } from './scenario-types';

export { ScenarioError } from './scenario-checker';

/** Regions every account has unless a scenario says otherwise. */
export const DEFAULT_REGIONS = ['us-east-1', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'] as const;
export const DEFAULT_EXECUTION_ROLE = 'StackFleetExecution';

/** Seconds a resource takes to create/update/delete in the simulation, per type. */
export const DEFAULT_DURATIONS: Record<string, number | [number, number]> = {
  default: [10, 40],
  'AWS::IAM::Role': [15, 35],
  'AWS::IAM::ManagedPolicy': [10, 20],
  'AWS::KMS::Key': [60, 120],
  'AWS::KMS::Alias': [3, 8],
  'AWS::S3::Bucket': [20, 45],
  'AWS::S3::BucketPolicy': [3, 8],
  'AWS::SNS::Topic': [8, 15],
  'AWS::SNS::TopicPolicy': [5, 10],
  'AWS::SNS::Subscription': [5, 10],
  'AWS::Events::Rule': [20, 40],
  'AWS::Config::ConfigurationRecorder': [20, 40],
  'AWS::Config::DeliveryChannel': [10, 20],
  'AWS::CloudTrail::Trail': [20, 60],
  'AWS::Logs::LogGroup': [3, 8],
  'AWS::GuardDuty::Detector': [10, 20],
};

const ACCOUNT_ID = /^\d{12}$/;
const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
const ROOT_ID = /^r-[0-9a-z]{4,32}$/;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;
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
          /^[\w+=,.@:/-]{2,1224}$/,
          'an ExternalId: 2-1224 of [A-Za-z0-9+=,.@:/_-]',
        );

  const orgRaw = c.object(['organization'], top.organization, [
    'id',
    'managementAccountId',
    'rootId',
    'ous',
    'accounts',
    'enabledServicePrincipals',
    'delegatedAdministrators',
    'policies',
  ]);
  const rootId =
    orgRaw.rootId === undefined
      ? 'r-sf01'
      : c.string(['organization', 'rootId'], orgRaw.rootId, ROOT_ID, 'a root id like r-ab12');
  const orgId =
    orgRaw.id === undefined
      ? 'o-stackfleet1'
      : c.string(['organization', 'id'], orgRaw.id, ORG_ID, 'an organization id like o-a1b2c3d4e5');

  const ous: ScenarioOu[] = [];
  const ouIds = new Set<string>();
  const ouList = orgRaw.ous === undefined ? [] : c.array(['organization', 'ous'], orgRaw.ous);
  ouList.forEach((o, i) => {
    const p: Path = ['organization', 'ous', i];
    const ou = c.object(p, o, ['id', 'name', 'parent']);
    const id = c.string([...p, 'id'], ou.id, OU_ID, 'an OU id like ou-ab12-cd34ef56');
    if (ouIds.has(id)) c.fail([...p, 'id'], 'is listed twice', id);
    ouIds.add(id);
    const name = c.string([...p, 'name'], ou.name, /^.{1,128}$/, 'a name of 1-128 characters');
    const parent = ou.parent === undefined ? rootId : c.string([...p, 'parent'], ou.parent);
    ous.push({ id, name, parent });
  });
  ous.forEach((ou, i) => {
    if (ou.parent !== rootId && !ouIds.has(ou.parent ?? '')) {
      c.fail(
        ['organization', 'ous', i, 'parent'],
        `must be the root (${rootId}) or a listed OU id`,
        ou.parent,
      );
    }
  });
  // Cycles in the OU tree would make parent walks loop forever.
  ous.forEach((ou, i) => {
    const seen = new Set<string>();
    let at: string | undefined = ou.id;
    while (at && at !== rootId) {
      if (seen.has(at))
        c.fail(['organization', 'ous', i, 'parent'], 'makes a cycle in the OU tree', ou.parent);
      seen.add(at);
      at = ous.find((o) => o.id === at)?.parent;
    }
  });

  const accounts: ScenarioAccount[] = [];
  const accountIds = new Set<string>();
  const accountList = c.array(['organization', 'accounts'], orgRaw.accounts);
  if (accountList.length === 0)
    c.fail(['organization', 'accounts'], 'must list at least the management account', orgRaw.accounts);
  accountList.forEach((a, i) => {
    const p: Path = ['organization', 'accounts', i];
    const acc = c.object(p, a, [
      'id',
      'name',
      'email',
      'parent',
      'executionRole',
      'tamperResponder',
      'optInRegionsEnabled',
      'status',
      'externalId',
    ]);
    const id = c.string(
      [...p, 'id'],
      typeof acc.id === 'number' ? String(acc.id) : acc.id,
      ACCOUNT_ID,
      '12 digits',
    );
    if (accountIds.has(id)) c.fail([...p, 'id'], 'is listed twice', id);
    accountIds.add(id);
    const name = c.string([...p, 'name'], acc.name, /^.{1,50}$/, 'a name of 1-50 characters');
    const account: ScenarioAccount = { id, name };
    if (acc.email !== undefined)
      account.email = c.string([...p, 'email'], acc.email, /^[^@\s]+@[^@\s]+$/, 'an email address');
    account.parent = acc.parent === undefined ? rootId : c.string([...p, 'parent'], acc.parent);
    if (account.parent !== rootId && !ouIds.has(account.parent)) {
      c.fail([...p, 'parent'], `must be the root (${rootId}) or a listed OU id`, acc.parent);
    }
    account.executionRole =
      acc.executionRole === undefined
        ? 'present'
        : c.oneOf([...p, 'executionRole'], acc.executionRole, ['present', 'missing', 'deny'] as const);
    if (acc.tamperResponder !== undefined)
      account.tamperResponder = c.oneOf([...p, 'tamperResponder'], acc.tamperResponder, [
        'present',
        'missing',
      ] as const);
    account.status =
      acc.status === undefined
        ? 'ACTIVE'
        : c.oneOf([...p, 'status'], acc.status, ['ACTIVE', 'SUSPENDED'] as const);
    if (acc.optInRegionsEnabled !== undefined) {
      account.optInRegionsEnabled = c
        .array([...p, 'optInRegionsEnabled'], acc.optInRegionsEnabled)
        .map((r, j) => {
          const region = c.string([...p, 'optInRegionsEnabled', j], r);
          if (!optInRegions.includes(region))
            c.fail(
              [...p, 'optInRegionsEnabled', j],
              `must be one of optInRegions (${optInRegions.join(', ') || 'none'})`,
              region,
            );
          return region;
        });
    }
    if (acc.externalId !== undefined)
      account.externalId = c.string(
        [...p, 'externalId'],
        acc.externalId,
        /^[\w+=,.@:/-]{2,1224}$/,
        'an ExternalId: 2-1224 of [A-Za-z0-9+=,.@:/_-]',
      );
    accounts.push(account);
  });
  const managementAccountId = c.string(
    ['organization', 'managementAccountId'],
    orgRaw.managementAccountId === undefined
      ? accounts[0]?.id
      : typeof orgRaw.managementAccountId === 'number'
        ? String(orgRaw.managementAccountId)
        : orgRaw.managementAccountId,
    ACCOUNT_ID,
    '12 digits',
  );
  if (!accountIds.has(managementAccountId)) {
    c.fail(
      ['organization', 'managementAccountId'],
      'must be one of the listed accounts',
      managementAccountId,
    );
  }

  const extras = validateOrganizationExtras(c, orgRaw, {
    rootId,
    managementAccountId,
    ouIds,
    accounts: new Map(accounts.map((a) => [a.id, a])),
  });

  const durations: Record<string, number | [number, number]> = { ...DEFAULT_DURATIONS };
  if (top.durations !== undefined) {
    const d = c.object(['durations'], top.durations, Object.keys(top.durations ?? {}));
    for (const [type, value] of Object.entries(d)) {
      if (type !== 'default' && !/^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$/.test(type)) {
        c.fail(
          ['durations', type],
          'must be keyed by a resource type like AWS::S3::Bucket (or default)',
          type,
        );
      }
      if (Array.isArray(value)) {
        const min = c.number(['durations', type, 0], value[0], 0, 86_400);
        const max = c.number(['durations', type, 1], value[1], 0, 86_400);
        if (value.length !== 2 || max < min)
          c.fail(['durations', type], 'must be seconds or [min, max] with min <= max', value);
        durations[type] = [min, max];
      } else {
        durations[type] = c.number(['durations', type], value, 0, 86_400);
      }
    }
  }

  const faults = validateFaults(c, top.faults, accountIds, allRegions);

  const scenario: Scenario = {
    seed,
    organization: { id: orgId, managementAccountId, rootId, ous, accounts, ...extras },
    regions,
    optInRegions,
    executionRoleName,
    durations,
    faults,
  };
  if (externalId !== undefined) scenario.externalId = externalId;
  if (top.adminAccountId !== undefined) {
    const admin = c.string(
      ['adminAccountId'],
      typeof top.adminAccountId === 'number' ? String(top.adminAccountId) : top.adminAccountId,
      ACCOUNT_ID,
      '12 digits',
    );
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
      const accountId = c.string(
        [...p, 'accountId'],
        typeof key.accountId === 'number' ? String(key.accountId) : key.accountId,
        ACCOUNT_ID,
        '12 digits',
      );
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
  if (top.tamperResponse !== undefined) {
    const t = c.object(['tamperResponse'], top.tamperResponse, ['containment']);
    scenario.tamperResponse =
      t.containment === undefined
        ? {}
        : {
            containment: c.oneOf(['tamperResponse', 'containment'], t.containment, [
              'off',
              'repeat-offenders',
              'always',
            ] as const),
          };
  }
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

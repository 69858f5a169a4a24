/**
 * Invariants every rollout must keep whatever went wrong (issue 9), checked after each fault
 * injection: every target ends with an outcome (and failed ones with a reason), the summary's
 * counts add up to its targets, nothing is created twice, and no two operations ever overlap on
 * one stack. Plus the generated organisation the fault tests play on: hundreds of targets with
 * short resource durations so a rollout simulates in seconds.
 *
 * Checks return a list of readable violations (empty = fine) so a failing test says which
 * target broke which rule instead of "expected true".
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { RolloutSummary, RolloutSummaryDocument, TargetResult } from '../../src/core/summary';
import { cfnSection, type StackRecord } from '../../src/sandbox/cfn/state';
import { validateScenario } from '../../src/sandbox/scenario';
import type { Scenario, ScenarioFaults } from '../../src/sandbox/scenario-types';
import type { RunResult, SandboxHarness } from './sandbox-harness';

/** Outcomes a deploy rollout may report for a target. */
const DEPLOY_OUTCOMES = new Set(['CREATED', 'UPDATED', 'NO_CHANGE', 'FAILED', 'SKIPPED', 'NOT_STARTED']);
/** Outcomes that say something did not happen, so a reason must say why. */
const NEEDS_REASON = new Set(['FAILED', 'SKIPPED', 'NOT_STARTED']);

export const FLEET_MANAGEMENT = '100000000000';
export const FLEET_ROLE = 'StackFleetExecution';
export const FLEET_EXTERNAL_ID = 'stackfleet-fault-external';
/** Two default regions and an opt-in one every member enabled (only opt-in regions can be disabled). */
export const FLEET_REGIONS = ['eu-west-1', 'us-east-1', 'af-south-1'] as const;
const FLEET_DEFAULT_REGIONS = ['eu-west-1', 'us-east-1'];
const FLEET_OPT_IN_REGIONS = ['af-south-1'];

/** The id of member account `i` (1-based) of the generated fleet. */
export function fleetAccount(i: number): string {
  return String(100_000_000_000 + i);
}

export interface FleetOptions {
  /** Member accounts (the management account is extra and not targeted). @default 80 */
  accounts?: number;
  /** Default regions. @default eu-west-1, us-east-1 (af-south-1 is opt-in, enabled everywhere) */
  regions?: readonly string[];
  seed?: number;
  faults?: ScenarioFaults;
  /** @default FLEET_EXTERNAL_ID; `null` = the roles require none. */
  externalId?: string | null;
}

/**
 * A flat organisation of `accounts` members in one OU, with short resource durations (5-40 s)
 * so a rollout of a few hundred targets simulates in seconds of wall time.
 */
export function fleetScenario(options: FleetOptions = {}): Scenario {
  const count = options.accounts ?? 80;
  const accounts = [
    { id: FLEET_MANAGEMENT, name: 'management', parent: 'r-flt1' },
    ...Array.from({ length: count }, (_, i) => ({
      id: fleetAccount(i + 1),
      name: `member-${i + 1}`,
      parent: 'ou-flt1-members0',
      optInRegionsEnabled: [...FLEET_OPT_IN_REGIONS],
    })),
  ];
  const externalId = options.externalId === undefined ? FLEET_EXTERNAL_ID : options.externalId;
  return validateScenario({
    seed: options.seed ?? 9,
    organization: {
      id: 'o-fleet00001',
      managementAccountId: FLEET_MANAGEMENT,
      rootId: 'r-flt1',
      ous: [{ id: 'ou-flt1-members0', name: 'Members', parent: 'r-flt1' }],
      accounts,
    },
    regions: [...(options.regions ?? FLEET_DEFAULT_REGIONS)],
    optInRegions: [...FLEET_OPT_IN_REGIONS],
    executionRoleName: FLEET_ROLE,
    ...(externalId === null ? {} : { externalId }),
    durations: { default: [5, 20], 'AWS::KMS::Key': [20, 40] },
    faults: options.faults ?? {},
  });
}

/**
 * A small template (a key, a topic, a log group) whose parameter lets a test make a real update.
 * Only what the bootstrap's CloudFormation service role may create (templates/execution-role.yaml),
 * as on AWS: a key carrying the baseline's tag (CreateOnlyTaggedKeys), a topic and a log group that
 * take their names from the stack, so the stack's name must start with the StackNamePrefix.
 */
export function fleetTemplate(marker = 'v1'): string {
  return `AWSTemplateFormatVersion: '2010-09-09'
Description: stackfleet fault-injection template
Parameters:
  Marker:
    Type: String
    Default: ${marker}
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: !Sub 'fleet key \${Marker}'
      Tags:
        - { Key: 'stackfleet:managed-key', Value: baseline }
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: !Ref Marker
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 7
`;
}

/** Account/region keys of every target in a summary document. */
export function targetKeys(document: RolloutSummaryDocument): string[] {
  return document.targets.map((t) => `${t.accountId}/${t.region}`);
}

/** Reads `summary.json` of a finished rollout from the artifact bucket (through the real S3 client). */
export async function readSummaryDocument(h: SandboxHarness, key: string): Promise<RolloutSummaryDocument> {
  const bucket = h.admin?.artifactBucket as string;
  const text = await h.virtual(async () => {
    const out = await h.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await out.Body?.transformToString()) as string;
  });
  return JSON.parse(text) as RolloutSummaryDocument;
}

/** The summary key of a run: from its output when it succeeded, else the fixed layout. */
export function summaryKeyOf(run: RunResult, rolloutId: string): string {
  const output = run.output as RolloutSummary | undefined;
  return output?.summaryKey ?? `rollouts/${rolloutId}/summary.json`;
}

/**
 * Every target has exactly one entry, a known outcome, a reason when it failed/was skipped/never
 * started, an error name when it failed; counts equal the targets; `expectedTargets` (when given)
 * are exactly the targets listed.
 */
export function summaryViolations(
  document: RolloutSummaryDocument,
  expectedTargets?: readonly string[],
): string[] {
  const problems: string[] = [];
  const keys = targetKeys(document);
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) problems.push(`${key} is listed twice in the summary`);
    seen.add(key);
  }
  if (expectedTargets) {
    const expected = new Set(expectedTargets);
    for (const key of expected) if (!seen.has(key)) problems.push(`${key} has no outcome in the summary`);
    for (const key of seen)
      if (!expected.has(key)) problems.push(`${key} is in the summary but was not a target`);
  }
  for (const t of document.targets) {
    const key = `${t.accountId}/${t.region}`;
    if (!DEPLOY_OUTCOMES.has(t.outcome))
      problems.push(`${key} ended with unknown outcome ${String(t.outcome)}`);
    if (NEEDS_REASON.has(t.outcome) && !(typeof t.reason === 'string' && t.reason.trim().length > 0))
      problems.push(`${key} is ${t.outcome} without a reason`);
    if (t.outcome === 'FAILED' && !t.error) problems.push(`${key} FAILED without an error name`);
    if (t.outcome === 'FAILED' && /\n\s+at /.test(t.reason ?? ''))
      problems.push(`${key} reason carries a stack trace: ${t.reason}`);
  }
  const counted = Object.values(document.counts).reduce((a, b) => a + b, 0);
  if (counted !== document.targets.length)
    problems.push(`counts add up to ${counted} but the summary lists ${document.targets.length} targets`);
  if (document.total !== document.targets.length)
    problems.push(`total is ${document.total} but the summary lists ${document.targets.length} targets`);
  for (const [outcome, n] of Object.entries(document.counts)) {
    const actual = document.targets.filter((t) => t.outcome === outcome).length;
    if (actual !== n) problems.push(`counts.${outcome} is ${n} but ${actual} targets have that outcome`);
  }
  const failed = document.targets.filter((t) => t.outcome === 'FAILED').length;
  if (document.failureCount !== failed)
    problems.push(`failureCount is ${document.failureCount} but ${failed} targets FAILED`);
  return problems;
}

/** Every stack the sandbox ever made called `stackName`, by account/region. */
export function stacksByTarget(h: SandboxHarness, stackName: string): Map<string, StackRecord[]> {
  const out = new Map<string, StackRecord[]>();
  for (const [key, target] of Object.entries(cfnSection(h.sandbox.world).targets)) {
    const stacks = Object.values(target.stacks).filter((s) => s.stackName === stackName);
    if (stacks.length > 0)
      out.set(
        key,
        stacks.sort((a, b) => a.createdAt - b.createdAt),
      );
  }
  return out;
}

/**
 * Nothing created twice and nothing interleaved: per account/region at most one live stack of
 * the name, every earlier one deleted (by someone) before the next was created; each stack
 * created once; no operation on a stack starts before the previous one ended (operations made
 * out of band by a test, which take no time, are left out).
 */
export function stackViolations(h: SandboxHarness, stackName: string): string[] {
  const problems: string[] = [];
  for (const [key, stacks] of stacksByTarget(h, stackName)) {
    const live = stacks.filter((s) => s.deletedAt === undefined);
    if (live.length > 1) problems.push(`${key} has ${live.length} live stacks named ${stackName}`);
    for (let i = 1; i < stacks.length; i++) {
      const before = stacks[i - 1] as StackRecord;
      const after = stacks[i] as StackRecord;
      if (before.deletedAt === undefined || before.deletedAt > after.createdAt)
        problems.push(`${key}: ${stackName} created again while ${before.stackId} still existed`);
    }
    for (const stack of stacks) {
      const creates = stack.ops.filter((op) => op.kind === 'CREATE').length;
      if (creates > 1) problems.push(`${key}: ${stack.stackId} has ${creates} CREATE operations`);
      // Operations of zero length are the sandbox's out-of-band helpers (someone deleting the
      // stack by hand, a forced status): they model people, not stackfleet, and cut the operation
      // they land in short.
      const ops = stack.ops.filter((op) => op.endAt > op.startedAt).sort((a, b) => a.startedAt - b.startedAt);
      for (let i = 1; i < ops.length; i++) {
        const prev = ops[i - 1] as (typeof ops)[number];
        const next = ops[i] as (typeof ops)[number];
        if (next.startedAt < prev.endAt)
          problems.push(
            `${key}: ${next.kind} started at ${new Date(next.startedAt).toISOString()} while ${prev.kind} ran until ${new Date(prev.endAt).toISOString()}`,
          );
      }
    }
  }
  return problems;
}

/** A re-run converged: no target FAILED or NOT_STARTED, every one CREATED/UPDATED/NO_CHANGE/SKIPPED. */
export function convergenceViolations(document: RolloutSummaryDocument): string[] {
  return document.targets
    .filter((t) => !['CREATED', 'UPDATED', 'NO_CHANGE', 'SKIPPED'].includes(t.outcome))
    .map(
      (t) => `${t.accountId}/${t.region} did not converge: ${t.outcome} ${t.error ?? ''} ${t.reason ?? ''}`,
    );
}

/** All invariants of one finished rollout: summary shape and stack history. */
export async function rolloutViolations(
  h: SandboxHarness,
  run: RunResult,
  options: { rolloutId: string; stackName: string; expectedTargets?: readonly string[] },
): Promise<{ document: RolloutSummaryDocument; problems: string[] }> {
  const document = await readSummaryDocument(h, summaryKeyOf(run, options.rolloutId));
  const problems = [
    ...summaryViolations(document, options.expectedTargets),
    ...stackViolations(h, options.stackName),
  ];
  if (run.status === 'SUCCEEDED' && (run.output as RolloutSummary).total !== document.targets.length)
    problems.push('the output summary and summary.json disagree on the number of targets');
  return { document, problems };
}

/** `account/region` keys of every target of a fleet of `accounts` members. */
export function fleetTargets(accounts: number): string[] {
  return Array.from({ length: accounts }, (_, i) => fleetAccount(i + 1)).flatMap((a) =>
    FLEET_REGIONS.map((r) => `${a}/${r}`),
  );
}

/** A deploy request over the whole fleet, fully tolerant so every fault shows as an outcome. */
export function fleetRequest(
  template: unknown,
  rolloutId: string,
  stackName: string,
  extra: Record<string, unknown> = {},
) {
  return {
    rolloutId,
    mode: 'deploy',
    template,
    stackName,
    executionRoleName: FLEET_ROLE,
    externalId: FLEET_EXTERNAL_ID,
    targets: { organizationalUnits: ['ou-flt1-members0'], regions: [...FLEET_REGIONS] },
    maxConcurrency: 60,
    failureTolerance: { percent: 100 },
    ...extra,
  };
}

/** A finished fleet rollout with its summary document, invariant violations and outcomes by target. */
export interface FleetRollout {
  run: RunResult;
  document: RolloutSummaryDocument;
  problems: string[];
  byKey: Map<string, TargetResult>;
}

/** Runs a fleet rollout and checks every invariant against the expected targets. */
export async function fleetRollout(
  h: SandboxHarness,
  template: unknown,
  rolloutId: string,
  options: { stackName: string; expectedTargets: readonly string[]; extra?: Record<string, unknown> },
): Promise<FleetRollout> {
  const run = await h.runRollout(fleetRequest(template, rolloutId, options.stackName, options.extra));
  const { document, problems } = await rolloutViolations(h, run, {
    rolloutId,
    stackName: options.stackName,
    expectedTargets: options.expectedTargets,
  });
  const byKey = new Map(document.targets.map((t) => [`${t.accountId}/${t.region}`, t]));
  return { run, document, problems, byKey };
}

/** The outcome of one target (`account/region`), or a clear error when it has none. */
export function outcomeOf(r: FleetRollout, key: string): TargetResult {
  const t = r.byKey.get(key);
  if (!t) throw new Error(`no outcome for ${key}`);
  return t;
}

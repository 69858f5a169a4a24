/**
 * The benchmark organisation: enough member accounts for N account x region targets, with
 * stack durations that spread like real ones (most 1-3 minutes, a tail to about 15).
 *
 * The spread comes from the sandbox's own per-resource duration ranges (each resource of each
 * stack draws its own time, deterministically from the seed) and from the baseline's
 * `EnableConfig` switch: a small share of accounts turns AWS Config on, and the configuration
 * recorder is given a slow range, so those stacks form the tail. No sandbox change is needed:
 * the variation is ordinary rollout input (a parameter override for those accounts).
 */
import { DEFAULT_REGIONS, demoScenario } from '../../src/sandbox/scenario';
import type { Scenario, ScenarioAccount } from '../../src/sandbox/scenario-types';

/** Seed of every benchmark world: the same figures on every run. */
export const BENCH_SEED = 4242;
/** OU that holds the benchmark's member accounts. */
export const BENCH_OU = 'ou-bnch-members0';

/**
 * Resource durations of the benchmark (seconds, [min, max] drawn per resource). Typical
 * baseline stacks come out at 1-3 minutes; with Config on, the recorder adds 5-12 minutes.
 */
export const BENCH_DURATIONS: Record<string, number | [number, number]> = {
  'AWS::KMS::Key': [45, 150],
  'AWS::S3::Bucket': [15, 60],
  'AWS::CloudTrail::Trail': [20, 90],
  'AWS::Events::Rule': [15, 45],
  'AWS::Config::ConfigurationRecorder': [300, 720],
  'AWS::Config::DeliveryChannel': [20, 60],
};

export interface BenchWorld {
  scenario: Scenario;
  regions: string[];
  /** Member account ids in manifest order. */
  accounts: string[];
  /** Accounts that run AWS Config (the slow tail). */
  slowAccounts: string[];
  /** Rollout parameters and overrides that give the slow accounts their Config recorder. */
  parameters: Record<string, string>;
  parameterOverrides: Array<{ accounts: string[]; parameters: Record<string, string> }>;
}

/** Deterministic value in [0, 1) for a text (FNV-1a, mixed), so slow choices do not depend on the engine. */
export function unitHash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  h ^= h >>> 13;
  h = Math.imul(h, 0x5bd1e995);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

/**
 * An organisation for `targets` targets (4 regions per account) where `slowShare` of the
 * accounts (default 5%) run the slow Config recorder.
 */
export function benchWorld(targets: number, slowShare = 0.05): BenchWorld {
  if (!Number.isInteger(targets) || targets < 1)
    throw new Error(`targets must be a whole number of at least 1. Received: ${targets}`);
  if (!(slowShare >= 0 && slowShare <= 1))
    throw new Error(`slowShare must be between 0 and 1. Received: ${slowShare}`);
  const base = demoScenario();
  const regions = [...DEFAULT_REGIONS];
  const accountCount = Math.ceil(targets / regions.length);
  const root = base.organization.rootId;
  const scenarioAccounts: ScenarioAccount[] = [
    { id: base.organization.managementAccountId, name: 'management', parent: root },
  ];
  const accounts: string[] = [];
  const slowAccounts: string[] = [];
  for (let i = 1; i <= accountCount; i++) {
    const id = String(300000000000 + i);
    accounts.push(id);
    if (unitHash(`${BENCH_SEED}:${id}`) < slowShare) slowAccounts.push(id);
    scenarioAccounts.push({
      id,
      name: `member-${i}`,
      parent: BENCH_OU,
      email: `aws+member-${i}@example.com`,
    });
  }
  const scenario: Scenario = {
    ...base,
    seed: BENCH_SEED,
    regions,
    optInRegions: [],
    organization: {
      ...base.organization,
      ous: [{ id: BENCH_OU, name: 'Members', parent: root }],
      accounts: scenarioAccounts,
      // The demo's SCP names a demo account; the bench organisation keeps AWS's default (FullAWSAccess).
      policies: [],
    },
    durations: { ...base.durations, ...BENCH_DURATIONS },
    faults: {},
  };
  return {
    scenario,
    regions,
    accounts,
    slowAccounts,
    parameters: { EnableConfig: 'false' },
    parameterOverrides: slowAccounts.length
      ? [{ accounts: slowAccounts, parameters: { EnableConfig: 'true' } }]
      : [],
  };
}

/**
 * `npm run bench:state`: saves and loads sandbox worlds of 10,000 and 100,000 targets through
 * the state folder (src/sandbox/store), and prints their size on disk, save and load times and
 * peak memory. Figures, not pass/fail.
 *
 * The worlds are made from a real rollout of a few dozen targets on the benchmark organisation
 * (scripts/bench/scenario.ts): its CloudFormation targets, per-target executions, Distributed
 * Map children and rollout artifacts are repeated, renamed, up to N targets, so every record
 * has the shape and size a real rollout gives it (a 10,000-target rollout takes about a minute
 * to run; a 100,000-target one is out of reach of one machine's memory, its state is not).
 * Loading runs in a fresh process, so its peak memory is the load's alone.
 *
 *   npm run bench:state                          # 10,000 and 100,000 targets
 *   npm run bench:state -- --targets 10000 --json
 *
 * BENCH_STATE_HEAP_MB sets the loading process's V8 heap limit (default 16384: a loaded
 * 100,000-target world holds several GB of execution histories). BENCH_STATE_NODE_FLAGS are
 * its other Node flags (default `--max-semi-space-size=64`: with V8's default young generation,
 * promoting millions of freshly parsed records makes loading 30,000 targets take 3.7x as long;
 * pass an empty value to measure that).
 */
import '../src/core/polyfills';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredExecution } from '../src/engine/types';
import type { S3State } from '../src/sandbox/services/s3';
import { SandboxStore } from '../src/sandbox/store';
import { openSandboxHarness } from '../test/helpers/sandbox-harness';
import { benchWorld } from './bench/scenario';

const SEED_TARGETS = 40;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

interface Figures {
  targets: number;
  bytesOnDisk: number;
  parts: number;
  records: number;
  saveSeconds: number;
  savePeakRssMb: number;
  loadSeconds: number;
  loadPeakRssMb: number;
  loadHeapMb: number;
  /** Saving the loaded world again, unchanged: everything is serialised and hashed, nothing written. */
  resaveUnchangedSeconds: number;
  resavePartsWritten: number;
}

function seconds(since: bigint): number {
  return Number((Number(process.hrtime.bigint() - since) / 1e9).toFixed(2));
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function folderBytes(dir: string): { bytes: number; parts: number } {
  let bytes = 0;
  let parts = 0;
  for (const name of readdirSync(dir, { recursive: true }).map(String)) {
    const info = statSync(join(dir, name));
    if (info.isFile()) {
      bytes += info.size;
      if (name.startsWith('parts/')) parts += 1;
    }
  }
  return { bytes, parts };
}

/** A real rollout of SEED_TARGETS targets: the records the synthetic worlds are made of. */
async function seedWorld() {
  const world = benchWorld(SEED_TARGETS);
  const h = await openSandboxHarness({ scenario: world.scenario });
  const run = await h.runRollout({
    mode: 'deploy',
    stackName: 'stackfleet-baseline',
    executionRoleName: world.scenario.executionRoleName,
    template: h.template,
    parameters: world.parameters,
    parameterOverrides: world.parameterOverrides,
    capabilities: ['CAPABILITY_NAMED_IAM'],
    maxConcurrency: 1000,
    failureTolerance: { percent: 10 },
    targets: {
      organizationalUnits: [world.scenario.organization.ous[0]?.id as string],
      regions: world.regions,
    },
  });
  if (run.status !== 'SUCCEEDED') throw new Error(`the seed rollout ended ${run.status}: ${run.cause ?? ''}`);
  return {
    state: h.sandbox.world.state as Record<string, Record<string, unknown>>,
    scenario: world.scenario,
  };
}

/**
 * N targets' worth of state from the seed: records are shallow copies with new names that share
 * their large members (histories) with the seed, so building costs little memory; saving writes
 * every copy in full, as a real world of N targets would be written.
 */
function scaleWorld(seed: Record<string, Record<string, unknown>>, targets: number): Record<string, unknown> {
  const sf = seed.stepfunctions as { executions: Record<string, StoredExecution> } & Record<string, unknown>;
  const all = Object.values(sf.executions);
  const perTarget = all.filter((e) => e.parentExecutionArn && !e.mapRunArn);
  const mapChildren = all.filter((e) => e.mapRunArn);
  const others = all.filter((e) => !perTarget.includes(e) && !mapChildren.includes(e));
  const executions: Record<string, StoredExecution> = {};
  for (const e of others) executions[e.executionArn] = e;
  const childCount = Math.max(1, Math.round((mapChildren.length * targets) / perTarget.length));
  for (let i = 0; i < childCount; i++) {
    const e = mapChildren[i % mapChildren.length] as StoredExecution;
    const copy = { ...e, name: `${e.name}-${i}`, executionArn: `${e.executionArn}-${i}` };
    executions[copy.executionArn] = copy;
  }
  for (let i = 0; i < targets; i++) {
    const e = perTarget[i % perTarget.length] as StoredExecution;
    const account = `4${String(i).padStart(11, '0')}`;
    const copy = {
      ...e,
      name: `${e.name}-${i}`,
      executionArn: `${e.executionArn}-${i}`,
      input: e.input.replace(/"accountId":"\d{12}"/, `"accountId":"${account}"`),
    };
    executions[copy.executionArn] = copy;
  }
  const cfn = seed.cloudformation as { targets: Record<string, unknown> } & Record<string, unknown>;
  const seedTargets = Object.values(cfn.targets);
  const cfnTargets: Record<string, unknown> = {};
  for (let i = 0; i < targets; i++)
    cfnTargets[`4${String(i).padStart(11, '0')}/r-${i % 4}`] = seedTargets[i % seedTargets.length];
  const s3 = structuredClone(seed.s3) as unknown as S3State;
  for (const bucket of Object.values(s3.buckets)) {
    for (const versions of Object.values(bucket.objects)) {
      for (const v of versions) {
        if (v.body === undefined) continue;
        const text = Buffer.from(v.body, 'base64');
        const times = Math.max(1, Math.round(targets / SEED_TARGETS));
        v.body = Buffer.concat(Array.from({ length: times }, () => text)).toString('base64');
      }
    }
  }
  return {
    ...seed,
    stepfunctions: { ...sf, executions },
    cloudformation: { ...cfn, targets: cfnTargets },
    s3,
  };
}

/** In a fresh process: load the folder, then save it again unchanged. */
async function loadChild(dir: string): Promise<void> {
  const started = process.hrtime.bigint();
  const store = new SandboxStore(dir);
  const loaded = await store.load();
  const loadSeconds = seconds(started);
  const heap = Math.round(process.memoryUsage().heapUsed / 1024 / 1024);
  const loadPeak = peakRssMb();
  const again = process.hrtime.bigint();
  const resave = await store.save(loaded.meta!, loaded.sections);
  process.stdout.write(
    `${JSON.stringify({ loadSeconds, loadPeakRssMb: loadPeak, loadHeapMb: heap, resaveUnchangedSeconds: seconds(again), resavePartsWritten: resave.partsWritten })}\n`,
  );
}

async function bench(seed: Awaited<ReturnType<typeof seedWorld>>, targets: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), `sf-bench-state-${targets}-`));
  try {
    const sections = scaleWorld(seed.state, targets);
    const store = new SandboxStore(dir);
    const started = process.hrtime.bigint();
    await store.save({ clock: Date.now(), scenario: seed.scenario }, sections);
    const saveSeconds = seconds(started);
    const savePeakRssMb = peakRssMb();
    const { bytes, parts } = folderBytes(dir);
    const manifest = (await new SandboxStore(dir).inspect()).pointer;
    const records = manifest ? countRecords(dir, manifest.manifest as string) : 0;
    process.stderr.write(
      `bench:state: ${targets} targets saved (${(bytes / 1e6).toFixed(0)} MB); loading...\n`,
    );
    const child = spawnSync(
      process.execPath,
      [
        `--max-old-space-size=${process.env.BENCH_STATE_HEAP_MB ?? '16384'}`,
        ...(process.env.BENCH_STATE_NODE_FLAGS ?? '--max-semi-space-size=64').split(' ').filter(Boolean),
        '--import',
        'tsx',
        __filename,
        '--load',
        dir,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
    );
    if (child.status !== 0) throw new Error(`loading ${targets} targets failed (exit ${child.status})`);
    const loaded = JSON.parse(child.stdout.trim().split('\n').pop() as string);
    return { targets, bytesOnDisk: bytes, parts, records, saveSeconds, savePeakRssMb, ...loaded };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function countRecords(dir: string, manifestPath: string): number {
  const manifest = JSON.parse(require('node:fs').readFileSync(join(dir, manifestPath), 'utf8')) as {
    sections: Record<string, { parts: Array<{ records: number }> }>;
  };
  let n = 0;
  for (const s of Object.values(manifest.sections)) for (const p of s.parts) n += p.records;
  return n;
}

async function main(): Promise<void> {
  const load = process.argv.indexOf('--load');
  if (load >= 0) return loadChild(process.argv[load + 1] as string);
  const i = process.argv.indexOf('--targets');
  const list = (i >= 0 ? (process.argv[i + 1] ?? '') : '10000,100000').split(',').map(Number);
  for (const n of list)
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`--targets must be whole numbers. Received: ${list.join(',')}`);
  process.stderr.write(`bench:state: running the seed rollout (${SEED_TARGETS} targets)...\n`);
  const seed = await seedWorld();
  const rows: Figures[] = [];
  for (const n of list) rows.push(await bench(seed, n));
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const header = [
    'targets',
    'MB on disk',
    'parts',
    'records',
    'save s',
    'save peak RSS MB',
    'load s',
    'load peak RSS MB',
    'heap after load MB',
    're-save unchanged s',
  ];
  const lines = rows.map((r) => [
    r.targets,
    (r.bytesOnDisk / 1e6).toFixed(0),
    r.parts,
    r.records,
    r.saveSeconds,
    r.savePeakRssMb,
    r.loadSeconds,
    r.loadPeakRssMb,
    r.loadHeapMb,
    `${r.resaveUnchangedSeconds} (${r.resavePartsWritten} parts written)`,
  ]);
  process.stdout.write(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|\n`);
  for (const l of lines) process.stdout.write(`| ${l.join(' | ')} |\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:state: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});

/**
 * A synthetic rollout page of many targets (accounts x regions, grouped in OUs, some failed),
 * written as a self-contained export: the browser scale test and `npm run bench:ui` render it.
 * Outcomes follow a fixed formula so a test can tell what any cell must show.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { aslToGraph } from '../../src/ui/asl-graph';
import { layoutGraph } from '../../src/ui/layout';
import { pageScript, renderPageHtml } from '../../src/ui/page-html';
import type { ExportBundleWire, TargetRowWire } from '../../src/ui/wire';

const ROOT = path.join(__dirname, '..', '..');
export const SCALE_REGIONS = ['eu-central-1', 'eu-west-1', 'us-east-1', 'us-west-2'];
export const SCALE_OUTCOMES = ['CREATED', 'UPDATED', 'NO_CHANGE', 'FAILED', 'IN_PROGRESS'];
const OUS = ['Root/Workloads/Prod', 'Root/Workloads/Dev', 'Root/Security', 'Root/Sandbox'];

/** Account id of the i-th synthetic account. */
export const scaleAccount = (i: number) => String(300000000000 + i);
/** OU of the i-th account. */
export const scaleOu = (i: number) => OUS[i % OUS.length]!;
/** Name of the i-th account. */
export const scaleName = (i: number) => `team-${String(i).padStart(4, '0')}`;
/** The outcome the fixture gives account i in region r. */
export const scaleOutcome = (a: number, r: number) =>
  SCALE_OUTCOMES[(a * 7 + r * 3) % SCALE_OUTCOMES.length]!;

/** The export bundle of `accounts` x SCALE_REGIONS targets. */
export async function scaleBundle(accountCount: number): Promise<ExportBundleWire> {
  const graph = async (file: string, machine: string) =>
    layoutGraph(aslToGraph(readFileSync(path.join(ROOT, 'statemachines', file), 'utf8'), machine));
  const accounts = Array.from({ length: accountCount }, (_, i) => scaleAccount(i));
  const rows: TargetRowWire[] = [];
  const counts: Record<string, number> = {};
  accounts.forEach((account, a) => {
    SCALE_REGIONS.forEach((region, r) => {
      const outcome = scaleOutcome(a, r);
      counts[outcome] = (counts[outcome] ?? 0) + 1;
      rows.push([
        a,
        r,
        SCALE_OUTCOMES.indexOf(outcome),
        `${account}-${region}-scale`,
        outcome === 'FAILED' ? `Bucket in ${account} ${region} already exists` : '',
      ]);
    });
  });
  return {
    exportedAt: 0,
    definitions: {
      rollout: await graph('rollout.asl.json', 'rollout'),
      target: await graph('deploy-target.asl.json', 'deploy-target'),
    },
    rollout: {
      rollout: {
        executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:stackfleet-rollout:scale',
        name: 'scale',
        status: 'RUNNING',
        mode: 'deploy',
        stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:stackfleet-rollout',
        startDate: 0,
        now: 600_000,
        mapRuns: [],
        counts,
        total: rows.length,
        done: rows.length - (counts.IN_PROGRESS ?? 0),
        statuses: {},
      },
      targets: {
        version: 1,
        reset: true,
        accountsOffset: 0,
        accounts,
        accountNames: accounts.map((_, i) => scaleName(i)),
        accountOus: accounts.map((_, i) => scaleOu(i)),
        regionsOffset: 0,
        regions: SCALE_REGIONS,
        outcomesOffset: 0,
        outcomes: SCALE_OUTCOMES,
        executionPrefix: 'arn:aws:states:eu-west-1:111122223333:execution:stackfleet-deploy-target:',
        rows,
      },
    },
    targets: {},
  };
}

/** The self-contained HTML page of `scaleBundle(accountCount)`. */
export async function scalePageHtml(accountCount: number): Promise<string> {
  return renderPageHtml({
    config: { mode: 'static', pollMs: 0 },
    data: await scaleBundle(accountCount),
    script: await pageScript(),
    title: 'scale',
  });
}

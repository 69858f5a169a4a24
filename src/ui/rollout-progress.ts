/**
 * A rollout's own progress, for the page's header and graph: its map runs' counts and the status
 * of each state of the rollout graph.
 */
import {
  DescribeMapRunCommand,
  type HistoryEvent,
  ListMapRunsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { readHistory, type StateStatus } from './execution-history';
import type { LaidOutGraph } from './layout';
import { statusesByNode } from './target-detail';
import type { MapRunWire } from './wire';

const ms = (d: Date | undefined): number | undefined => (d ? new Date(d).getTime() : undefined);

/** The rollout's map runs (canaries, targets) with their item and execution counts. */
export async function readMapRuns(sfn: SFNClient, executionArn: string): Promise<MapRunWire[]> {
  const mapRuns: MapRunWire[] = [];
  const runs = await sfn.send(new ListMapRunsCommand({ executionArn }));
  for (const run of runs.mapRuns ?? []) {
    if (!run.mapRunArn) continue;
    const d = await sfn.send(new DescribeMapRunCommand({ mapRunArn: run.mapRunArn }));
    const wire: MapRunWire = {
      mapRunArn: run.mapRunArn,
      status: d.status ?? 'UNKNOWN',
      startDate: ms(d.startDate) ?? 0,
      itemCounts: { ...(d.itemCounts ?? {}) } as Record<string, number>,
      executionCounts: { ...(d.executionCounts ?? {}) } as Record<string, number>,
    };
    const stop = ms(d.stopDate);
    if (stop !== undefined) wire.stopDate = stop;
    if (d.maxConcurrency !== undefined) wire.maxConcurrency = d.maxConcurrency;
    mapRuns.push(wire);
  }
  return mapRuns;
}

/**
 * Node id -> status of the rollout graph. A Distributed Map's item processor runs in child
 * executions, so its inner states show the Map's own status.
 */
export function rolloutGraphStatuses(
  history: readonly HistoryEvent[],
  executionStatus: string | undefined,
  graph: LaidOutGraph,
): Record<string, StateStatus> {
  const statuses = statusesByNode(readHistory([...history], executionStatus).statuses);
  for (const node of graph.nodes) {
    if (
      node.parent &&
      statuses[node.parent] &&
      !statuses[node.id] &&
      node.type !== 'Start' &&
      node.type !== 'End'
    ) {
      statuses[node.id] = statuses[node.parent]!;
    }
  }
  return statuses;
}

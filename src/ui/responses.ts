/**
 * The tamper response's executions for the UI (issue 16: "the UI lists response executions with
 * their graph"): the latest executions of respond-to-tampering (the admin stack's
 * `RespondToTamperingStateMachineArn` output), and one execution with the machine's graph and the
 * status of each state read from its history, the same reading the per-target view uses.
 */
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { aslToGraph } from './asl-graph';
import { readHistory, type StateStatus } from './execution-history';
import { type LaidOutGraph, layoutGraph } from './layout';
import { readExecutionHistory, statusesByNode } from './target-detail';

export interface ResponseSummary {
  executionArn: string;
  name: string;
  status: string;
  startDate: number;
  stopDate?: number;
}

export interface ResponseDetail extends ResponseSummary {
  /** The machine's graph, laid out as the rollout page's graphs are (the page draws it as is). */
  graph: LaidOutGraph;
  /** Graph node id -> status, from the execution's history. */
  statuses: Record<string, StateStatus>;
  /** The execution's output (the alert's facts) when it finished. */
  output?: unknown;
}

/** The most recent response executions, newest first (one page of at most `max`). */
export async function listResponses(
  sfn: SFNClient,
  stateMachineArn: string,
  max = 50,
): Promise<ResponseSummary[]> {
  const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: max }));
  return (page.executions ?? []).map((e) => {
    const summary: ResponseSummary = {
      executionArn: e.executionArn ?? '',
      name: e.name ?? '',
      status: e.status ?? 'UNKNOWN',
      startDate: e.startDate?.getTime() ?? 0,
    };
    if (e.stopDate) summary.stopDate = e.stopDate.getTime();
    return summary;
  });
}

/** One response execution with the graph of its machine and each state's status. */
export async function loadResponseDetail(sfn: SFNClient, executionArn: string): Promise<ResponseDetail> {
  const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const machine = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: d.stateMachineArn }));
  const events = await readExecutionHistory(sfn, executionArn);
  const reading = readHistory(events, d.status);
  const detail: ResponseDetail = {
    executionArn,
    name: d.name ?? '',
    status: d.status ?? 'UNKNOWN',
    startDate: d.startDate?.getTime() ?? 0,
    graph: await layoutGraph(aslToGraph(machine.definition ?? '{}', 'respond-to-tampering')),
    statuses: statusesByNode(reading.statuses),
  };
  if (d.stopDate) detail.stopDate = d.stopDate.getTime();
  if (d.output) {
    try {
      detail.output = JSON.parse(d.output);
    } catch {
      detail.output = d.output;
    }
  }
  return detail;
}

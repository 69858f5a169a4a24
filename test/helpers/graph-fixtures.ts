/**
 * The stacks form's integration fixtures: a small organisation, the graph fixture templates
 * (test/fixtures/graph: topic -> group -> rule, plus an independent "alerts" topic), the request
 * that deploys them, and the summary a rollout wrote.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { clearCredentialCache } from '../../src/aws/assume-role';
import type { RolloutSummaryDocument, TargetResult } from '../../src/core/summary';
import { cfnSection } from '../../src/sandbox/cfn/state';
import { validateScenario } from '../../src/sandbox/scenario';
import type { Scenario } from '../../src/sandbox/scenario-types';
import { openSandboxHarness, type SandboxHarness, type TemplateLocation } from './sandbox-harness';

const FIXTURES = path.resolve(__dirname, '../fixtures/graph');

export const GRAPH_ROLE = 'StackFleetExecution';
export const GRAPH_REGIONS = ['eu-west-1', 'us-east-1'];
export const GRAPH_MEMBERS = ['210000000001', '210000000002', '210000000003', '210000000004'];

/** r-gr01: management and the members, in one OU. `extra` adds faults or quotas. */
export function graphScenario(extra: Partial<Scenario> = {}, members = GRAPH_MEMBERS): Scenario {
  return validateScenario({
    seed: 17,
    organization: {
      id: 'o-graph00001',
      managementAccountId: '210000000000',
      rootId: 'r-gr01',
      ous: [{ id: 'ou-gr01-members0', name: 'Members', parent: 'r-gr01' }],
      accounts: [
        { id: '210000000000', name: 'management', parent: 'r-gr01' },
        ...members.map((id, i) => ({ id, name: `member-${i + 1}`, parent: 'ou-gr01-members0' })),
      ],
    },
    regions: GRAPH_REGIONS,
    optInRegions: [],
    executionRoleName: GRAPH_ROLE,
    durations: { default: [5, 10], 'AWS::SNS::Topic': [20, 40], 'AWS::Logs::LogGroup': [30, 60] },
    faults: {},
    ...extra,
  });
}

export interface GraphTemplates {
  topic: TemplateLocation;
  group: TemplateLocation;
  rule: TemplateLocation;
}

export async function openGraphHarness(
  scenario: Scenario,
): Promise<{ h: SandboxHarness; t: GraphTemplates }> {
  clearCredentialCache();
  const h = await openSandboxHarness({ scenario });
  const up = (name: string) =>
    h.uploadTemplate(
      readFileSync(path.join(FIXTURES, `${name}.yaml`), 'utf8'),
      `templates/graph/${name}.yaml`,
    );
  return { h, t: { topic: await up('topic'), group: await up('group'), rule: await up('rule') } };
}

/** topic -> group -> rule (outputs flowing down), and `alerts` (another topic) beside them. */
export function graphRequest(
  t: GraphTemplates,
  rolloutId: string,
  extra: Record<string, unknown> = {},
  groupParameters: Record<string, unknown> = {},
) {
  return {
    rolloutId,
    mode: 'deploy',
    executionRoleName: GRAPH_ROLE,
    stacks: [
      { name: 'topic', stackName: 'stackfleet-topic', template: t.topic },
      {
        name: 'group',
        stackName: 'stackfleet-group',
        template: t.group,
        dependsOn: ['topic'],
        parameters: { TopicArn: { fromStack: 'topic', output: 'TopicArn' }, ...groupParameters },
      },
      {
        name: 'rule',
        stackName: 'stackfleet-rule',
        template: t.rule,
        dependsOn: ['group'],
        parameters: {
          TopicArn: { fromStack: 'topic', output: 'TopicArn' },
          GroupName: { fromStack: 'group', output: 'GroupName' },
          GroupLabel: { fromStack: 'group', output: 'Label' },
        },
      },
      { name: 'alerts', stackName: 'stackfleet-alerts', template: t.topic },
    ],
    targets: { organizationalUnits: ['ou-gr01-members0'], regions: GRAPH_REGIONS },
    maxConcurrency: 100,
    ...extra,
  };
}

export async function readSummary(h: SandboxHarness, rolloutId: string): Promise<RolloutSummaryDocument> {
  const object = await h.virtual(() =>
    h.s3.send(
      new GetObjectCommand({ Bucket: h.admin!.artifactBucket, Key: `rollouts/${rolloutId}/summary.json` }),
    ),
  );
  return JSON.parse((await object.Body?.transformToString()) ?? '{}') as RolloutSummaryDocument;
}

/** The summary's result of one stack in one target. */
export function resultOf(
  summary: RolloutSummaryDocument,
  accountId: string,
  region: string,
  stack: string,
): TargetResult {
  const found = summary.targets.find(
    (t) => t.accountId === accountId && t.region === region && t.stack === stack,
  );
  if (!found) throw new Error(`no result for ${stack} in ${accountId} ${region}`);
  return found;
}

/** A stack's deployed parameters and outputs in a member account, read from the sandbox's state. */
export function memberStack(h: SandboxHarness, accountId: string, region: string, stackName: string) {
  const target = cfnSection(h.sandbox.world).targets[`${accountId}/${region}`];
  const id = target?.byName[stackName];
  const stack = id ? target?.stacks[id] : undefined;
  if (!stack) throw new Error(`no stack ${stackName} in ${accountId} ${region}`);
  return {
    status: stack.status,
    parameters: stack.config.parameters,
    outputs: Object.fromEntries(stack.outputs.map((o) => [o.OutputKey, o.OutputValue])),
    operations: stack.ops.map((o) => o.kind),
  };
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli-process';
import { savedRollouts, snapshotWorld } from '../helpers/sandbox-state';

/**
 * The stacks form of the config through the CLI (issue 17): a graph the CLI cannot walk is
 * refused with exit 2 before anything starts, each problem on a line naming the field and the
 * value (a cycle, an unknown dependsOn, an output the dependency's template does not declare,
 * duplicate names); afterwards no execution was started and no template was published.
 */
const dir = mkdtempSync(join(tmpdir(), 'sf-e2e-stacks-'));
const stateDir = join(dir, 'state');
const STACKS = join(ROOT, 'examples/stacks');

/** logging -> config -> detection (as the demo), on one target; `edit` breaks it. */
function config(name: string, edit: (text: string) => string = (t) => t): string {
  const text = `stacks:
  - { name: logging, stackName: stackfleet-logging, template: ${STACKS}/logging.yaml, parameters: { HomeRegion: us-east-1 }, capabilities: [CAPABILITY_NAMED_IAM] }
  - name: config
    stackName: stackfleet-config
    template: ${STACKS}/config.yaml
    parameters:
      HomeRegion: us-east-1
      KeyArn: { fromStack: logging, output: KeyArn }
      AccessLogBucketName: { fromStack: logging, output: AccessLogBucketName }
    capabilities: [CAPABILITY_NAMED_IAM]
  - name: detection
    stackName: stackfleet-detection
    template: ${STACKS}/detection.yaml
    dependsOn: [config]
    parameters:
      AlertsTopicArn: { fromStack: logging, output: AlertsTopicArn }
      RecorderName: { fromStack: config, output: RecorderName }
    capabilities: [CAPABILITY_NAMED_IAM]
executionRoleName: StackFleetExecution
targets: { accounts: ["200000000001"], regions: [us-east-1] }
`;
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, edit(text));
  return file;
}

async function templates(): Promise<Record<string, string[]>> {
  const { objects } = await snapshotWorld(stateDir);
  return Object.fromEntries(Object.entries(objects).filter(([key]) => key.includes('/templates/')));
}

let firstId = '';
let published: Record<string, string[]>;

describe('the stacks form through the CLI', () => {
  it('deploys a valid graph, publishing each stack its template', async () => {
    const run = runCli(['rollout', '--config', config('valid'), '--json', '--state-dir', stateDir]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as {
      rolloutId: string;
      graph: { byStack: Record<string, Record<string, number>> };
    };
    firstId = doc.rolloutId;
    expect(doc.graph.byStack).toEqual({
      logging: { CREATED: 1 },
      config: { CREATED: 1 },
      detection: { CREATED: 1 },
    });
    published = await templates();
    expect(Object.keys(published)).toHaveLength(3);
  }, 240_000);

  it.each([
    [
      'a dependency cycle',
      (t: string) =>
        t.replace('parameters: { HomeRegion', 'dependsOn: [detection], parameters: { HomeRegion'),
      [
        'stacks[0].dependsOn must not form a cycle: logging -> detection -> config -> logging (fromStack parameters count as dependencies). Received: ["detection"]',
      ],
    ],
    [
      'an unknown dependsOn',
      (t: string) => t.replace('dependsOn: [config]', 'dependsOn: [confg]'),
      [
        'stacks[2].dependsOn[0] must name a stack of this rollout (logging, config, detection). Received: confg',
      ],
    ],
    [
      'an output the dependency does not declare',
      (t: string) => t.replace('output: RecorderName', 'output: RecorderArn'),
      [
        'stacks[2].parameters.RecorderName.output must be an output the template of config declares (RecorderName, ConfigBucketName). Received: RecorderArn',
      ],
    ],
    [
      'duplicate stack names',
      (t: string) => t.replace('name: detection', 'name: config'),
      ['stacks[2].name must be unique: stacks[1] is also named config. Received: config'],
    ],
  ] as Array<[string, (t: string) => string, string[]]>)('refuses %s with exit 2', (what, edit, messages) => {
    const file = config(what.replace(/\W+/g, '-'), edit);
    const run = runCli(['rollout', '--config', file, '--state-dir', stateDir]);
    expect(run.code).toBe(2);
    for (const message of messages) expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/internal error|Starting deploy|"errorType"/);
    expect(run.stdout).toBe('');
  });

  it("--regions narrows the demo's graph: a stack whose regions it leaves out is not deployed, not refused", () => {
    const run = runCli([
      'rollout',
      ...['--accounts', '200000000001', '--regions', 'eu-west-1', '--json'],
      ...['--state-dir', join(dir, 'regions-state')],
    ]);
    expect(run.stderr).not.toMatch(/stackfleet: /);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as {
      graph: { byStack: Record<string, Record<string, number>> };
      targets: Array<{ stack: string; region: string }>;
    };
    // account-guard is us-east-1 only (examples/rollout.yaml): it runs nowhere here.
    expect(doc.graph.byStack).toEqual({
      logging: { CREATED: 1 },
      config: { CREATED: 1 },
      detection: { CREATED: 1 },
    });
    expect(doc.targets.map((t) => `${t.stack} ${t.region}`).sort()).toEqual([
      'config eu-west-1',
      'detection eu-west-1',
      'logging eu-west-1',
    ]);
  }, 240_000);

  it('left no execution started and no template published after the refusals', async () => {
    expect(await savedRollouts(stateDir)).toEqual([firstId]);
    expect(await templates()).toEqual(published);
  });
});

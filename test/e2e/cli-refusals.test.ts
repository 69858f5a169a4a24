import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli-process';
import { savedRollouts, snapshotWorld } from '../helpers/sandbox-state';

/**
 * The CLI does exactly what it was asked and refuses the rest before anything starts. Target
 * flags replace the config's selection (they used to add to it: `--accounts 200000000001`
 * deployed to all 29 accounts of the demo's OUs). Every bad input that needs the organisation or
 * the template to be found out exits 2 with one line naming the field and the value, and
 * afterwards no execution was started and no template was published.
 */
const dir = mkdtempSync(join(tmpdir(), 'sf-e2e-refusals-'));
const stateDir = join(dir, 'state');
const sandbox = ['--state-dir', stateDir];
const BASELINE = join(ROOT, 'templates/baseline.yaml');
const one = ['--accounts', '200000000001', '--regions', 'us-east-1'];

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Template object versions in the sandbox's buckets: a refused rollout publishes none. */
async function templates(): Promise<Record<string, string[]>> {
  const { objects } = await snapshotWorld(stateDir);
  return Object.fromEntries(Object.entries(objects).filter(([key]) => key.includes('/templates/')));
}

let firstId = '';
let published: Record<string, string[]>;

describe('target flags replace the config selection', () => {
  it('--accounts and --regions reach exactly that account and region, as the first lines say', async () => {
    const run = runCli(['rollout', ...one, '--json', ...sandbox]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as {
      rolloutId: string;
      targets: Array<{ accountId: string; region: string }>;
    };
    firstId = doc.rolloutId;
    // The demo is a graph of stacks: one result per stack, all in that one target.
    expect([...new Set(doc.targets.map((t) => `${t.accountId} ${t.region}`))]).toEqual([
      '200000000001 us-east-1',
    ]);
    const [backend, targets, resolved] = run.stderr.split('\n');
    expect(backend).toBe(
      `Backend: the sandbox (30 accounts, new world from the built-in demo organisation, state in ${stateDir}); admin account 111122223333, region us-east-1`,
    );
    expect(targets).toBe(
      'Targets: accounts 200000000001 (from --accounts); regions us-east-1 (from --regions)',
    );
    expect(resolved).toBe('Resolved: 1 account x 1 region = 1 target, 0 skipped');
    expect(await savedRollouts(stateDir)).toEqual([firstId]);
    published = await templates();
    // One template per stack of the demo (examples/rollout.yaml).
    expect(Object.keys(published)).toHaveLength(4);
  }, 120_000);
});

describe('bad input that needs the organisation or the template exits 2 before anything starts', () => {
  const capabilityAndParameter = write(
    'undeclared.yaml',
    `template: ${BASELINE}\nstackName: stackfleet-baseline\nparameters: { HomeRegion: us-east-1, Colour: blue }\ntargets: { accounts: ["200000000001"], regions: [us-east-1] }\n`,
  );
  const unknownType = write('unknown-type.yaml', 'Resources:\n  Logs: {Type: AWS::S3::Buckett}\n');
  const cycle = write(
    'cycle.yaml',
    'Resources:\n  A: {Type: AWS::SNS::Topic, Properties: {TopicName: !GetAtt B.TopicName}}\n  B: {Type: AWS::SNS::Topic, DependsOn: A}\n',
  );

  it.each([
    [
      'an account the organisation lacks',
      ['--accounts', '999999999999', '--regions', 'us-east-1'],
      [
        'targets.accounts[0] must be an account of the organisation. Received: 999999999999 (from --accounts)',
      ],
    ],
    [
      'an OU the organisation lacks',
      ['--ous', 'ou-sf01-nothere1', '--regions', 'us-east-1'],
      [
        'targets.organizationalUnits[0] must be an OU or root of the organisation (root r-sf01). Received: ou-sf01-nothere1 (from --ous)',
      ],
    ],
    [
      'a region the partition lacks',
      ['--accounts', '200000000001', '--regions', 'me-central-1'],
      [
        'targets.regions[0] must be a region of this partition (af-south-1, ap-southeast-2, eu-central-1, eu-west-1, us-east-1). Received: me-central-1 (from --regions)',
      ],
    ],
    [
      'a missing s3:// template bucket',
      [...one, '--template', 's3://no-such-bucket/templates/baseline.yaml'],
      [
        '--template must name an existing template object; s3://no-such-bucket/templates/baseline.yaml was not found.',
      ],
    ],
    [
      'a template with an unknown resource type',
      [...one, '--template', unknownType],
      [
        `--template is not a template CloudFormation accepts: Template format error: Unrecognized resource types: [AWS::S3::Buckett]. Received: ${unknownType}`,
      ],
    ],
    [
      'a dependency cycle',
      [...one, '--template', cycle],
      ['--template is not a template CloudFormation accepts: Circular dependency between resources: ['],
    ],
    // Two problems found in one go: both named, one line each.
    [
      'a missing CAPABILITY_NAMED_IAM and an undeclared parameter',
      ['--config', capabilityAndParameter],
      [
        '- capabilities must include CAPABILITY_NAMED_IAM: The following resource(s) require capabilities: [AWS::IAM::Role',
        '- parameters.Colour is not a parameter of the template (it declares HomeRegion,',
      ],
    ],
    [
      'a reused rollout id',
      () => [...one, '--rollout-id', firstId],
      ['must be new for each rollout: ', 'execution names stay taken for 90 days.'],
    ],
  ] as Array<[string, string[] | (() => string[]), string[]]>)('%s', (_what, args, messages) => {
    const run = runCli(['rollout', ...(typeof args === 'function' ? args() : args), ...sandbox]);
    expect(run.code).toBe(2);
    for (const message of messages) expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/internal error|Starting deploy|"errorType"/);
    expect(run.stdout).toBe('');
  });

  it('left no execution started and no template published', async () => {
    expect(await savedRollouts(stateDir)).toEqual([firstId]);
    expect(await templates()).toEqual(published);
  });
});

import { InvalidInputError } from '../../src/core/errors';
import { RolloutDefaults, type StackGraphRollout } from '../../src/core/rollout-input';
import { parseRolloutInput, rolloutRequestOf, validateRolloutInput } from '../../src/core/rollout-validation';

/**
 * The stacks form of the rollout request: what it normalises to, and every refusal naming the
 * field and the value, before anything starts (Validate input and the CLI run this same code).
 */

const template = (key: string) => ({
  bucket: 'stackfleet-artifacts',
  key: `templates/${key}.yaml`,
  versionId: 'v1',
});

function graph(): Record<string, unknown> {
  return {
    rolloutId: 'graph-1',
    mode: 'deploy',
    executionRoleName: 'StackFleetExecution',
    tags: { Owner: 'security' },
    stacks: [
      {
        name: 'logging',
        stackName: 'stackfleet-logging',
        template: template('logging'),
        parameters: { Days: 30 },
      },
      {
        name: 'config',
        stackName: 'stackfleet-config',
        template: template('config'),
        dependsOn: ['logging'],
        parameters: { Bucket: { fromStack: 'logging', output: 'BucketName' } },
        tags: { Team: 'config' },
      },
      {
        name: 'detection',
        stackName: 'stackfleet-detection',
        template: template('detection'),
        parameters: { Recorder: { fromStack: 'config', output: 'RecorderName' } },
        regions: ['eu-west-1'],
      },
    ],
    targets: { accounts: ['111122223333'], regions: ['eu-west-1', 'us-east-1'] },
  };
}

function withChange(change: (r: Record<string, unknown>) => void): Record<string, unknown> {
  const r = graph();
  change(r);
  return r;
}
// biome-ignore lint/suspicious/noExplicitAny: editing arbitrary request JSON in table cases
const stacksOf = (r: Record<string, unknown>) => r.stacks as any[];

describe('the stacks form, accepted', () => {
  it('normalises every stack: literal and output-fed parameters apart, fromStack implying dependsOn, tags merged', () => {
    const input = parseRolloutInput(graph()) as StackGraphRollout;
    expect(input.maxStacksPerTarget).toBe(RolloutDefaults.maxStacksPerTarget);
    expect(input.stacks.map((s) => [s.name, s.dependsOn])).toEqual([
      ['logging', []],
      ['config', ['logging']],
      ['detection', ['config']],
    ]);
    expect(input.stacks[0]?.parameters).toEqual({ Days: '30' });
    expect(input.stacks[1]).toMatchObject({
      parameters: {},
      outputParameters: { Bucket: { fromStack: 'logging', output: 'BucketName' } },
      tags: { Owner: 'security', Team: 'config' },
    });
    expect(input.stacks[2]?.regions).toEqual(['eu-west-1']);
    expect(input.template).toBeUndefined();
  });

  it('reads back the same from the request it gives (what the CLI starts the rollout with)', () => {
    const input = parseRolloutInput(graph());
    expect(parseRolloutInput(JSON.parse(JSON.stringify(rolloutRequestOf(input))))).toEqual(input);
  });

  it('keeps the one-template form valid: it has no stacks', () => {
    const { input } = validateRolloutInput({
      rolloutId: 'one',
      mode: 'deploy',
      template: template('baseline'),
      stackName: 'stackfleet-baseline',
      executionRoleName: 'StackFleetExecution',
      targets: { accounts: ['111122223333'] },
    });
    expect(input?.stacks).toBeUndefined();
    expect(input?.stackName).toBe('stackfleet-baseline');
  });
});

describe('the stacks form, refused before anything starts, naming the field and the value', () => {
  const cases: Array<[string, (r: Record<string, unknown>) => void, string, string]> = [
    [
      'a cycle',
      (r) => {
        stacksOf(r)[0].dependsOn = ['detection'];
      },
      'stacks[0].dependsOn',
      'must not form a cycle: logging -> detection -> config -> logging',
    ],
    [
      'a stack that depends on itself',
      (r) => {
        stacksOf(r)[1].dependsOn = ['config'];
      },
      'stacks[1].dependsOn[0]',
      'a stack cannot depend on itself. Received: config',
    ],
    [
      'an unknown dependsOn name',
      (r) => {
        stacksOf(r)[1].dependsOn = ['loging'];
      },
      'stacks[1].dependsOn[0]',
      'must name a stack of this rollout (logging, config, detection). Received: loging',
    ],
    [
      'an unknown fromStack name',
      (r) => {
        stacksOf(r)[2].parameters.Recorder.fromStack = 'konfig';
      },
      'stacks[2].parameters.Recorder.fromStack',
      'must name a stack of this rollout (logging, config, detection). Received: konfig',
    ],
    [
      'a stack reading its own outputs',
      (r) => {
        stacksOf(r)[2].parameters.Recorder.fromStack = 'detection';
      },
      'stacks[2].parameters.Recorder.fromStack',
      'a stack cannot read its own outputs. Received: detection',
    ],
    [
      'a fromStack without output',
      (r) => {
        delete stacksOf(r)[1].parameters.Bucket.output;
      },
      'stacks[1].parameters.Bucket.output',
      'Received: (nothing)',
    ],
    [
      'two stacks of the same name',
      (r) => {
        stacksOf(r)[2].name = 'logging';
      },
      'stacks[2].name',
      'must be unique: stacks[0] is also named logging. Received: logging',
    ],
    [
      'two stacks deploying the same CloudFormation stack',
      (r) => {
        stacksOf(r)[2].stackName = 'stackfleet-logging';
      },
      'stacks[2].stackName',
      'must be unique: stacks[0] (logging) deploys a stack of the same name. Received: stackfleet-logging',
    ],
    [
      'a stack name that does not fit an execution name',
      (r) => {
        stacksOf(r)[0].name = 'logging_and_everything_else';
      },
      'stacks[0].name',
      '1-24 letters, digits or hyphens',
    ],
    [
      'the one-template fields next to stacks',
      (r) => {
        r.template = template('baseline');
      },
      'template',
      'belongs in each entry of stacks when stacks is given',
    ],
    [
      'an empty list of stacks',
      (r) => {
        r.stacks = [];
      },
      'stacks',
      'must be a list of at least one stack',
    ],
    [
      'an unknown field in a stack',
      (r) => {
        stacksOf(r)[0].dependOn = ['x'];
      },
      'stacks[0].dependOn',
      'is not a known field',
    ],
    [
      'a per-target cap of zero',
      (r) => {
        r.maxStacksPerTarget = 0;
      },
      'maxStacksPerTarget',
      'must be a whole number between 1 and 10. Received: 0',
    ],
  ];

  it.each(cases)('%s', (_name, change, field, message) => {
    const { input, issues } = validateRolloutInput(withChange(change));
    expect(input).toBeUndefined();
    expect(issues.map((i) => i.field)).toContain(field);
    expect(issues.find((i) => i.field === field)?.message).toContain(message);
    let thrown: unknown;
    try {
      parseRolloutInput(withChange(change));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidInputError);
  });

  it('refuses maxStacksPerTarget in the one-template form, where a target has one stack', () => {
    const { issues } = validateRolloutInput({
      rolloutId: 'one',
      mode: 'deploy',
      template: template('baseline'),
      stackName: 'stackfleet-baseline',
      executionRoleName: 'StackFleetExecution',
      targets: { accounts: ['111122223333'] },
      maxStacksPerTarget: 2,
    });
    expect(issues).toEqual([
      {
        field: 'maxStacksPerTarget',
        message: 'maxStacksPerTarget only applies to the stacks form (a list of stacks). Received: 2',
      },
    ]);
  });
});

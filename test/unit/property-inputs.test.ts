/**
 * Property-based tests (fast-check) of every input boundary (issue 9): the rollout input, the
 * deploy-target input and its handlers, the CLI config file, the sandbox scenario file and the
 * CLI flags. Random and malformed inputs are refused with the project's own error (InvalidInput,
 * UsageError) whose message names the field, never a TypeError or a stack trace, and the
 * handlers make no AWS call before the input passed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { handler as checkStack } from '../../functions/check-stack';
import { handler as deployStack } from '../../functions/deploy-stack';
import { handler as validateRollout } from '../../functions/validate-rollout';
import { clearCredentialCache } from '../../src/aws/assume-role';
import { applyFlags, buildRolloutInput, loadConfigFile } from '../../src/cli/config';
import { parseCommand } from '../../src/cli/options';
import { commandSpecs } from '../../src/cli/specs';
import { InvalidInputError } from '../../src/core/errors';
import { parseRolloutInput, validateRolloutInput } from '../../src/core/rollout-validation';
import { parseTargetInput } from '../../src/core/target-input';
import { parseScenario, validateScenario } from '../../src/sandbox/scenario';
import { deployTargetInput, mockDeployClients } from '../helpers/deploy-fixtures';

const RUNS = { numRuns: 200 };

/** A JS stack trace line: what a user must never see in a refusal. */
const STACK_TRACE = /\n\s+at\s/;

/** Values of the wrong type or shape for almost any field. */
const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(''),
  fc.constant(' '),
  fc.constant('__proto__'),
  fc.constant(Number.NaN),
  fc.constant(-1),
  fc.constant(1e21),
  fc.constant([]),
  fc.constant({}),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null)), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), {
    maxKeys: 3,
  }),
);

/** Sets `value` at a dotted path of a deep copy (creating objects on the way). */
function withValue(base: Record<string, unknown>, pathParts: readonly string[], value: unknown) {
  const copy = structuredClone(base);
  let node: Record<string, unknown> = copy;
  for (const part of pathParts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  const last = pathParts[pathParts.length - 1] as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

/** Runs `fn`, returning the error it threw (or undefined). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error;
  }
}

/**
 * What a handler made of an event: Lambda handlers either throw (the state machine's Catch reads
 * the error name) or, for terminal errors, return a FAILED progress record carrying the name.
 */
async function handlerRefusal(
  handler: (event: unknown) => Promise<unknown>,
  event: unknown,
): Promise<{ name?: string; text: string; threw: unknown }> {
  try {
    const returned = (await handler(event)) as
      | { status?: string; error?: string; reason?: string }
      | undefined;
    return {
      name: returned?.status === 'FAILED' ? returned.error : undefined,
      text: returned?.reason ?? JSON.stringify(returned),
      threw: undefined,
    };
  } catch (error) {
    return { name: (error as Error).name, text: (error as Error).message, threw: error };
  }
}

/** Every AWS client the functions make is mocked: a call on bad input shows up here. */
const { sts, cfn, s3 } = mockDeployClients();
const calls = () => sts.calls().length + cfn.calls().length + s3.calls().length;
afterAll(() => {
  sts.restore();
  cfn.restore();
  s3.restore();
});

// ------------------------------------------------------------------------------ rollout input

function validRollout(): Record<string, unknown> {
  return {
    rolloutId: 'prop-rollout-1',
    mode: 'deploy',
    template: { bucket: 'stackfleet-artifacts', key: 'templates/baseline.yaml', versionId: 'v1' },
    stackName: 'baseline',
    parameters: { LogRetentionDays: 365 },
    tags: { team: 'security' },
    capabilities: ['CAPABILITY_NAMED_IAM'],
    executionRoleName: 'StackFleetExecution',
    externalId: 'stackfleet-ext-1',
    targets: {
      accounts: ['111122223333'],
      organizationalUnits: ['ou-ab12-cdefgh34'],
      regions: ['eu-west-1'],
    },
    maxConcurrency: 20,
    failureTolerance: { percent: 10 },
    canaries: [{ accountId: '111122223333', region: 'eu-west-1' }],
    timeoutSeconds: 1800,
  };
}

const ROLLOUT_FIELDS: ReadonlyArray<readonly string[]> = [
  ['rolloutId'],
  ['mode'],
  ['template'],
  ['template', 'bucket'],
  ['template', 'key'],
  ['template', 'versionId'],
  ['stackName'],
  ['parameters'],
  ['tags'],
  ['capabilities'],
  ['executionRoleName'],
  ['externalId'],
  ['targets'],
  ['targets', 'accounts'],
  ['targets', 'organizationalUnits'],
  ['targets', 'regions'],
  ['targets', 'excludeAccounts'],
  ['maxConcurrency'],
  ['failureTolerance'],
  ['failureTolerance', 'percent'],
  ['canaries'],
  ['timeoutSeconds'],
  ['repair'],
];

describe('rollout input', () => {
  test('the valid base passes (so every refusal below comes from the one broken field)', () => {
    expect(validateRolloutInput(validRollout()).issues).toEqual([]);
  });

  test('any JSON value is answered with issues naming a field, never a throw', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (raw) => {
        const { input, issues } = validateRolloutInput(raw);
        if (input) return; // a random value that happens to be valid is fine
        expect(issues.length).toBeGreaterThan(0);
        for (const issue of issues) {
          expect(issue.field.length).toBeGreaterThan(0);
          expect(issue.message.startsWith(issue.field)).toBe(true);
          expect(issue.message).not.toMatch(STACK_TRACE);
        }
      }),
      RUNS,
    );
  });

  test('one field replaced by junk: refused naming that field (message says field and value), or still valid', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ROLLOUT_FIELDS), junk, (fieldPath, value) => {
        const raw = withValue(validRollout(), fieldPath, value);
        const { input, issues } = validateRolloutInput(raw);
        if (issues.length === 0) {
          expect(input).toBeDefined();
          return;
        }
        const top = fieldPath[0] as string;
        const named = issues.filter(
          (i) => i.field === top || i.field.startsWith(`${top}.`) || i.field.startsWith(`${top}[`),
        );
        expect(named.length).toBeGreaterThan(0);
        for (const issue of named) {
          expect(issue.message).toContain(issue.field.split(/[.[]/)[0] as string);
          // What was wrong is shown: the value received, or the unknown field's own (quoted) name.
          expect(issue.message).toMatch(/Received|is not a known field/);
          expect(issue.message).not.toMatch(STACK_TRACE);
        }
        const error = thrownBy(() => parseRolloutInput(raw));
        expect(error).toBeInstanceOf(InvalidInputError);
        expect((error as InvalidInputError).name).toBe('InvalidInput');
      }),
      { numRuns: 300 },
    );
  });

  test('Validate rollout refuses a broken request with InvalidInput before reading the template from S3', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROLLOUT_FIELDS), junk, async (fieldPath, value) => {
        const raw = withValue(validRollout(), fieldPath, value);
        if (validateRolloutInput(raw).issues.length === 0) return;
        sts.reset();
        cfn.reset();
        s3.reset();
        const error = await validateRollout({ request: raw } as never).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(InvalidInputError);
        expect((error as Error).message).toContain(fieldPath[0] as string);
        expect(calls()).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  test('unknown top-level fields are named, whatever they are called', () => {
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1, maxLength: 20 })
          .filter((k) => !(k in validRollout()) && k !== '__proto__' && !k.startsWith('AWS_')),
        junk,
        (name, value) => {
          const { issues } = validateRolloutInput({ ...validRollout(), [name]: value ?? 1 });
          // Named as typed, or quoted when it would not read as a name (empty, spaces, dots).
          expect(
            issues.some((i) => i.message.includes(name) || i.message.includes(JSON.stringify(name))),
          ).toBe(true);
        },
      ),
      RUNS,
    );
  });
});

// ------------------------------------------------------------------------------ deploy-target input

const TARGET_FIELDS = [
  'rolloutId',
  'mode',
  'accountId',
  'region',
  'stackName',
  'templateUrl',
  'templateVersion',
  'parameters',
  'tags',
  'capabilities',
  'executionRoleName',
  'externalId',
  'timeoutSeconds',
] as const;

/** Fields the target input must have: junk there is always refused. */
const REQUIRED_TARGET_FIELDS = new Set([
  'rolloutId',
  'accountId',
  'region',
  'stackName',
  'templateUrl',
  'executionRoleName',
]);

describe('deploy-target input and its handlers', () => {
  beforeEach(() => {
    sts.reset();
    cfn.reset();
    s3.reset();
    clearCredentialCache();
  });

  test('the valid base passes', () => {
    expect(() => parseTargetInput(deployTargetInput())).not.toThrow();
  });

  test('one field replaced by junk: InvalidInput naming the field, or accepted', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TARGET_FIELDS), junk, (field, value) => {
        const error = thrownBy(() => parseTargetInput(withValue(deployTargetInput(), [field], value)));
        if (error === undefined) return;
        expect(error).toBeInstanceOf(InvalidInputError);
        expect((error as InvalidInputError).field.split(/[.[]/)[0]).toBe(field);
        expect((error as Error).message).toContain(field);
        expect((error as Error).message).not.toMatch(STACK_TRACE);
      }),
      { numRuns: 300 },
    );
  });

  test('Deploy stack and Check stack refuse junk in a required field with InvalidInput and make no AWS call', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...REQUIRED_TARGET_FIELDS),
        junk.filter((v) => typeof v !== 'string' || v.trim() === '' || v.length > 200 || /\s/.test(v)),
        fc.constantFrom(deployStack, checkStack),
        async (field, value, handler) => {
          const before = calls();
          const refusal = await handlerRefusal(handler, withValue(deployTargetInput(), [field], value));
          expect(calls()).toBe(before);
          expect(refusal.threw === undefined || !(refusal.threw instanceof TypeError)).toBe(true);
          expect(refusal.name).toBe('InvalidInput');
          expect(refusal.text).toContain(field);
          expect(refusal.text).not.toMatch(STACK_TRACE);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('any JSON event is refused without a TypeError and without an AWS call', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constantFrom(deployStack, checkStack),
        async (event, handler) => {
          const refusal = await handlerRefusal(handler, event);
          expect(calls()).toBe(0);
          expect(refusal.name).toBe('InvalidInput');
          expect(refusal.text).not.toMatch(STACK_TRACE);
        },
      ),
      { numRuns: 150 },
    );
  });
});

// ------------------------------------------------------------------------------ CLI config file

describe('CLI config file', () => {
  let dir: string;
  let counter = 0;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stackfleet-prop-config-'));
    writeFileSync(path.join(dir, 'baseline.yaml'), 'Resources: {}\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (text: string) => {
    const file = path.join(dir, `config-${++counter}.yaml`);
    writeFileSync(file, text);
    return file;
  };
  const validConfig = () => ({
    template: './baseline.yaml',
    stackName: 'baseline',
    executionRoleName: 'StackFleetExecution',
    targets: { accounts: ['111122223333'], regions: ['eu-west-1'] },
    maxConcurrency: 5,
  });
  const TEMPLATE = { bucket: 'stackfleet-artifacts', key: 'templates/baseline.yaml', versionId: 'v1' };

  /** Loads and builds like `stackfleet rollout --config FILE` does; returns the error or undefined. */
  const tryConfig = (file: string) =>
    thrownBy(() => buildRolloutInput(loadConfigFile(file), 'deploy', 'prop-config-1', TEMPLATE));

  test('the valid base passes', () => {
    expect(tryConfig(write(toYaml(validConfig())))).toBeUndefined();
  });

  test('any text as the config file: a UsageError, never a crash', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const error = tryConfig(write(text));
        if (error === undefined) return;
        expect((error as Error).name).toBe('UsageError');
        expect((error as Error).message).not.toMatch(STACK_TRACE);
      }),
      { numRuns: 100 },
    );
  });

  test('one setting replaced by junk: a UsageError naming the setting, or accepted', () => {
    const fields: ReadonlyArray<readonly string[]> = [
      ['template'],
      ['stackName'],
      ['executionRoleName'],
      ['targets'],
      ['targets', 'accounts'],
      ['targets', 'regions'],
      ['maxConcurrency'],
      ['failureTolerance'],
      ['parameters'],
      ['rolloutId'],
      ['mode'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...fields), junk, (fieldPath, value) => {
        const config = withValue(validConfig(), fieldPath, value);
        const error = tryConfig(write(toYaml(config)));
        if (error === undefined) return;
        expect((error as Error).name).toBe('UsageError');
        expect((error as Error).message).toContain(fieldPath[0] as string);
        expect((error as Error).message).not.toMatch(STACK_TRACE);
      }),
      { numRuns: 150 },
    );
  });
});

// ------------------------------------------------------------------------------ scenario file

describe('sandbox scenario file', () => {
  const validScenario = () => ({
    seed: 1,
    organization: {
      id: 'o-abcdefghij',
      managementAccountId: '111111111111',
      rootId: 'r-abcd',
      ous: [{ id: 'ou-abcd-12345678', name: 'Members', parent: 'r-abcd' }],
      accounts: [
        { id: '111111111111', name: 'management' },
        { id: '222222222222', name: 'member', parent: 'ou-abcd-12345678' },
      ],
    },
    regions: ['eu-west-1'],
    optInRegions: ['af-south-1'],
    executionRoleName: 'StackFleetExecution',
    durations: { default: 10 },
    faults: { throttle: { rate: 0.1 } },
  });
  const fields: ReadonlyArray<readonly string[]> = [
    ['seed'],
    ['organization'],
    ['organization', 'id'],
    ['organization', 'managementAccountId'],
    ['organization', 'rootId'],
    ['organization', 'ous'],
    ['organization', 'accounts'],
    ['regions'],
    ['optInRegions'],
    ['executionRoleName'],
    ['externalId'],
    ['durations'],
    ['faults'],
    ['faults', 'throttle'],
    ['faults', 'throttle', 'rate'],
    ['faults', 'resourceFailures'],
    ['faults', 'preexistingStacks'],
    ['accessKeys'],
  ];

  test('the valid base passes', () => {
    expect(() => validateScenario(validScenario())).not.toThrow();
  });

  test('one field replaced by junk: InvalidInput naming the field, or accepted', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fields), junk, (fieldPath, value) => {
        const error = thrownBy(() => validateScenario(withValue(validScenario(), fieldPath, value)));
        if (error === undefined) return;
        expect(error).toBeInstanceOf(InvalidInputError);
        // The field, or the one that no longer fits with it (a removed rootId shows in the OU parents).
        expect((error as Error).message).toContain(fieldPath[0] as string);
        expect((error as Error).message).toMatch(/Received|required|must|not a known field/);
        expect((error as Error).message).not.toMatch(STACK_TRACE);
      }),
      { numRuns: 300 },
    );
  });

  test('any text as the scenario file: InvalidInput, never a crash', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.jsonValue({ maxDepth: 3 }).map((v) => toYaml(v)),
        ),
        (text) => {
          const error = thrownBy(() => parseScenario(text, 'prop.yaml'));
          if (error === undefined) return;
          expect(error).toBeInstanceOf(InvalidInputError);
          expect((error as Error).message).not.toMatch(STACK_TRACE);
        },
      ),
      RUNS,
    );
  });
});

// ------------------------------------------------------------------------------ CLI flags

describe('CLI flags', () => {
  const flagNames = Object.keys(commandSpecs.rollout?.options ?? {});
  const token = fc.oneof(
    fc.constantFrom(...flagNames.map((f) => `--${f}`), '-h', '--', '-', '--=', '--bogus', '-zz'),
    fc.string({ maxLength: 12 }),
    fc.integer().map(String),
    fc.constantFrom('abc', '-1', '1.5', '1e3', '', ' ', 'NaN', '100000000000000000000'),
  );

  test('any argv for any command: parsed, or a UsageError that names the command', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(commandSpecs)),
        fc.array(token, { maxLength: 8 }),
        (name, argv) => {
          const spec = commandSpecs[name];
          if (!spec) return;
          const error = thrownBy(() => parseCommand(spec, argv));
          if (error === undefined) return;
          expect((error as Error).name).toBe('UsageError');
          expect((error as Error).message).toContain(name);
          expect((error as Error).message).not.toMatch(STACK_TRACE);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('rollout flags over a valid config: applied, or a UsageError naming the flag; never a crash', () => {
    const spec = commandSpecs.rollout;
    if (!spec) throw new Error('no rollout command');
    const config = {
      request: {
        stackName: 'baseline',
        executionRoleName: 'StackFleetExecution',
        targets: { accounts: ['111122223333'], regions: ['eu-west-1'] },
      },
      template: { kind: 'file' as const, path: __filename },
      source: 'prop.yaml',
    };
    const valued = flagNames.filter((f) => spec.options[f]?.type === 'string');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...valued), fc.oneof(token, fc.string({ maxLength: 30 }))), {
          minLength: 1,
          maxLength: 4,
        }),
        (pairs) => {
          const argv = pairs.flatMap(([flag, value]) => [`--${flag}=${value}`]);
          const parsed = thrownBy(() => parseCommand(spec, argv));
          if (parsed !== undefined) {
            expect((parsed as Error).name).toBe('UsageError');
            return;
          }
          const { values } = parseCommand(spec, argv);
          const error = thrownBy(() =>
            buildRolloutInput(applyFlags(config as never, values), 'deploy', 'prop-flags-1', {
              bucket: 'stackfleet-artifacts',
              key: 'k.yaml',
            }),
          );
          if (error === undefined) return;
          expect((error as Error).name).toBe('UsageError');
          expect((error as Error).message).not.toMatch(STACK_TRACE);
          expect((error as Error).message).toMatch(/--[a-z-]+|[a-zA-Z.[\]0-9]+ (must|is|does|cannot)/);
        },
      ),
      { numRuns: 200 },
    );
  });
});

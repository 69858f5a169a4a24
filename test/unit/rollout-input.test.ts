import { ErrorNames, InvalidInputError } from '../../src/core/errors';
import {
  ALL_ENABLED_REGIONS,
  RolloutDefaults,
  RolloutLimits,
  type SingleStackRollout,
} from '../../src/core/rollout-input';
import {
  parseRolloutInput,
  rolloutIdFromExecutionName,
  validateRolloutInput,
} from '../../src/core/rollout-validation';

/** A request that passes; each case below breaks one thing. */
function validRequest(): Record<string, unknown> {
  return {
    rolloutId: '2026-11-27-baseline',
    mode: 'deploy',
    template: { bucket: 'stackfleet-artifacts', key: 'templates/baseline.yaml', versionId: 'v1' },
    stackName: 'baseline',
    parameters: { LogRetentionDays: 365 },
    tags: { team: 'security' },
    capabilities: ['CAPABILITY_NAMED_IAM'],
    executionRoleName: 'StackFleetExecutionRole',
    externalId: 'stackfleet-ext-1',
    targets: { accounts: ['111122223333'], regions: ['eu-west-1'] },
    maxConcurrency: 20,
    failureTolerance: { percent: 10 },
  };
}

function withChange(change: (r: Record<string, unknown>) => void): Record<string, unknown> {
  const r = validRequest();
  change(r);
  return r;
}

describe('validateRolloutInput: every refusal names the field and shows what it received', () => {
  const cases: Array<[string, (r: Record<string, unknown>) => void, string, string]> = [
    [
      'rolloutId with a space',
      (r) => {
        r.rolloutId = 'my rollout';
      },
      'rolloutId',
      'Received: my rollout',
    ],
    [
      'rolloutId too long for the STS session name',
      (r) => {
        r.rolloutId = 'a'.repeat(RolloutLimits.rolloutIdMaxLength + 1);
      },
      'rolloutId',
      `must be 1-${RolloutLimits.rolloutIdMaxLength}`,
    ],
    [
      'missing rolloutId',
      (r) => {
        delete r.rolloutId;
      },
      'rolloutId',
      'Received: (nothing)',
    ],
    [
      'unknown mode',
      (r) => {
        r.mode = 'apply';
      },
      'mode',
      'must be one of deploy, preview, drift. Received: apply',
    ],
    [
      'template not an object',
      (r) => {
        r.template = 's3://b/k';
      },
      'template',
      'Received: s3://b/k',
    ],
    [
      'bucket with capitals',
      (r) => {
        r.template = { bucket: 'My_Bucket', key: 'k' };
      },
      'template.bucket',
      'Received: My_Bucket',
    ],
    [
      'empty key',
      (r) => {
        r.template = { bucket: 'bucket1', key: '' };
      },
      'template.key',
      'Received: ""',
    ],
    [
      'empty versionId',
      (r) => {
        r.template = { bucket: 'bucket1', key: 'k', versionId: '' };
      },
      'template.versionId',
      'Received: ""',
    ],
    [
      'stackName starting with a digit',
      (r) => {
        r.stackName = '1baseline';
      },
      'stackName',
      'Received: 1baseline',
    ],
    [
      'parameter value that is an object',
      (r) => {
        r.parameters = { Retention: { days: 3 } };
      },
      'parameters.Retention',
      'Received: {"days":3}',
    ],
    [
      'parameter name with a dash',
      (r) => {
        r.parameters = { 'Log-Days': '3' };
      },
      'parameters.Log-Days',
      'Received: Log-Days',
    ],
    [
      'override naming neither accounts nor regions',
      (r) => {
        r.parameterOverrides = [{ parameters: { A: '1' } }];
      },
      'parameterOverrides[0]',
      'must name accounts, regions or both',
    ],
    [
      'override with a bad account id',
      (r) => {
        r.parameterOverrides = [{ accounts: ['12ab'], parameters: {} }];
      },
      'parameterOverrides[0].accounts[0]',
      'Received: 12ab',
    ],
    [
      'override without parameters',
      (r) => {
        r.parameterOverrides = [{ regions: ['eu-west-1'] }];
      },
      'parameterOverrides[0].parameters',
      'Received: (nothing)',
    ],
    [
      'reserved tag prefix',
      (r) => {
        r.tags = { 'aws:owner': 'x' };
      },
      'tags.aws:owner',
      'Received: aws:owner',
    ],
    [
      'stackfleet tag prefix',
      (r) => {
        r.tags = { 'stackfleet:rollout-id': 'x' };
      },
      'tags.stackfleet:rollout-id',
      'reserved',
    ],
    [
      'too many tags',
      (r) => {
        r.tags = Object.fromEntries(
          Array.from({ length: RolloutLimits.maxTags + 1 }, (_, i) => [`k${i}`, 'v']),
        );
      },
      'tags',
      `at most ${RolloutLimits.maxTags}`,
    ],
    [
      'unknown capability',
      (r) => {
        r.capabilities = ['CAPABILITY_ALL'];
      },
      'capabilities[0]',
      'Received: CAPABILITY_ALL',
    ],
    [
      'role name with a slash',
      (r) => {
        r.executionRoleName = 'path/Role';
      },
      'executionRoleName',
      'Received: path/Role',
    ],
    [
      'externalId of one character',
      (r) => {
        r.externalId = 'x';
      },
      'externalId',
      'Received: x',
    ],
    [
      'account id with letters',
      (r) => {
        r.targets = { accounts: ['12ab'], regions: ['eu-west-1'] };
      },
      'targets.accounts[0]',
      'must be an account id of 12 digits. Received: 12ab',
    ],
    [
      'account id given as a YAML number',
      (r) => {
        r.targets = { accounts: [11122223333], regions: ['eu-west-1'] };
      },
      'targets.accounts[0]',
      'quote it so YAML keeps it a string',
    ],
    [
      'OU id malformed',
      (r) => {
        r.targets = { organizationalUnits: ['ou-1'], regions: ['eu-west-1'] };
      },
      'targets.organizationalUnits[0]',
      'Received: ou-1',
    ],
    [
      'excluded account malformed',
      (r) => {
        r.targets = { accounts: ['111122223333'], excludeAccounts: ['abc'] };
      },
      'targets.excludeAccounts[0]',
      'Received: abc',
    ],
    [
      'includeManagementAccount as a string',
      (r) => {
        r.targets = { accounts: ['111122223333'], includeManagementAccount: 'yes' };
      },
      'targets.includeManagementAccount',
      'must be true or false. Received: yes',
    ],
    [
      'no accounts, OUs or management account',
      (r) => {
        r.targets = { regions: ['eu-west-1'] };
      },
      'targets',
      'must name accounts, organizationalUnits or includeManagementAccount',
    ],
    [
      'regions as a single string',
      (r) => {
        r.targets = { accounts: ['111122223333'], regions: 'eu-west-1' };
      },
      'targets.regions',
      `or "${ALL_ENABLED_REGIONS}". Received: eu-west-1`,
    ],
    [
      'misspelt region',
      (r) => {
        r.targets = { accounts: ['111122223333'], regions: ['eu-wset-1'] };
      },
      'targets.regions[0]',
      'Received: eu-wset-1',
    ],
    [
      'empty region list',
      (r) => {
        r.targets = { accounts: ['111122223333'], regions: [] };
      },
      'targets.regions',
      'Received: []',
    ],
    [
      'exclusions remove every region',
      (r) => {
        r.targets = { accounts: ['111122223333'], regions: ['eu-west-1'], excludeRegions: ['eu-west-1'] };
      },
      'targets.excludeRegions',
      'nothing would be deployed',
    ],
    [
      'unknown target field',
      (r) => {
        r.targets = { accounts: ['111122223333'], region: ['eu-west-1'] };
      },
      'targets.region',
      'is not a known field',
    ],
    [
      'maxConcurrency zero',
      (r) => {
        r.maxConcurrency = 0;
      },
      'maxConcurrency',
      `between 1 and ${RolloutLimits.maxConcurrency}. Received: 0`,
    ],
    [
      'maxConcurrency fractional',
      (r) => {
        r.maxConcurrency = 2.5;
      },
      'maxConcurrency',
      'Received: 2.5',
    ],
    [
      'tolerance with both count and percent',
      (r) => {
        r.failureTolerance = { count: 1, percent: 5 };
      },
      'failureTolerance',
      'exactly one of count or percent',
    ],
    [
      'negative tolerance count',
      (r) => {
        r.failureTolerance = { count: -1 };
      },
      'failureTolerance.count',
      'Received: -1',
    ],
    [
      'tolerance percent above 100',
      (r) => {
        r.failureTolerance = { percent: 150 };
      },
      'failureTolerance.percent',
      'from 0 to 100. Received: 150',
    ],
    [
      // Step Functions' ToleratedFailurePercentage is an integer (statelint): 2.5 would fail the Map.
      'a fractional tolerance percent',
      (r) => {
        r.failureTolerance = { percent: 2.5 };
      },
      'failureTolerance.percent',
      'must be a whole percentage from 0 to 100. Received: 2.5',
    ],
    [
      'canary with a bad region',
      (r) => {
        r.canaries = [{ accountId: '111122223333', region: 'moon-1' }];
      },
      'canaries[0].region',
      'Received: moon-1',
    ],
    [
      'canary outside the explicit regions',
      (r) => {
        r.canaries = [{ accountId: '111122223333', region: 'us-east-1' }];
      },
      'canaries[0].region',
      "must be one of the rollout's regions. Received: us-east-1",
    ],
    [
      'canary in an excluded account',
      (r) => {
        r.targets = { accounts: ['111122223333'], excludeAccounts: ['444455556666'], regions: ['eu-west-1'] };
        r.canaries = [{ accountId: '444455556666', region: 'eu-west-1' }];
      },
      'canaries[0].accountId',
      'targets.excludeAccounts',
    ],
    [
      'timeout below a minute',
      (r) => {
        r.timeoutSeconds = 5;
      },
      'timeoutSeconds',
      'Received: 5',
    ],
    [
      'repair outside drift mode',
      (r) => {
        r.repair = true;
      },
      'repair',
      'only applies to mode drift. Received: repair true with mode deploy',
    ],
    [
      'typo at the top level',
      (r) => {
        r.maxConcurency = 5;
      },
      'maxConcurency',
      'is not a known field',
    ],
    [
      'parameters as a list',
      (r) => {
        r.parameters = ['A=1'];
      },
      'parameters',
      'must be a map of parameter names to values. Received: ["A=1"]',
    ],
    [
      'too many parameters',
      (r) => {
        r.parameters = Object.fromEntries(
          Array.from({ length: RolloutLimits.maxParameters + 1 }, (_, i) => [`P${i}`, '1']),
        );
      },
      'parameters',
      `at most ${RolloutLimits.maxParameters} parameters`,
    ],
    [
      'tags as a list',
      (r) => {
        r.tags = ['team=security'];
      },
      'tags',
      'must be a map of tag keys to values',
    ],
    [
      'tag value too long',
      (r) => {
        r.tags = { team: 'x'.repeat(257) };
      },
      'tags.team',
      'at most 256 characters',
    ],
    [
      'tag value that is a number',
      (r) => {
        r.tags = { cost: 12 };
      },
      'tags.cost',
      'Received: 12',
    ],
    [
      'overrides as an object',
      (r) => {
        r.parameterOverrides = { accounts: [] };
      },
      'parameterOverrides',
      'must be a list',
    ],
    [
      'override that is a string',
      (r) => {
        r.parameterOverrides = ['eu-west-1'];
      },
      'parameterOverrides[0]',
      'Received: eu-west-1',
    ],
    [
      'template key with a leading slash',
      (r) => {
        r.template = { bucket: 'bucket1', key: '/k.yaml' };
      },
      'template.key',
      'no leading /',
    ],
    [
      'unknown template field',
      (r) => {
        r.template = { bucket: 'bucket1', key: 'k', version: '1' };
      },
      'template.version',
      'is not a known field',
    ],
    [
      'targets missing',
      (r) => {
        delete r.targets;
      },
      'targets',
      'Received: (nothing)',
    ],
    [
      'tolerance as a number',
      (r) => {
        r.failureTolerance = 5;
      },
      'failureTolerance',
      'must be { count: N } or { percent: P }. Received: 5',
    ],
    [
      'canaries as an object',
      (r) => {
        r.canaries = { accountId: '111122223333' };
      },
      'canaries',
      'must be a list',
    ],
    [
      'canary that is a string',
      (r) => {
        r.canaries = ['111122223333/eu-west-1'];
      },
      'canaries[0]',
      'Received: 111122223333/eu-west-1',
    ],
    [
      'capabilities as a string',
      (r) => {
        r.capabilities = 'CAPABILITY_IAM';
      },
      'capabilities',
      'must be a list. Received: CAPABILITY_IAM',
    ],
    [
      'repair as a string',
      (r) => {
        r.mode = 'drift';
        r.repair = 'yes';
      },
      'repair',
      'must be true or false',
    ],
    [
      'stack events flag as a number',
      (r) => {
        r.stackEvents = 1;
      },
      'stackEvents',
      'must be true or false',
    ],
  ];

  test.each(cases)('%s', (_name, change, field, fragment) => {
    const { input, issues } = validateRolloutInput(withChange(change));
    expect(input).toBeUndefined();
    const issue = issues.find((i) => i.field === field);
    expect(issue).toBeDefined();
    expect(issue?.message.startsWith(field)).toBe(true);
    expect(issue?.message).toContain(fragment);
  });

  test('the valid request passes with no issues', () => {
    expect(validateRolloutInput(validRequest()).issues).toEqual([]);
  });

  test('a request that is not an object is refused as a whole', () => {
    expect(validateRolloutInput(['a']).issues[0]?.field).toBe('input');
  });
});

describe('parseRolloutInput', () => {
  test('fills defaults and normalises parameter values to strings', () => {
    const input = <SingleStackRollout>parseRolloutInput({
      rolloutId: 'r1',
      mode: 'deploy',
      template: { bucket: 'bucket1', key: 'baseline.yaml' },
      stackName: 'baseline',
      parameters: { Days: 30, Enabled: true, Regions: ['eu-west-1', 'us-east-1'] },
      executionRoleName: 'Role',
      targets: { organizationalUnits: ['ou-ab12-abcdefgh'] },
    });
    expect(input.parameters).toEqual({ Days: '30', Enabled: 'true', Regions: 'eu-west-1,us-east-1' });
    expect(input.maxConcurrency).toBe(RolloutDefaults.maxConcurrency);
    expect(input.failureTolerance).toEqual({ count: 0 });
    expect(input.timeoutSeconds).toBe(RolloutDefaults.timeoutSeconds);
    expect(input.targets.regions).toBe(ALL_ENABLED_REGIONS);
    expect(input.targets).toMatchObject({
      accounts: [],
      excludeAccounts: [],
      includeManagementAccount: false,
      excludeRegions: [],
    });
    expect(input.canaries).toEqual([]);
    expect(input.parameterOverrides).toEqual([]);
    expect(input.externalId).toBeUndefined();
    expect(input.repair).toBe(false);
  });

  test('de-duplicates repeated accounts, regions and canaries', () => {
    const input = parseRolloutInput(
      withChange((r) => {
        r.targets = { accounts: ['111122223333', '111122223333'], regions: ['eu-west-1', 'eu-west-1'] };
        r.canaries = [
          { accountId: '111122223333', region: 'eu-west-1' },
          { accountId: '111122223333', region: 'eu-west-1' },
        ];
      }),
    );
    expect(input.targets.accounts).toEqual(['111122223333']);
    expect(input.targets.regions).toEqual(['eu-west-1']);
    expect(input.canaries).toHaveLength(1);
  });

  test('throws InvalidInput naming the first field and listing every problem', () => {
    const bad = withChange((r) => {
      r.mode = 'apply';
      r.stackName = '';
    });
    let caught: unknown;
    try {
      parseRolloutInput(bad);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    const error = caught as InvalidInputError;
    expect(error.name).toBe(ErrorNames.InvalidInput);
    expect(error.field).toBe('mode');
    expect(error.message).toContain('2 problems');
    expect(error.message).toContain('- mode must be one of');
    expect(error.message).toContain('- stackName must be');
  });

  test('a request without rolloutId takes the default (the execution name)', () => {
    const input = parseRolloutInput(
      withChange((r) => delete r.rolloutId),
      'scheduled-drift-2026-11-27',
    );
    expect(input.rolloutId).toBe('scheduled-drift-2026-11-27');
  });

  test('accepts the started-by field Step Functions adds to nested executions', () => {
    const input = parseRolloutInput(
      withChange((r) => {
        r.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID = 'arn:aws:states:...';
      }),
    );
    expect(input.rolloutId).toBe('2026-11-27-baseline');
  });
});

describe('rolloutIdFromExecutionName', () => {
  test.each([
    ['plain-name', 'plain-name'],
    ['with spaces and:colons', 'with-spaces-and-colons'],
    ['__leading', 'leading'],
    ['é', 'rollout'],
  ])('%s -> %s', (name, expected) => {
    expect(rolloutIdFromExecutionName(name)).toBe(expected);
  });

  test('is cut to the rollout id limit and stays valid', () => {
    const id = rolloutIdFromExecutionName('x'.repeat(80));
    expect(id).toHaveLength(RolloutLimits.rolloutIdMaxLength);
    expect(
      validateRolloutInput(
        withChange((r) => {
          r.rolloutId = id;
        }),
      ).issues,
    ).toEqual([]);
  });
});

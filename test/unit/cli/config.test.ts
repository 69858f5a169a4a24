import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyFlags,
  buildRolloutInput,
  configPathFor,
  isStacksConfig,
  loadConfigFile,
  newRolloutId,
  parseTemplateSource,
} from '../../../src/cli/config';
import { UsageError } from '../../../src/cli/exit-codes';

const dir = mkdtempSync(join(tmpdir(), 'sf-config-'));
writeFileSync(join(dir, 'baseline.yaml'), 'Resources: {}\n');

function configFile(text: string): string {
  const file = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

const valid = `
template: baseline.yaml
stackName: stackfleet-baseline
targets:
  organizationalUnits: [r-abcd]
  regions: [us-east-1, eu-west-1]
maxConcurrency: 20
failureTolerance: { percent: 10 }
`;

describe('rollout config file', () => {
  it('loads a config, resolving the template next to the file', () => {
    const loaded = loadConfigFile(configFile(valid));
    expect(loaded.template).toEqual({ kind: 'file', path: join(dir, 'baseline.yaml') });
    const input = buildRolloutInput(loaded, 'deploy', 'ro-1', {
      bucket: 'artifacts-bucket',
      key: 'k',
      versionId: 'v1',
    });
    expect(input.targets.organizationalUnits).toEqual(['r-abcd']);
    expect(input.maxConcurrency).toBe(20);
    expect(input.failureTolerance).toEqual({ percent: 10 });
    expect(input.executionRoleName).toBe('StackFleetExecution');
  });

  it('names the bad field and the value received', () => {
    const loaded = loadConfigFile(configFile(valid.replace('maxConcurrency: 20', 'maxConcurrency: lots')));
    expect(() =>
      buildRolloutInput(loaded, 'deploy', 'ro-1', { bucket: 'artifacts-bucket', key: 'k' }),
    ).toThrow(/maxConcurrency.*Received: lots/);
  });

  it('names an account id that is not 12 digits', () => {
    const loaded = loadConfigFile(
      configFile(`${valid}\n`.replace('organizationalUnits: [r-abcd]', "accounts: ['12ab']")),
    );
    expect(() =>
      buildRolloutInput(loaded, 'deploy', 'ro-1', { bucket: 'artifacts-bucket', key: 'k' }),
    ).toThrow(/targets\.accounts\[0\].*12ab/);
  });

  it('refuses a missing template file, invalid YAML and per-run fields', () => {
    expect(() => loadConfigFile(configFile(valid.replace('baseline.yaml', 'nope.yaml')))).toThrow(
      /template: file not found.*nope\.yaml/,
    );
    expect(() => loadConfigFile(configFile('template: [unclosed'))).toThrow(/not valid YAML/);
    expect(() => loadConfigFile(configFile(`${valid}\nmode: deploy\n`))).toThrow(/mode does not belong/);
    expect(() => loadConfigFile(join(dir, 'missing.yaml'))).toThrow(UsageError);
  });

  it('lets flags override the file', () => {
    const loaded = applyFlags(loadConfigFile(configFile(valid)), {
      accounts: ['111111111111,222222222222'],
      regions: ['eu-central-1'],
      'max-concurrency': '5',
      'failure-tolerance-count': '2',
      template: 's3://bucket-a/templates/x.yaml?versionId=abc',
    });
    expect(loaded.template).toEqual({
      kind: 's3',
      bucket: 'bucket-a',
      key: 'templates/x.yaml',
      versionId: 'abc',
    });
    const input = buildRolloutInput(loaded, 'deploy', 'ro-2', {
      bucket: 'bucket-a',
      key: 'templates/x.yaml',
    });
    expect(input.targets.accounts).toEqual(['111111111111', '222222222222']);
    expect(input.targets.regions).toEqual(['eu-central-1']);
    expect(input.maxConcurrency).toBe(5);
    expect(input.failureTolerance).toEqual({ count: 2 });
  });

  it('refuses both tolerance flags and non-numbers, naming the flag', () => {
    const loaded = loadConfigFile(configFile(valid));
    expect(() =>
      applyFlags(loaded, { 'failure-tolerance-count': '1', 'failure-tolerance-percent': '5' }),
    ).toThrow(/cannot be used together/);
    expect(() => applyFlags(loaded, { 'max-concurrency': 'x' })).toThrow(
      /--max-concurrency must be a whole number from 1 to 10000\. Received: "x"/,
    );
  });

  it('takes a whole percentage only: ToleratedFailurePercentage is an integer (statelint)', () => {
    const loaded = loadConfigFile(configFile(valid));
    expect(() => applyFlags(loaded, { 'failure-tolerance-percent': '2.5' })).toThrow(
      '--failure-tolerance-percent must be a whole percentage from 0 to 100. Received: "2.5"',
    );
    expect(() => applyFlags(loaded, { 'failure-tolerance-percent': '101' })).toThrow(/Received: "101"/);
    const flagged = applyFlags(loaded, { 'failure-tolerance-percent': '25' });
    expect(
      buildRolloutInput(flagged, 'deploy', 'ro-p', { bucket: 'artifacts-bucket', key: 'k' }).failureTolerance,
    ).toEqual({
      percent: 25,
    });
    const inFile = loadConfigFile(configFile(valid.replace('percent: 10', 'percent: 2.5')));
    expect(() =>
      buildRolloutInput(inFile, 'deploy', 'ro-p', { bucket: 'artifacts-bucket', key: 'k' }),
    ).toThrow('failureTolerance.percent must be a whole percentage from 0 to 100. Received: 2.5');
  });

  describe('target flags replace that part of the config, never add to it', () => {
    const config = `${valid.replace(
      '  organizationalUnits: [r-abcd]',
      '  organizationalUnits: [r-abcd]\n  accounts: ["333333333333"]\n  includeManagementAccount: true\n  excludeAccounts: ["444444444444"]\n  excludeRegions: [eu-west-1]',
    )}`;
    const targetsOf = (values: Record<string, string[] | string>) =>
      buildRolloutInput(applyFlags(loadConfigFile(configFile(config)), values), 'deploy', 'ro-t', {
        bucket: 'artifacts-bucket',
        key: 'k',
      }).targets;

    it('--accounts replaces the accounts, the OUs and the management account', () => {
      expect(targetsOf({ accounts: ['200000000001'], regions: ['us-east-1'] })).toMatchObject({
        accounts: ['200000000001'],
        organizationalUnits: [],
        includeManagementAccount: false,
        regions: ['us-east-1'],
      });
    });

    it('--ous replaces the OUs and the explicit accounts', () => {
      expect(targetsOf({ ous: ['ou-abcd-11111111'] })).toMatchObject({
        accounts: [],
        organizationalUnits: ['ou-abcd-11111111'],
        includeManagementAccount: false,
      });
    });

    it("exclusions replace the config's exclusions; untouched parts stay as configured", () => {
      expect(targetsOf({ 'exclude-accounts': ['555555555555'] })).toMatchObject({
        accounts: ['333333333333'],
        organizationalUnits: ['r-abcd'],
        includeManagementAccount: true,
        excludeAccounts: ['555555555555'],
        excludeRegions: ['eu-west-1'],
      });
      expect(targetsOf({ 'exclude-regions': ['us-east-1'] }).excludeRegions).toEqual(['us-east-1']);
    });

    it('names the flag that set a bad value', () => {
      expect(() => targetsOf({ accounts: ['12ab'] })).toThrow(
        /targets\.accounts\[0\].*12ab.*\(from --accounts\)/,
      );
    });
  });

  it('turns drift mode repair on by default', () => {
    const input = buildRolloutInput(loadConfigFile(configFile(valid)), 'drift', 'ro-3', {
      bucket: 'artifacts-bucket',
      key: 'k',
    });
    expect(input.repair).toBe(true);
  });

  it('parses template sources', () => {
    expect(parseTemplateSource('s3://b/k', dir)).toEqual({ kind: 's3', bucket: 'b', key: 'k' });
    expect(() => parseTemplateSource('https://example.com/t.yaml', dir)).toThrow(
      /local file or an s3:\/\/ URL/,
    );
  });

  it('makes sortable rollout ids that are valid execution names', () => {
    const id = newRolloutId(new Date('2026-11-27T12:34:56Z'), () => 0.5);
    expect(id).toMatch(/^ro-20261127-123456-[0-9a-z]{4}$/);
  });
});

describe('the default config (issue 17: the demo is a graph of stacks)', () => {
  it('is the four-stack demo, or the demo as one stack when --template or --stack-name asks for one template', () => {
    const demo = loadConfigFile(configPathFor({}));
    expect(isStacksConfig(demo)).toBe(true);
    const withTemplate = applyFlags(loadConfigFile(configPathFor({ template: 'baseline.yaml' })), {
      template: join(dir, 'baseline.yaml'),
    });
    expect(isStacksConfig(withTemplate)).toBe(false);
    expect(withTemplate.template).toEqual({ kind: 'file', path: join(dir, 'baseline.yaml') });
    expect(isStacksConfig(loadConfigFile(configPathFor({ 'stack-name': 'mine' })))).toBe(false);
    expect(configPathFor({ config: 'mine.yaml', template: 'x.yaml' })).toBe('mine.yaml');
  });

  it('refuses --template against a config that lists stacks, naming the flag', () => {
    expect(() => applyFlags(loadConfigFile(configPathFor({})), { template: 'x.yaml' })).toThrow(
      '--template applies to the one-template form',
    );
  });
});

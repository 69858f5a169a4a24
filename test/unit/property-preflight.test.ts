/**
 * Property-based tests (fast-check) of the CLI's checks that need the organisation or the
 * template (issue 15): CLI flags and config files carrying values that are well-formed but wrong
 * for this organisation and this template (accounts and OUs it lacks, regions its partition
 * lacks, mistyped exclusions and overrides, parameters the template does not declare, values
 * outside AllowedValues, a missing capability). Each is refused with exit 2 and one message that
 * names the field and the value, before anything starts: afterwards the sandbox holds no
 * execution and no published template. The CLI runs in this process (main()), on the sandbox.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { type Io, main, reportError } from '../../src/cli/main';
import { AwsRegions } from '../../src/core/target-input';
import { savedRollouts, snapshotWorld } from '../helpers/sandbox-state';

const ROOT = resolve(__dirname, '..', '..');
const SMALL = join(ROOT, 'src/sandbox/scenarios/small.yaml');
const BASELINE = join(ROOT, 'templates/baseline.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sf-prop-preflight-'));
const stateDir = join(dir, 'state');
const RUNS = { numRuns: 25 };

/** The small organisation's facts (src/sandbox/scenarios/small.yaml). */
const ACCOUNTS = ['111111111111', '222222222222', '333333333333', '444444444444'];
const OUS = ['r-sm01', 'ou-sm01-security', 'ou-sm01-workload', 'ou-sm01-prod0000'];
const PARTITION = ['us-east-1', 'eu-west-1', 'af-south-1'];
/** The baseline's parameters (templates/baseline.yaml). */
const DECLARED = [
  'HomeRegion',
  'GlobalEventsRegion',
  'AlertEmail',
  'AdminAccountId',
  'AdminEventBusName',
  'EnableConfig',
  'LogRetentionDays',
  'LogBucketRetentionDays',
  'IamNamePrefix',
];

const unknownAccount = fc.stringMatching(/^[0-9]{12}$/).filter((id) => !ACCOUNTS.includes(id));
const unknownOu = fc
  .tuple(fc.stringMatching(/^[a-z0-9]{8,12}$/))
  .map(([suffix]) => `ou-sm01-${suffix}`)
  .filter((ou) => !OUS.includes(ou));
/** Regions stackfleet knows (so the shape check passes) that this partition lacks. */
const foreignRegion = fc.constantFrom(...AwsRegions.filter((r) => !PARTITION.includes(r)));
const undeclaredParameter = fc
  .stringMatching(/^[A-Za-z][A-Za-z0-9]{0,20}$/)
  .filter((k) => !DECLARED.includes(k));

/** Runs the CLI in this process, as bin/stackfleet would, capturing its output and exit code. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NO_COLOR: '1', HOME: dir },
  };
  const code = await main(args, io).catch((error) => reportError(error, io));
  return { code, stdout, stderr };
}

let configs = 0;
/** A config file of a valid rollout of the small organisation, with `change` applied. */
function config(change: (c: Record<string, unknown>) => void): string {
  const c: Record<string, unknown> = {
    template: BASELINE,
    stackName: 'stackfleet-baseline',
    externalId: 'stackfleet-small-demo',
    capabilities: ['CAPABILITY_NAMED_IAM'],
    targets: { organizationalUnits: ['r-sm01'], regions: ['us-east-1', 'eu-west-1'] },
  };
  change(c);
  const file = join(dir, `config-${++configs}.yaml`);
  writeFileSync(file, toYaml(c));
  return file;
}

const base = ['--scenario', SMALL, '--state-dir', stateDir];

/** The refusal every case must end in: exit 2, the field and the value named, nothing on stdout. */
async function expectRefused(args: string[], field: string, value: string): Promise<void> {
  const run = await cli(['rollout', ...args, ...base]);
  expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
  expect(run.stderr).toContain(field);
  expect(run.stderr).toContain(value);
  expect(run.stderr).not.toMatch(/internal error|Starting deploy|\n\s+at\s/);
}

const viaFlag = fc.boolean();

describe('CLI flags and config files with values wrong for this organisation or template', () => {
  beforeAll(async () => {
    // A first (refused) run provisions the sandbox's admin side, so later runs are quick.
    await cli(['rollout', '--accounts', '999999999999', '--regions', 'us-east-1', ...base]);
  }, 60_000);

  it('an account the organisation lacks, as --accounts or in targets.accounts', async () => {
    await fc.assert(
      fc.asyncProperty(unknownAccount, viaFlag, async (id, flag) => {
        const args = flag
          ? ['--config', config(() => {}), '--accounts', `222222222222,${id}`]
          : [
              '--config',
              config((c) => Object.assign(c.targets as object, { accounts: ['222222222222', id] })),
            ];
        await expectRefused(args, 'targets.accounts[1]', id);
      }),
      RUNS,
    );
  }, 120_000);

  it('an OU the organisation lacks, as --ous or in targets.organizationalUnits', async () => {
    await fc.assert(
      fc.asyncProperty(unknownOu, viaFlag, async (ou, flag) => {
        const args = flag
          ? ['--config', config(() => {}), '--ous', ou]
          : ['--config', config((c) => Object.assign(c.targets as object, { organizationalUnits: [ou] }))];
        await expectRefused(args, 'targets.organizationalUnits[0]', ou);
      }),
      RUNS,
    );
  }, 120_000);

  it('a region the partition lacks, as --regions, --exclude-regions or in the config', async () => {
    await fc.assert(
      fc.asyncProperty(
        foreignRegion,
        fc.constantFrom('regions', 'exclude-regions', 'file'),
        async (region, where) => {
          if (where === 'file') {
            const file = config((c) =>
              Object.assign(c.targets as object, { regions: ['us-east-1', region] }),
            );
            await expectRefused(['--config', file], 'targets.regions[1]', region);
          } else {
            const field = where === 'regions' ? 'targets.regions[0]' : 'targets.excludeRegions[0]';
            await expectRefused(['--config', config(() => {}), `--${where}`, region], field, region);
          }
        },
      ),
      RUNS,
    );
  }, 120_000);

  it('a mistyped exclusion or override account (it would leave the meant account in, or on defaults)', async () => {
    await fc.assert(
      fc.asyncProperty(unknownAccount, fc.boolean(), async (id, exclusion) => {
        if (exclusion) {
          await expectRefused(
            ['--config', config(() => {}), '--exclude-accounts', id],
            'targets.excludeAccounts[0]',
            id,
          );
        } else {
          const file = config((c) => {
            c.parameterOverrides = [{ accounts: [id], parameters: { EnableConfig: 'false' } }];
          });
          await expectRefused(['--config', file], 'parameterOverrides[0].accounts[0]', id);
        }
      }),
      RUNS,
    );
  }, 120_000);

  it('a parameter the template does not declare, in parameters or an override', async () => {
    await fc.assert(
      fc.asyncProperty(undeclaredParameter, fc.boolean(), async (key, override) => {
        const file = config((c) => {
          if (override) c.parameterOverrides = [{ regions: ['eu-west-1'], parameters: { [key]: 'x' } }];
          else c.parameters = { [key]: 'x' };
        });
        const field = override ? `parameterOverrides[0].parameters.${key}` : `parameters.${key}`;
        await expectRefused(['--config', file], `${field} is not a parameter of the template`, key);
      }),
      RUNS,
    );
  }, 120_000);

  it('a value outside the AllowedValues of a declared parameter', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .string({ minLength: 1, maxLength: 12 })
          .filter((v) => !['true', 'false'].includes(v) && v.trim() === v && !/[,\s]/.test(v)),
        async (value) => {
          const file = config((c) => {
            c.parameters = { EnableConfig: value };
          });
          await expectRefused(
            ['--config', file],
            "parameters.EnableConfig must be one of the template's AllowedValues",
            value,
          );
        },
      ),
      RUNS,
    );
  }, 120_000);

  it('a template needing a capability the request does not acknowledge', async () => {
    await fc.assert(
      fc.asyncProperty(fc.subarray(['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND']), async (capabilities) => {
        const file = config((c) => {
          c.capabilities = capabilities;
        });
        await expectRefused(
          ['--config', file],
          'capabilities must include CAPABILITY_NAMED_IAM',
          `Received: [${capabilities.join(', ')}]`,
        );
      }),
      { numRuns: 4 },
    );
  }, 60_000);

  it('none of them started an execution or published a template', async () => {
    expect(await savedRollouts(stateDir)).toEqual([]);
    const { objects } = await snapshotWorld(stateDir);
    expect(Object.keys(objects).filter((key) => key.includes('/templates/'))).toEqual([]);
  });
});

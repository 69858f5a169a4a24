/**
 * Security checks after whole rollouts on the sandbox (issue 9): no credential material in any
 * execution history (parent and children), in anything the functions logged, in summary.json or
 * in the notification; every AssumeRole carries the ExternalId, a RoleSessionName with the
 * rollout id and a SourceIdentity; a role that demands an ExternalId refuses a call without it
 * and stackfleet then fails the target with RoleNotAssumable; secretlint (the repository scan CI
 * runs) refuses a file holding an AWS key.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { clearCredentialCache } from '../../src/aws/assume-role';
import { awsClients } from '../../src/aws/clients';
import type { RolloutSummary, RolloutSummaryDocument } from '../../src/core/summary';
import { isDenial } from '../../src/engine/identity';
import { injectResourceFailure } from '../../src/sandbox/cfn/faults';
import { sandboxEngineIdentity } from '../../src/sandbox/iam/engine-identity';
import { findFunction } from '../../src/sandbox/services/lambda-state';
import { readSnsMessages } from '../../src/sandbox/services/sns';
import { sessionSecrets, stsState } from '../../src/sandbox/services/sts';
import {
  type AssumeRoleCall,
  captureConsole,
  executionTexts,
  issuedSecrets,
  recordAssumeRole,
  scanText,
} from '../helpers/credential-scan';
import { closeRoleTrust } from '../helpers/iam-edits';
import {
  FLEET_EXTERNAL_ID,
  FLEET_ROLE,
  fleetAccount,
  fleetRequest,
  fleetScenario,
  fleetTemplate,
  readSummaryDocument,
  summaryViolations,
} from '../helpers/invariants';
import { openSandboxHarness, type RunResult, type SandboxHarness } from '../helpers/sandbox-harness';

jest.setTimeout(300_000);

const ACCOUNTS = 20;
const REPO_ROOT = path.resolve(__dirname, '..', '..');

function request(h: SandboxHarness, rolloutId: string, extra: Record<string, unknown> = {}) {
  return fleetRequest(h.template, rolloutId, 'stackfleet-sec-baseline', { maxConcurrency: 30, ...extra });
}

describe('credential material after a clean and a failing rollout', () => {
  let h: SandboxHarness;
  let clean: RunResult;
  let failing: RunResult;
  let logged: string[];
  let calls: AssumeRoleCall[];
  let documents: RolloutSummaryDocument[];

  beforeAll(async () => {
    clearCredentialCache();
    h = await openSandboxHarness({
      scenario: fleetScenario({ accounts: ACCOUNTS }),
    });
    h.template = await h.uploadTemplate(fleetTemplate('v1'), 'templates/fleet.yaml');
    const recorder = recordAssumeRole(h.sandbox);
    const console = captureConsole();
    try {
      clean = await h.runRollout(request(h, 'sec-clean'));
      // Failures: resources that fail to create, an account whose role refuses us, and a
      // template read that fails (so deploy-stack logs its warning).
      injectResourceFailure(h.sandbox.world, {
        accounts: [fleetAccount(3), fleetAccount(4)],
        logicalId: 'Topic',
        on: 'create',
        reason: 'Resource handler returned message: "Topic quota exceeded"',
      });
      closeRoleTrust(h.sandbox.world, fleetAccount(5), FLEET_ROLE);
      failing = await h.runRollout(request(h, 'sec-failing', { stackName: 'stackfleet-sec-failing' }));
    } finally {
      console.stop();
      recorder.stop();
    }
    logged = console.lines;
    calls = recorder.calls;
    documents = [
      await readSummaryDocument(h, 'rollouts/sec-clean/summary.json'),
      await readSummaryDocument(h, 'rollouts/sec-failing/summary.json'),
    ];
  });

  test('the rollouts ran: one clean, one with failed targets that each carry a reason', () => {
    expect((clean.output as RolloutSummary).counts.CREATED).toBe(ACCOUNTS * 3);
    const summary = failing.output as RolloutSummary;
    expect(summary.counts.FAILED).toBeGreaterThanOrEqual(3 * 3);
    for (const document of documents) expect(summaryViolations(document)).toEqual([]);
    const roleFailures = summary.failures.filter((f) => f.accountId === fleetAccount(5));
    expect(roleFailures.map((f) => f.error)).toEqual([
      'RoleNotAssumable',
      'RoleNotAssumable',
      'RoleNotAssumable',
    ]);
  });

  test('the scan has something real to look for, and finds it when it is there', () => {
    const issued = calls.filter((c) => c.credentials);
    expect(issued.length).toBeGreaterThan(0);
    const secrets = issuedSecrets(h.sandbox, calls);
    expect(secrets.length).toBeGreaterThanOrEqual(issued.length * 3);
    const sample = issued[0]?.credentials;
    if (!sample) throw new Error('no credentials recorded');
    // Positive controls: a leaked secret key and a leaked key id are both caught.
    expect(scanText('control', `{"cause":"x ${sample.secretAccessKey} y"}`, secrets)).toHaveLength(1);
    expect(scanText('control', `key=${sample.accessKeyId}`, [])).toHaveLength(1);
  });

  test('the functions and state machines ran as their own roles, and those sessions are looked for too', () => {
    const world = h.sandbox.world;
    const sessions = stsState(world).sessions;
    const secrets = issuedSecrets(h.sandbox, calls);
    const roleName = (arn: string | undefined) => arn?.slice(arn.lastIndexOf('/') + 1);
    const deployRole = roleName(
      findFunction(world, h.admin?.substitutions.DeployStackFunctionArn ?? '')?.roleArn,
    );
    const rolloutRole = roleName(
      h.engine.store.stateMachines[h.admin?.rolloutStateMachineArn ?? '']?.roleArn,
    );
    // Lambda's session of the deploy function's role and Step Functions' session of the rollout
    // state machine's role (issued by STS, not passed in state): a secret of either is caught.
    for (const role of [deployRole, rolloutRole]) {
      const keyId = Object.keys(sessions).find((k) => sessions[k]?.roleName === role);
      if (!role || !keyId) throw new Error(`no session of the role ${role} was issued during the rollouts`);
      const { secretAccessKey, sessionToken } = sessionSecrets(world.scenario.seed, keyId);
      expect(scanText('control', `{"env":"${secretAccessKey}"}`, secrets)).toHaveLength(1);
      expect(scanText('control', `token=${sessionToken}`, secrets)).toHaveLength(1);
    }
  });

  test('no execution history or description (parent, map runs, every target) holds credential material', async () => {
    const secrets = issuedSecrets(h.sandbox, calls);
    const texts = await executionTexts(h);
    // Both top executions, their map runs' children and one deploy-target execution per target.
    expect(texts.length).toBeGreaterThanOrEqual(2 * ACCOUNTS * 3);
    const hits = texts.flatMap((t) => scanText(t.where, t.text, secrets));
    expect(hits).toEqual([]);
  });

  test('nothing the functions logged holds credential material', () => {
    const secrets = issuedSecrets(h.sandbox, calls);
    const hits = logged.flatMap((line, i) => scanText(`console line ${i + 1}`, line, secrets));
    expect(hits).toEqual([]);
  });

  test('summary.json and the notifications hold no credential material', () => {
    const secrets = issuedSecrets(h.sandbox, calls);
    const published = readSnsMessages(h.sandbox.world).map((m) => `${m.subject ?? ''}\n${m.message}`);
    expect(published.length).toBeGreaterThanOrEqual(2);
    const hits = [
      ...documents.flatMap((d) => scanText(`summary ${d.rolloutId}`, JSON.stringify(d), secrets)),
      ...published.flatMap((text, i) => scanText(`notification ${i + 1}`, text, secrets)),
    ];
    expect(hits).toEqual([]);
  });

  test('every AssumeRole carries the ExternalId, a RoleSessionName with the rollout id and a SourceIdentity', () => {
    const intoMembers = calls.filter((c) => c.roleArn.endsWith(`:role/${FLEET_ROLE}`));
    expect(intoMembers.length).toBeGreaterThanOrEqual(2 * ACCOUNTS);
    const bad = intoMembers.filter(
      (c) =>
        c.externalId !== FLEET_EXTERNAL_ID ||
        !/^stackfleet-sec-(clean|failing)$/.test(c.roleSessionName ?? '') ||
        !c.sourceIdentity,
    );
    expect(bad).toEqual([]);
    // Both rollouts show up under their own session name (CloudTrail in the target tells them apart).
    const sessions = new Set(intoMembers.map((c) => c.roleSessionName));
    expect(sessions).toEqual(new Set(['stackfleet-sec-clean', 'stackfleet-sec-failing']));
    expect(calls.filter((c) => !c.roleArn.endsWith(`:role/${FLEET_ROLE}`))).toEqual([]);
  });
});

describe('a role that demands an ExternalId', () => {
  let h: SandboxHarness;

  beforeAll(async () => {
    clearCredentialCache();
    h = await openSandboxHarness({ scenario: fleetScenario({ accounts: 4 }) });
    h.template = await h.uploadTemplate(fleetTemplate('v1'), 'templates/fleet.yaml');
  });

  test('the sandbox refuses AssumeRole without it (or with another) and accepts the right one, from the deploy function only', async () => {
    // The caller is what assumes the execution role on AWS: the deploy function, with the session
    // Lambda gives it of its own role (the execution role trusts only the admin account's
    // function roles; the management root is not among them).
    const deployArn = h.admin?.substitutions.DeployStackFunctionArn ?? '';
    const deploy = sandboxEngineIdentity(h.sandbox.world).deployedFunction(deployArn);
    if (isDenial(deploy)) throw new Error(`no deploy function: ${deploy.cause}`);
    const asDeploy = awsClients.sts({ region: 'eu-west-1', credentials: deploy.credentials });
    const asRoot = awsClients.sts({ region: 'eu-west-1' });
    const assume = (sts: typeof asRoot, externalId?: string) =>
      h.virtual(() =>
        sts.send(
          new AssumeRoleCommand({
            RoleArn: `arn:aws:iam::${fleetAccount(1)}:role/${FLEET_ROLE}`,
            RoleSessionName: 'stackfleet-probe',
            ...(externalId ? { ExternalId: externalId } : {}),
          }),
        ),
      );
    await expect(assume(asDeploy)).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(assume(asDeploy, 'someone-else')).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(assume(asDeploy, FLEET_EXTERNAL_ID)).resolves.toMatchObject({
      Credentials: expect.objectContaining({ AccessKeyId: expect.stringMatching(/^ASIA/) }),
    });
    await expect(assume(asRoot, FLEET_EXTERNAL_ID)).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  test.each([
    ['without an ExternalId', {}],
    ['with the wrong ExternalId', { externalId: 'not-the-one' }],
  ])('a rollout %s fails every target with RoleNotAssumable and creates nothing', async (_label, extra) => {
    const rolloutId = `sec-xid-${'externalId' in extra ? 'wrong' : 'none'}`;
    const input: Record<string, unknown> = {
      ...request(h, rolloutId, { stackName: 'stackfleet-no-external-id' }),
      ...extra,
    };
    if (!('externalId' in extra)) delete input.externalId;
    const creates = h.sandbox.world.metrics.calls['cloudformation.CreateStack'] ?? 0;
    const run = await h.runRollout(input);
    expect(run.status).toBe('SUCCEEDED');
    const summary = run.output as RolloutSummary;
    expect(summary.counts.FAILED).toBe(4 * 3);
    expect(summary.failures.every((f) => f.error === 'RoleNotAssumable')).toBe(true);
    expect(summary.failures[0]?.reason).toContain(FLEET_ROLE);
    expect(h.sandbox.world.metrics.calls['cloudformation.CreateStack'] ?? 0).toBe(creates);
  });
});

describe('the repository credential scan', () => {
  test('secretlint, with the repository configuration CI uses, refuses a file holding an AWS key', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stackfleet-secretlint-'));
    try {
      // Built at run time so this test file itself does not trip the scan.
      const keyId = ['AKIA', 'Q3EGRYKXMZ5T7WPN'].join('');
      const secret = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYzq9Lk2Hd4e'].join('/');
      const leaked = path.join(dir, 'credentials.ini');
      writeFileSync(leaked, `[default]\naws_access_key_id = ${keyId}\naws_secret_access_key = ${secret}\n`);
      const clean = path.join(dir, 'clean.ini');
      writeFileSync(clean, '[default]\nregion = eu-west-1\n');
      const bin = path.join(REPO_ROOT, 'node_modules', '.bin', 'secretlint');
      const config = path.join(REPO_ROOT, '.secretlintrc.json');
      const run = (file: string) =>
        promisify(execFile)(bin, ['--secretlintrc', config, '--no-color', file], { cwd: dir }).then(
          (r) => ({ code: 0, out: r.stdout }),
          (e: { code?: number; stdout?: string }) => ({ code: e.code ?? -1, out: e.stdout ?? '' }),
        );
      const [refused, passed] = await Promise.all([run(leaked), run(clean)]);
      expect(refused.code).toBe(1);
      expect(refused.out).toContain('AWSSecretAccessKey');
      expect(refused.out).not.toContain(secret);
      expect(passed.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

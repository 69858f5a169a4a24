/**
 * `npm run synth` as an operator runs it: a separate process, offline, no Docker, no CDK_OUTDIR
 * (only the CDK CLI sets that). It must write a deployable cloud assembly into cdk.out/ at the
 * repository root (what the README promises and cdk.json's `output` names) with every function
 * bundled by the local esbuild, and cdk-nag (registered by the app) must not stop it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { lambdaFunctions, responseStateMachineFiles, stateMachineFiles } from '../../src/core/functions';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');

describe('npm run synth', () => {
  const outdir = join(root, 'cdk.out');
  const started = Date.now();
  let output: { stdout: string; stderr: string };

  beforeAll(async () => {
    const { CDK_OUTDIR: _cliOnly, ...env } = process.env;
    output = await run(
      process.execPath,
      [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'infra/bin/app.ts')],
      {
        // Not the repository root: the app finds cdk.out/ from its own file, not the working directory.
        cwd: join(root, 'infra'),
        env: {
          ...env,
          // No credentials or network are needed: make sure nothing tries.
          AWS_ACCESS_KEY_ID: '',
          AWS_SECRET_ACCESS_KEY: '',
          AWS_EC2_METADATA_DISABLED: 'true',
          DOCKER_HOST: 'unix:///nonexistent/docker.sock',
          CDK_DOCKER: '/nonexistent/docker',
        },
        timeout: 300_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  }, 320_000);

  it('writes the admin stack template into cdk.out/ with a bundled asset per function and the ASL files', () => {
    const templateFile = join(outdir, 'StackFleetAdmin.template.json');
    expect(existsSync(templateFile)).toBe(true);
    // Written by this run, not left over from an earlier one (1 s slack for coarse file times).
    expect(statSync(templateFile).mtimeMs).toBeGreaterThanOrEqual(started - 1000);
    const template = JSON.parse(readFileSync(templateFile, 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
      Parameters: Record<string, unknown>;
    };
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(lambdaFunctions.length);

    const assets = JSON.parse(readFileSync(join(outdir, 'StackFleetAdmin.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging?: string } }>;
    };
    for (const fn of functions) {
      const key = (fn.Properties.Code as { S3Key: string }).S3Key;
      const hash = key.replace(/\.zip$/, '');
      const asset = assets.files[hash];
      expect(asset?.source.packaging).toBe('zip');
      const bundle = readFileSync(join(outdir, asset!.source.path, 'index.js'), 'utf8');
      // The handler is exported and the SDK is inside the bundle (externalModules: []); the
      // event reader is pure and needs no SDK.
      expect(bundle).toMatch(/handler/);
      if (!/^stackfleet read-tamper-event/.test(String(fn.Properties.Description)))
        expect(bundle.length).toBeGreaterThan(50_000);
    }

    const machines = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine',
    );
    // The rollout's machines and the tamper response.
    expect(machines).toHaveLength(stateMachineFiles.length + responseStateMachineFiles.length);
    // Without -c organizationId the organisation is asked for at deploy time.
    expect(template.Parameters.OrganizationId).toBeDefined();
  });

  it('ran cdk-nag, which found nothing unacknowledged', () => {
    const reportFile = join(outdir, 'validation-report.json');
    expect(statSync(reportFile).mtimeMs).toBeGreaterThanOrEqual(started - 1000);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
      pluginReports: Array<{ pluginName: string; violations: unknown[] }>;
    };
    const nag = report.pluginReports.find((p) => p.pluginName === 'AwsSolutions');
    expect(nag?.violations).toEqual([]);
    expect(output.stderr).not.toMatch(/docker/i);
  });
});

/**
 * `npm run synth` as an operator runs it: a separate process, offline, no Docker. It must write a
 * deployable cloud assembly with every function bundled by the local esbuild, and cdk-nag
 * (registered by the app) must not stop it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { lambdaFunctions, stateMachineFiles } from '../../src/core/functions';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');

describe('npm run synth', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'stackfleet-synth-'));
  let output: { stdout: string; stderr: string };

  beforeAll(async () => {
    output = await run(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'infra/bin/app.ts'], {
      cwd: root,
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        // No credentials or network are needed: make sure nothing tries.
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_EC2_METADATA_DISABLED: 'true',
        DOCKER_HOST: 'unix:///nonexistent/docker.sock',
        CDK_DOCKER: '/nonexistent/docker',
      },
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  }, 320_000);

  it('writes the admin stack template with a bundled asset per function and the ASL files', () => {
    const templateFile = join(outdir, 'StackFleetAdmin.template.json');
    expect(existsSync(templateFile)).toBe(true);
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
      // The handler is exported and the SDK is inside the bundle (externalModules: []).
      expect(bundle).toMatch(/handler/);
      expect(bundle.length).toBeGreaterThan(50_000);
    }

    const machines = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine',
    );
    expect(machines).toHaveLength(stateMachineFiles.length);
    // Without -c organizationId the organisation is asked for at deploy time.
    expect(template.Parameters.OrganizationId).toBeDefined();
  });

  it('ran cdk-nag, which found nothing unacknowledged', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ pluginName: string; violations: unknown[] }>;
    };
    const nag = report.pluginReports.find((p) => p.pluginName === 'AwsSolutions');
    expect(nag?.violations).toEqual([]);
    expect(output.stderr).not.toMatch(/docker/i);
  });
});

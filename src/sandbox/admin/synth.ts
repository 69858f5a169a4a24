/**
 * The admin account's CloudFormation template, synthesized from the real CDK app (`infra/`), for the
 * sandbox to deploy exactly what `cdk deploy` would: the roles of every function and state machine,
 * the artifact bucket and key with their policies, the topic, the bus, the state machines. Synthesis
 * runs the app in a child process (as `npm run synth` does, without bundling the functions: the
 * sandbox runs their source in-process) and is cached on disk by the app's inputs, so it costs
 * seconds once per change of infra/, statemachines/ or the functions' registry, not per run.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** What the app is synthesized with (CDK context keys of infra/lib/context.ts). */
export interface AdminSynthContext {
  organizationId: string;
  organizationRootId?: string;
  executionRoleName?: string;
  externalId?: string;
  stackName?: string;
  /** The tamper response's containment setting (infra/lib/context.ts `containment`). */
  containment?: string;
}

/** A file asset `cdk deploy` publishes before the stack (the state machines' ASL files). */
export interface AdminAsset {
  /** Object key in the bootstrap assets bucket. */
  objectKey: string;
  body: string;
}

export interface AdminTemplate {
  stackName: string;
  /** The template body (JSON text). */
  body: string;
  /**
   * File assets with their content. Zip assets (the functions' bundles) are left out: bundling is
   * skipped and the sandbox runs each function's source in-process.
   */
  assets: AdminAsset[];
}

interface AssetManifest {
  files?: Record<
    string,
    { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }
  >;
}

function fileAssets(outdir: string, stackName: string): AdminAsset[] {
  const manifest = JSON.parse(
    readFileSync(join(outdir, `${stackName}.assets.json`), 'utf8'),
  ) as AssetManifest;
  const out: AdminAsset[] = [];
  for (const asset of Object.values(manifest.files ?? {})) {
    if (asset.source.packaging === 'zip') continue;
    const destination = Object.values(asset.destinations)[0];
    if (!destination) continue;
    out.push({
      objectKey: destination.objectKey,
      body: readFileSync(join(outdir, asset.source.path), 'utf8'),
    });
  }
  return out;
}

/** Files whose content decides the template. */
function inputFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|json)$/.test(entry)) out.push(full);
    }
  };
  walk(join(REPO_ROOT, 'infra'));
  walk(join(REPO_ROOT, 'statemachines'));
  out.push(join(REPO_ROOT, 'src/core/functions.ts'));
  return out.sort();
}

function cdkVersion(): string {
  try {
    return (
      JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/aws-cdk-lib/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return 'unknown';
  }
}

function cacheKey(context: Record<string, unknown>): string {
  const hash = createHash('sha256');
  hash.update(`cdk ${cdkVersion()}\n`);
  hash.update(JSON.stringify(context));
  for (const file of inputFiles()) {
    hash.update(file.slice(REPO_ROOT.length));
    hash.update(readFileSync(file));
  }
  return `v2-${hash.digest('hex').slice(0, 32)}`;
}

function cacheDir(): string {
  return process.env.STACKFLEET_CACHE_DIR ?? join(REPO_ROOT, 'node_modules', '.cache', 'stackfleet');
}

/**
 * The synthesized admin template for a context, from the cache or by running the CDK app. Throws
 * with the app's own output when synthesis fails (cdk-nag findings included).
 */
export function adminTemplate(options: AdminSynthContext): AdminTemplate {
  const stackName = options.stackName ?? 'StackFleetAdmin';
  const context: Record<string, unknown> = { organizationId: options.organizationId, stackName };
  if (options.organizationRootId !== undefined) context.organizationRootId = options.organizationRootId;
  if (options.executionRoleName !== undefined) context.executionRoleName = options.executionRoleName;
  if (options.externalId !== undefined) context.externalId = options.externalId;
  if (options.containment !== undefined) context.containment = options.containment;
  const dir = join(cacheDir(), 'admin-template');
  const file = join(dir, `${cacheKey(context)}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as AdminTemplate;

  const outdir = mkdtempSync(join(tmpdir(), 'stackfleet-admin-synth-'));
  try {
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'infra/bin/app.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        // The sandbox runs the functions' source in-process: no bundles needed (CDK skips bundling
        // for stacks not in this list).
        CDK_CONTEXT_JSON: JSON.stringify({ ...context, 'aws:cdk:bundling-stacks': [] }),
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const body = readFileSync(join(outdir, `${stackName}.template.json`), 'utf8');
    const synthesized: AdminTemplate = { stackName, body, assets: fileAssets(outdir, stackName) };
    mkdirSync(dir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(synthesized));
    // Atomic: parallel test workers may synthesize at once; either copy is the same.
    renameSync(temp, file);
    return synthesized;
  } catch (error) {
    const e = error as { stderr?: Buffer; stdout?: Buffer; message: string };
    const output = `${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`.trim();
    throw new Error(`Synthesizing the admin CDK app (infra/bin/app.ts) failed: ${output || e.message}`);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

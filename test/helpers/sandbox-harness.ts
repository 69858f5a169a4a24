/**
 * A whole stackfleet admin account on an in-memory sandbox, for integration tests and the
 * benchmark: the SDK clients of src/aws/clients.ts point at the sandbox in-process, the state
 * machines are provisioned from the real ASL files, a template is uploaded, and `runRollout`
 * starts the rollout through the real SFNClient and waits for it under virtual time.
 *
 * While a run is in progress `Math.random` is a generator seeded from the scenario, so retry
 * jitter (ASL `JitterStrategy: FULL`, the SDK's backoff) and therefore simulated timings are
 * the same on every run of the same scenario.
 */
import '../../src/core/polyfills';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { clearCredentialCache as clearSigningKeyCache } from '@smithy/signature-v4';
import { clearCredentialCache } from '../../src/aws/assume-role';
import { awsClients, configureAws } from '../../src/aws/clients';
import { clearTemplateCache } from '../../src/aws/template-source';
import { seededRandom } from '../../src/core/seeded-random';
import type { LocalEngine } from '../../src/engine/engine';
import type { ProvisionedAdmin } from '../../src/engine/provision';
import type { StoredExecution } from '../../src/engine/types';
import { Sandbox } from '../../src/sandbox/sandbox';
import type { Scenario } from '../../src/sandbox/scenario-types';
import { whenEventsAndExecutionsSettled } from '../../src/sandbox/services/events/delivery';
import { engineFor } from '../../src/sandbox/services/stepfunctions';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface HarnessOptions {
  /** Scenario to play; default the sandbox's demo organisation. */
  scenario?: Scenario;
  /** Admin region. @default 'eu-west-1' */
  region?: string;
  /** Provision the project's state machines from statemachines/*.asl.json. @default true */
  provision?: boolean;
  /** Template uploaded as the baseline. @default templates/baseline.yaml */
  templateFile?: string;
  /** SDK max attempts for every client. @default 3 */
  maxAttempts?: number;
}

export interface TemplateLocation {
  bucket: string;
  key: string;
  versionId: string;
}

export interface RunMetrics {
  /** Virtual seconds from start to stop of the top execution. */
  simulatedSeconds: number;
  /** Real milliseconds the run took. */
  wallMs: number;
  /** CPU milliseconds (user + system) of this process during the run: steadier than wall time on a busy machine. */
  cpuMs: number;
  /** Executions started during the run (the top one, map run children, nested children). */
  executions: number;
  /** Nested executions of the per-target state machines (one per target, of the rollout's mode). */
  targets: number;
  /** State transitions of every execution of the run. */
  transitions: number;
  transitionsPerTarget: number;
  /** History events of the top execution. */
  parentHistoryEvents: number;
  cloudFormationCalls: number;
  cloudFormationCallsPerTarget: number;
  /** Most CloudFormation calls any one account/region saw. */
  maxCloudFormationCallsPerTarget: number;
}

export interface RunResult {
  executionArn: string;
  status: string;
  /** Parsed output (undefined unless SUCCEEDED). */
  output: unknown;
  error?: string;
  cause?: string;
  execution: DescribeExecutionCommandOutput;
  metrics: RunMetrics;
}

export interface SandboxHarness {
  sandbox: Sandbox;
  engine: LocalEngine;
  region: string;
  accountId: string;
  sfn: SFNClient;
  s3: S3Client;
  /** Undefined when `provision: false`. */
  admin?: ProvisionedAdmin;
  /** Undefined when `provision: false`. */
  template?: TemplateLocation;
  /** Uploads a template body to the artifact bucket (a new version each time). */
  uploadTemplate(body: string, key?: string): Promise<TemplateLocation>;
  /** Starts the provisioned rollout state machine and waits for it. */
  runRollout(input: unknown, name?: string): Promise<RunResult>;
  /** Starts any state machine and waits for it (and everything it started) under virtual time. */
  run(stateMachineArn: string, input: unknown, name?: string): Promise<RunResult>;
  /**
   * Runs async work under the sandbox's virtual clock with seeded randomness; returns when the
   * work and every execution running in the engine have finished.
   */
  virtual<T>(work: () => Promise<T>): Promise<T>;
}

export { seededRandom };

/** Opens an in-memory sandbox, connects the SDK clients to it and (by default) provisions the admin account. */
export async function openSandboxHarness(options: HarnessOptions = {}): Promise<SandboxHarness> {
  const sandbox = await Sandbox.open({ scenario: options.scenario, stateDir: null });
  const region = options.region ?? 'eu-west-1';
  const accountId = sandbox.scenario.adminAccountId ?? sandbox.scenario.organization.managementAccountId;
  // A new cloud: sessions and template bodies cached by the functions belong to the previous
  // sandbox (a Lambda cold start). So do the SDK's derived signing keys: the same seed issues the
  // same session keys, and a key cached from another world skips the signer's awaits, which
  // reorders concurrent calls and so the seeded faults and timings.
  clearCredentialCache();
  clearTemplateCache();
  clearSigningKeyCache();
  configureAws({
    requestHandler: sandbox.requestHandler(),
    credentials: { ...sandbox.adminCredentials },
    maxAttempts: options.maxAttempts ?? 3,
  });
  const engine = engineFor(sandbox.world);
  const sfn = awsClients.sfn({ region });
  const s3 = awsClients.s3({ region });
  let runCounter = 0;

  const virtual = async <T>(work: () => Promise<T>): Promise<T> => {
    const original = Math.random;
    runCounter++;
    Math.random = seededRandom(`${sandbox.scenario.seed}:${runCounter}`);
    try {
      // Timers made under a virtual clock only fire while it is installed, so a session lasts
      // until every execution it started has finished: nothing is left stranded for the next.
      return await sandbox.runWithVirtualTime(async () => {
        const result = await work();
        // Events in flight (EventBridge deliveries, CloudTrail records) and what they start.
        await whenEventsAndExecutionsSettled(sandbox.world, engine);
        return result;
      });
    } finally {
      Math.random = original;
    }
  };

  let admin: ProvisionedAdmin | undefined;
  let template: TemplateLocation | undefined;
  const uploadTemplate = async (body: string, key = 'templates/baseline.yaml'): Promise<TemplateLocation> => {
    if (!admin) throw new Error('uploadTemplate needs a provisioned admin account (provision: true)');
    const bucket = admin.artifactBucket;
    const put = await virtual(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })));
    return { bucket, key, versionId: put.VersionId ?? 'null' };
  };

  if (options.provision !== false) {
    admin = await virtual(() => sandbox.prepare(region));
    const templateFile = options.templateFile ?? path.join(REPO_ROOT, 'templates', 'baseline.yaml');
    template = await uploadTemplate(readFileSync(templateFile, 'utf8'));
  }

  const run = async (stateMachineArn: string, input: unknown, name?: string): Promise<RunResult> => {
    const before = new Set(Object.keys(engine.store.executions));
    const cfnBefore = { ...sandbox.world.metrics.cloudFormationCallsByTarget };
    const wallStart = performance.now();
    const cpuStart = process.cpuUsage();
    const { executionArn, described } = await virtual(async () => {
      const started = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn,
          name,
          input: typeof input === 'string' ? input : JSON.stringify(input),
        }),
      );
      const arn = started.executionArn as string;
      await engine.waitForExecution(arn);
      await engine.whenIdle();
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
      return { executionArn: arn, described: out };
    });
    const wallMs = performance.now() - wallStart;
    const cpu = process.cpuUsage(cpuStart);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const created: StoredExecution[] = Object.keys(engine.store.executions)
      .filter((arn) => !before.has(arn))
      .map((arn) => engine.store.executions[arn] as StoredExecution);
    const top = engine.store.executions[executionArn] as StoredExecution;
    const perTarget = admin ? new Set(Object.values(admin.targetStateMachineArns)) : undefined;
    const targets = perTarget
      ? created.filter((e) => perTarget.has(e.stateMachineArn)).length
      : created.filter((e) => e.parentExecutionArn !== undefined && e.mapRunArn === undefined).length;
    const transitions = created.reduce((sum, e) => sum + e.stateTransitions, 0);
    let cfnCalls = 0;
    let maxCfn = 0;
    let cfnTargets = 0;
    for (const [key, count] of Object.entries(sandbox.world.metrics.cloudFormationCallsByTarget)) {
      const delta = count - (cfnBefore[key] ?? 0);
      if (delta <= 0) continue;
      cfnCalls += delta;
      cfnTargets++;
      maxCfn = Math.max(maxCfn, delta);
    }
    const status = described.status as string;
    return {
      executionArn,
      status,
      output: described.output !== undefined ? JSON.parse(described.output) : undefined,
      error: described.error,
      cause: described.cause,
      execution: described,
      metrics: {
        simulatedSeconds: ((top.stopDate ?? top.startDate) - top.startDate) / 1000,
        wallMs,
        cpuMs,
        executions: created.length,
        targets,
        transitions,
        transitionsPerTarget: targets ? transitions / targets : 0,
        parentHistoryEvents: top.history.length,
        cloudFormationCalls: cfnCalls,
        cloudFormationCallsPerTarget: cfnTargets ? cfnCalls / Math.max(targets, cfnTargets) : 0,
        maxCloudFormationCallsPerTarget: maxCfn,
      },
    };
  };

  return {
    sandbox,
    engine,
    region,
    accountId,
    sfn,
    s3,
    admin,
    template,
    uploadTemplate,
    run,
    runRollout: (input, name) => {
      if (!admin) throw new Error('runRollout needs a provisioned admin account (provision: true)');
      return run(admin.rolloutStateMachineArn, input, name);
    },
    virtual,
  };
}

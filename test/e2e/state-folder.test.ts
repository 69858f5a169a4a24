/**
 * The sandbox's state folder as separate CLI processes see it: a second writer waits for the
 * first (a third one told not to wait is refused), and neither loses the other's work; a writer
 * killed with -9 in the middle of its save leaves the previous whole world, and running it again
 * converges without creating anything twice; `status` writes nothing; `sandbox reset` deletes a
 * sandbox folder and refuses any other.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineStore } from '../../src/engine/types';
import { stackStatusAt } from '../../src/sandbox/cfn/state';
import { Sandbox } from '../../src/sandbox/sandbox';
import {
  liveCliFile,
  ROOT,
  runToEnd,
  sandboxRollout,
  snapshotFolder,
  startCli,
  startHeldRollout,
} from '../helpers/cli-live';
import { rolloutStateMachineArn, tinyBaselineStacks } from '../helpers/sandbox-state';

const work = liveCliFile('sf-e2e-state-');
const stateDir = join(work, 'state');

/** A rollout config for the tiny organisation with this log retention (a parameter of the baseline). */
function config(name: string, retentionDays: number): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `template: ${join(ROOT, 'templates/baseline.yaml')}`,
      'stackName: stackfleet-baseline',
      'capabilities: [CAPABILITY_NAMED_IAM]',
      'targets: { organizationalUnits: [r-ti01], regions: [us-east-1] }',
      `parameters: { LogRetentionDays: "${retentionDays}" }`,
      '',
    ].join('\n'),
  );
  return file;
}

/** The saved world, read the way `status` reads it (read-only). */
async function savedWorld() {
  const sandbox = await Sandbox.open({ stateDir, access: 'read' });
  const store = sandbox.world.state.stepfunctions as EngineStore | undefined;
  // The admin stack's rollout state machine (its name is CloudFormation's).
  const rollout = rolloutStateMachineArn(sandbox);
  const rollouts = Object.values(store?.executions ?? {})
    .filter((e) => e.stateMachineArn === rollout)
    .map((e) => ({ name: e.name, status: e.status }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const stacks = tinyBaselineStacks(sandbox).map((s) => ({
    stackId: s.stackId,
    status: stackStatusAt(s, sandbox.now()).status,
    retention: (s.pending?.config ?? s.config).parameters.LogRetentionDays,
  }));
  await sandbox.close();
  return {
    rollouts,
    stacks,
    generation: JSON.parse(readFileSync(join(stateDir, 'stackfleet-sandbox.json'), 'utf8'))
      .generation as number,
  };
}

const rolloutId = (stderr: string) => /Starting deploy (\S+)/.exec(stderr)?.[1];

describe('one state folder, several CLI processes', () => {
  const release = join(work, 'release-first-writer');

  it('makes a second writer wait for the first, refuses a third told not to wait, and loses neither rollout', async () => {
    // The first rollout holds the folder from its start; its clock stops mid-way so that it is
    // still running whatever the machine's speed, until the test releases it.
    const first = await startHeldRollout(stateDir, config('first', 90), 4, {
      STACKFLEET_SANDBOX_FAULT_RELEASE: release,
    });
    const second = startCli(sandboxRollout(stateDir, config('second', 180)));
    await second.waitFor(
      new RegExp(
        `waiting for the sandbox in ${stateDir}, held by pid ${first.pid} \\(stackfleet rollout\\) since \\S+`,
      ),
    );
    const third = await runToEnd(sandboxRollout(stateDir, config('third', 30)), {
      STACKFLEET_SANDBOX_LOCK_WAIT: '0',
    });
    expect(third.code).toBe(2);
    expect(third.stderr).toContain(
      `the sandbox in ${stateDir} is in use by pid ${first.pid} (stackfleet rollout)`,
    );

    writeFileSync(release, '');
    expect((await first.exited).code).toBe(0);
    expect((await second.exited).code).toBe(0);
    await Promise.all([first.closed, second.closed]);
    const ids = [rolloutId(first.output().stderr), rolloutId(second.output().stderr)].sort();
    const world = await savedWorld();
    expect(world.rollouts).toEqual(ids.map((name) => ({ name, status: 'SUCCEEDED' })));
    // One stack, created by the first and updated by the second, which ran after it.
    expect(world.stacks).toEqual([
      { stackId: expect.any(String), status: 'UPDATE_COMPLETE', retention: '180' },
    ]);
    expect(second.output().stdout).toMatch(/UPDATED\s+1/);
  });

  it('status writes nothing to the state folder', async () => {
    const before = snapshotFolder(stateDir);
    const status = await runToEnd(['status', '--sandbox', '--state-dir', stateDir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('SUCCEEDED');
    expect(snapshotFolder(stateDir)).toEqual(before);
  });

  it('a writer killed -9 in the middle of its save leaves the previous world whole; running it again converges', async () => {
    const before = await savedWorld();
    const killed = startCli(sandboxRollout(stateDir, config('killed', 90)), {
      STACKFLEET_SANDBOX_FAULT: 'pause-before-switch',
    });
    await killed.waitFor(/paused before switching generations/);
    killed.child.kill('SIGKILL');
    expect((await killed.exited).signal).toBe('SIGKILL');
    // Its new generation is on disk but not current: the world is exactly the one before.
    expect(readdirSync(join(stateDir, 'generations')).length).toBeGreaterThan(2);
    expect(existsSync(join(stateDir, 'lock'))).toBe(true);
    expect(await savedWorld()).toEqual(before);

    const again = await runToEnd(sandboxRollout(stateDir, config('again', 90)));
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('waiting for the sandbox');
    expect(again.stdout).toMatch(/UPDATED\s+1/);
    const after = await savedWorld();
    expect(after.generation).toBe(before.generation + 1);
    expect(after.rollouts).toHaveLength(3);
    // The same stack (nothing created twice), now with the re-run's parameters.
    expect(after.stacks).toEqual([
      { stackId: before.stacks[0]?.stackId, status: 'UPDATE_COMPLETE', retention: '90' },
    ]);
    // The dead writer's lock and its orphaned generation are gone.
    expect(existsSync(join(stateDir, 'lock'))).toBe(false);
    expect(readdirSync(join(stateDir, 'generations'))).toHaveLength(2);
  });

  it('sandbox reset refuses a folder that holds anything else, by flag or by STACKFLEET_SANDBOX_DIR, and removes its own', async () => {
    const project = join(work, 'project');
    mkdirSync(join(project, 'src'), { recursive: true });
    writeFileSync(join(project, 'package.json'), '{"name":"precious"}');
    writeFileSync(join(project, 'src', 'index.ts'), 'export {};\n');
    const before = snapshotFolder(project);
    for (const [args, env] of [
      [['sandbox', 'reset', '--state-dir', project], {}],
      [['sandbox', 'reset'], { STACKFLEET_SANDBOX_DIR: project }],
    ] as const) {
      const refused = await runToEnd([...args], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(
        `${project} is not a sandbox state folder: it holds package.json, src`,
      );
      expect(snapshotFolder(project)).toEqual(before);
    }
    const reset = await runToEnd(['sandbox', 'reset', '--state-dir', stateDir]);
    expect(reset.code).toBe(0);
    expect(existsSync(stateDir)).toBe(false);
    expect(existsSync(work)).toBe(true);
  });
});

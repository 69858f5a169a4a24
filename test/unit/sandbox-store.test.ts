/**
 * Persistence: successive commands see the same world, concurrent writers never leave a torn
 * file or undo each other's services, and a lock left by a crashed writer does not block forever.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox } from '../../src/sandbox/sandbox';
import { parseScenario } from '../../src/sandbox/scenario';
import { s3State } from '../../src/sandbox/services/s3';
import { snsState } from '../../src/sandbox/services/sns';
import { SandboxStore } from '../../src/sandbox/store';

const freshDir = () => mkdtempSync(join(tmpdir(), 'sf-store-'));

test('a reopened sandbox sees the same world and a clock that did not go back', async () => {
  const dir = freshDir();
  const first = await Sandbox.open({ stateDir: dir });
  s3State(first.world).buckets.kept = {
    owner: '111122223333',
    region: 'us-east-1',
    createdAt: 1,
    objects: {},
  };
  first.world.advance(3 * 3600_000);
  const savedAt = first.now();
  await first.save();

  const second = await Sandbox.open({ stateDir: dir });
  expect(Object.keys(s3State(second.world).buckets)).toEqual(['kept']);
  expect(second.now()).toBeGreaterThanOrEqual(savedAt);
  expect(second.scenario.organization.accounts).toHaveLength(30);

  const reset = await Sandbox.open({ stateDir: dir, reset: true });
  expect(Object.keys(s3State(reset.world).buckets)).toEqual([]);
});

test('the scenario is kept with the world until another is given', async () => {
  const dir = freshDir();
  const scenario = parseScenario('organization:\n  accounts:\n    - { id: "123456789012", name: only }\n');
  const first = await Sandbox.open({ stateDir: dir, scenario });
  await first.save();
  const again = await Sandbox.open({ stateDir: dir });
  expect(again.scenario.organization.managementAccountId).toBe('123456789012');
});

test('only changed sections are written, atomically (no temp files left)', async () => {
  const dir = freshDir();
  const store = new SandboxStore(dir);
  const meta = {
    version: 1 as const,
    clock: 1,
    scenario: parseScenario('organization:\n  accounts:\n    - { id: "123456789012", name: only }\n'),
  };
  expect((await store.save(meta, { a: { n: 1 }, b: { n: 1 } })).written.sort()).toEqual(['a', 'b']);
  expect((await store.save(meta, { a: { n: 2 }, b: { n: 1 } })).written).toEqual(['a']);
  expect(readdirSync(join(dir, 'sections')).sort()).toEqual(['a.json', 'b.json']);
  expect(existsSync(join(dir, 'lock'))).toBe(false);
  await expect(store.save(meta, { '../escape': {} })).rejects.toThrow('Received: ../escape');
});

test('two writers of different services do not undo each other', async () => {
  const dir = freshDir();
  await (await Sandbox.open({ stateDir: dir })).save();
  const cli = await Sandbox.open({ stateDir: dir });
  const server = await Sandbox.open({ stateDir: dir });
  s3State(cli.world).buckets.from_cli = {
    owner: '111122223333',
    region: 'us-east-1',
    createdAt: 1,
    objects: {},
  };
  snsState(server.world).messages.push({
    messageId: 'm',
    topicArn: 't',
    message: 'from server',
    publishedAt: 1,
    publisher: 'x',
  });
  await Promise.all([cli.save(), server.save()]);
  const after = await Sandbox.open({ stateDir: dir });
  expect(Object.keys(s3State(after.world).buckets)).toEqual(['from_cli']);
  expect(snsState(after.world).messages.map((m) => m.message)).toEqual(['from server']);
});

test('concurrent writers in separate processes never leave a torn file', async () => {
  const dir = freshDir();
  const script = `
    const { SandboxStore } = require('./src/sandbox/store');
    const store = new SandboxStore(process.argv[1]);
    const big = { items: Array.from({ length: 20000 }, (_, i) => ({ i, w: process.argv[2] })) };
    (async () => { for (let n = 0; n < 8; n++) { big.n = n; await store.save({ version: 1, clock: n, scenario: {} }, { shared: big }); } })()
      .catch((e) => { console.error(e); process.exit(1); });
  `;
  const run = (who: string) =>
    new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-r', 'tsx/cjs', '-e', script, dir, who], {
        cwd: process.cwd(),
        stdio: 'inherit',
      });
      child.on('exit', (code) => resolve(code ?? 1));
    });
  const codes = await Promise.all([run('a'), run('b'), run('c')]);
  expect(codes).toEqual([0, 0, 0]);
  const text = readFileSync(join(dir, 'sections', 'shared.json'), 'utf8');
  const parsed = JSON.parse(text) as { items: Array<{ w: string }>; n: number };
  expect(parsed.items).toHaveLength(20000);
  expect(new Set(parsed.items.map((i) => i.w)).size).toBe(1);
  expect(readdirSync(join(dir, 'sections'))).toEqual(['shared.json']);
}, 60_000);

test('a lock left by a dead writer is taken over', async () => {
  const dir = freshDir();
  const store = new SandboxStore(dir);
  writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: 999_999_999, at: 'long ago' }));
  const meta = {
    version: 1 as const,
    clock: 1,
    scenario: parseScenario('organization:\n  accounts:\n    - { id: "123456789012", name: only }\n'),
  };
  await expect(store.save(meta, { a: { ok: true } })).resolves.toEqual({ written: ['a'] });
  expect(existsSync(join(dir, 'lock'))).toBe(false);
});

test('a lock held by a live writer makes others wait, then time out with a clear error', async () => {
  const dir = freshDir();
  const holder = new SandboxStore(dir);
  const other = new SandboxStore(dir);
  let release!: () => void;
  const held = holder.withLock(() => new Promise<void>((resolve) => (release = resolve)));
  await new Promise((resolve) => setTimeout(resolve, 20));
  await expect(other.withLock(async () => 'never', 150)).rejects.toThrow(/locked by another process/);
  release();
  await held;
  await expect(other.withLock(async () => 'now')).resolves.toBe('now');
});

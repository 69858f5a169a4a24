/**
 * Persistence: successive commands see the same world; a save is a whole generation whatever
 * instant the writer dies; one writer at a time, with locks of dead writers taken over; sections
 * too large for one string are written in parts; `reset` deletes only the sandbox's own files.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox } from '../../src/sandbox/sandbox';
import { parseScenario } from '../../src/sandbox/scenario';
import { s3State } from '../../src/sandbox/services/s3';
import { snsState } from '../../src/sandbox/services/sns';
import {
  type LockHolder,
  SandboxFolderNotOwnedError,
  SandboxLockedError,
  SandboxStore,
} from '../../src/sandbox/store';
import { encodeSection, SectionDecoder } from '../../src/sandbox/store/records';

const freshDir = () => mkdtempSync(join(tmpdir(), 'sf-store-'));
const meta = (clock = 1) => ({
  clock,
  scenario: parseScenario('organization:\n  accounts:\n    - { id: "123456789012", name: only }\n'),
});
/** Every file under `dir`, relative, sorted. */
const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();

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

test('a save never writes an earlier clock than the folder holds (a long-open session closing late)', async () => {
  const dir = freshDir();
  const store = new SandboxStore(dir);
  await store.save(meta(5_000_000), { a: { n: 1 } });
  const stale = new SandboxStore(dir);
  await stale.save(meta(1_000), { b: { n: 1 } });
  expect((await new SandboxStore(dir).load()).meta?.clock).toBe(5_000_000);
});

test('a section larger than a part is written in several parts and reads back equal, key order and odd keys included', async () => {
  const dir = freshDir();
  const store = new SandboxStore(dir, { encode: { partBytes: 4096, splitBytes: 512 } });
  const targets: Record<string, unknown> = {};
  for (let i = 0; i < 2000; i++)
    targets[`3000000${String(i).padStart(5, '0')}/us-east-1`] = { i, tags: ['a', { b: i }] };
  const odd = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "10": "ten", "2": "two"}');
  const section = {
    targets,
    odd,
    list: Array.from({ length: 300 }, (_, i) => ({ i })),
    empty: {},
    nothing: [],
  };
  const result = await store.save(meta(), { big: section });
  expect(result.partsWritten).toBeGreaterThan(10);
  const manifest = JSON.parse(readFileSync(join(dir, 'stackfleet-sandbox.json'), 'utf8'));
  const parts = JSON.parse(readFileSync(join(dir, manifest.manifest), 'utf8')).sections.big.parts;
  expect(parts.length).toBe(result.partsWritten);
  for (const p of parts) expect(p.bytes).toBeLessThan(4096 + 600);

  const loaded = (await new SandboxStore(dir).load()).sections.big as typeof section;
  expect(loaded).toEqual(section);
  expect(Object.keys(loaded.targets)).toEqual(Object.keys(targets));
  expect(Object.keys(loaded.odd)).toEqual(Object.keys(odd));
  expect(Object.hasOwn(loaded.odd, '__proto__')).toBe(true);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

test('records decode back to the value they encode (arrays split, undefined members left out as JSON does)', () => {
  const value = { a: [1, undefined, { deep: [null, 'x'] }], b: undefined, c: 'text' };
  const decoder = new SectionDecoder('t');
  for (const part of encodeSection(value, { partBytes: 16, splitBytes: 1 }))
    decoder.addPart(part.buffer.toString('utf8'), 'part');
  expect(decoder.value()).toEqual(JSON.parse(JSON.stringify(value)));
});

test('only changed parts are written; files of older generations and temp files are removed', async () => {
  const dir = freshDir();
  const store = new SandboxStore(dir);
  expect((await store.save(meta(), { a: { n: 1 }, b: { n: 1 } })).written.sort()).toEqual(['a', 'b']);
  const second = await store.save(meta(), { a: { n: 2 }, b: { n: 1 } });
  expect(second.written).toEqual(['a']);
  expect(second.partsWritten).toBe(1);
  writeFileSync(join(dir, 'parts', 'deadbeef.ndjson.999999999.1.tmp'), '');
  await store.save(meta(), { a: { n: 3 }, b: { n: 1 } });
  // The current and the previous generation: b's part, a's last two parts, two manifests.
  expect(files(dir).filter((f) => f.startsWith('parts/'))).toHaveLength(3);
  expect(files(dir).filter((f) => f.startsWith('generations/'))).toEqual([
    'generations/000000002.json',
    'generations/000000003.json',
  ]);
  expect(files(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
  expect(existsSync(join(dir, 'lock'))).toBe(false);
  await expect(store.save(meta(), { '../escape': {} })).rejects.toThrow('Received: ../escape');
});

test('two writers of different services in one process do not undo each other', async () => {
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

/** A child process that saves generations in a loop; every section carries the generation's number. */
function saver(dir: string, who: string, rounds: number): ChildProcess {
  const script = `
    const { SandboxStore } = require('./src/sandbox/store');
    const store = new SandboxStore(process.argv[1], { encode: { partBytes: 65536, splitBytes: 2048 } });
    const items = (n) => Array.from({ length: 4000 }, (_, i) => ({ i, n, w: process.argv[2] }));
    (async () => {
      for (let n = 1; n <= Number(process.argv[3]); n++)
        await store.save({ clock: n, scenario: {} }, { one: { n, items: items(n) }, two: { n, items: items(n) } });
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  return spawn(process.execPath, ['-r', 'tsx/cjs', '-e', script, dir, who, String(rounds)], {
    cwd: process.cwd(),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

/** Every section of the loaded generation comes from one save of one writer. */
async function expectWholeGeneration(dir: string): Promise<number> {
  const { sections, meta: m } = await new SandboxStore(dir).load();
  const one = sections.one as { n: number; items: Array<{ n: number; w: string }> };
  const two = sections.two as typeof one;
  expect(one.items).toHaveLength(4000);
  expect(new Set([...one.items, ...two.items].map((i) => `${i.n}/${i.w}`)).size).toBe(1);
  expect(two.n).toBe(one.n);
  expect(m?.clock).toBeGreaterThanOrEqual(one.n);
  return one.n;
}

test('concurrent writers in separate processes each leave whole generations', async () => {
  const dir = freshDir();
  const children = ['a', 'b', 'c'].map((who) => saver(dir, who, 4));
  expect(await Promise.all(children.map(exitOf))).toEqual([0, 0, 0]);
  await expectWholeGeneration(dir);
  expect(files(dir).some((f) => f.endsWith('.tmp') || f === 'lock')).toBe(false);
}, 90_000);

test('kill -9 at whatever instant leaves the previous or the next whole generation, and no lock in the way', async () => {
  const dir = freshDir();
  const child = saver(dir, 'killed', 1_000_000);
  const pointer = join(dir, 'stackfleet-sandbox.json');
  // Poll (no sleeps that assume a speed): wait until a few generations were written.
  for (;;) {
    const generation = existsSync(pointer) ? JSON.parse(readFileSync(pointer, 'utf8')).generation : 0;
    if (generation >= 3) break;
    if (child.exitCode !== null) throw new Error(`saver exited early with ${child.exitCode}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  child.kill('SIGKILL');
  await exitOf(child);
  const n = await expectWholeGeneration(dir);
  expect(n).toBeGreaterThanOrEqual(2);
  // The next writer takes the dead writer's lock over and cleans up after it.
  const next = new SandboxStore(dir);
  await next.load();
  await next.save({ clock: n + 1, scenario: {} as never }, { one: { n: n + 1, items: [] } });
  expect(files(dir).some((f) => f.endsWith('.tmp') || f === 'lock')).toBe(false);
  expect(readdirSync(join(dir, 'generations'))).toHaveLength(2);
}, 90_000);

test('a lock left by a dead writer, or by a pid now used by another process, is taken over', async () => {
  for (const holder of [
    { pid: 999_999_999, command: 'stackfleet rollout', since: 'long ago' },
    // pid 1 runs, but it is not the process that took the lock (another start time): pid reuse.
    { pid: 1, command: 'stackfleet rollout', since: 'long ago', start: 'not-the-start-of-pid-1' },
  ]) {
    const dir = freshDir();
    const store = new SandboxStore(dir);
    await store.claim();
    writeFileSync(join(dir, 'lock'), JSON.stringify({ ...holder, host: require('node:os').hostname() }));
    await expect(store.save(meta(), { a: { ok: true } })).resolves.toMatchObject({ written: ['a'] });
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  }
});

test('a live writer makes the next one wait, told who holds it, or refuse at once', async () => {
  const dir = freshDir();
  const holder = new SandboxStore(dir, { command: 'stackfleet rollout' });
  await holder.acquire({ waitMs: 0 });
  const other = new SandboxStore(dir);
  const waits: LockHolder[] = [];
  const refused = other.acquire({ waitMs: 150, onWait: (h) => waits.push(h) });
  await expect(refused).rejects.toThrow(SandboxLockedError);
  await expect(refused).rejects.toThrow(`in use by pid ${process.pid} (stackfleet rollout) since`);
  expect(waits.map((h) => h.command)).toEqual(['stackfleet rollout']);
  await expect(other.acquire({ waitMs: 0 })).rejects.toThrow(/in use by pid/);

  const waiting = other.acquire({ waitMs: 60_000 });
  holder.release();
  await expect(waiting).resolves.toBeUndefined();
  other.release();
});

test('reset removes only the sandbox files and refuses a folder that holds anything else', async () => {
  const project = freshDir();
  writeFileSync(join(project, 'package.json'), '{}');
  mkdirSync(join(project, 'src'));
  const store = new SandboxStore(project);
  const refused = store.reset({ waitMs: 0 });
  await expect(refused).rejects.toThrow(SandboxFolderNotOwnedError);
  await expect(refused).rejects.toThrow(
    `${project} is not a sandbox state folder: it holds package.json, src`,
  );
  await expect(store.save(meta(), { a: {} })).rejects.toThrow(SandboxFolderNotOwnedError);
  await expect(store.load()).rejects.toThrow(SandboxFolderNotOwnedError);
  expect(files(project)).toEqual(['package.json']);

  // A sandbox folder someone put a file into is refused too, whole.
  const mixed = freshDir();
  await new SandboxStore(mixed).save(meta(), { a: { n: 1 } });
  writeFileSync(join(mixed, 'notes.txt'), 'mine');
  await expect(new SandboxStore(mixed).reset({ waitMs: 0 })).rejects.toThrow('it holds notes.txt');
  expect(existsSync(join(mixed, 'stackfleet-sandbox.json'))).toBe(true);

  const own = freshDir();
  await new SandboxStore(own).save(meta(), { a: { n: 1 } });
  const done = await new SandboxStore(own).reset({ waitMs: 0 });
  expect(done.removed.sort()).toEqual(['generations', 'parts', 'stackfleet-sandbox.json']);
  expect(existsSync(own)).toBe(false);
  await expect(new SandboxStore(own).reset({ waitMs: 0 })).resolves.toEqual({ existed: false, removed: [] });
});

test('a folder of the earlier layout (meta.json + sections/) is read, and replaced on the next save', async () => {
  const dir = freshDir();
  mkdirSync(join(dir, 'sections'));
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ version: 1, ...meta(42) }));
  writeFileSync(join(dir, 'sections', 's3.json'), JSON.stringify({ counter: 3, buckets: {} }));
  const store = new SandboxStore(dir);
  const loaded = await store.load();
  expect(loaded.meta?.clock).toBe(42);
  expect(loaded.sections.s3).toEqual({ counter: 3, buckets: {} });
  await store.save(loaded.meta!, loaded.sections);
  expect(existsSync(join(dir, 'meta.json'))).toBe(false);
  expect((await new SandboxStore(dir).load()).sections.s3).toEqual({ counter: 3, buckets: {} });
});

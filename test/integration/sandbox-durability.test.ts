/**
 * What a sandbox opened from a state folder promises: a world keeps its scenario (another one is
 * refused by name), a read-only sandbox writes nothing, and a served sandbox acknowledges a
 * write only once it is journaled, so a sandbox opened afterwards sees it exactly as answered.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { Sandbox } from '../../src/sandbox/sandbox';
import { parseScenario } from '../../src/sandbox/scenario';
import { s3State } from '../../src/sandbox/services/s3';
import { SandboxScenarioConflictError } from '../../src/sandbox/store';
import { journalPath } from '../../src/sandbox/store/folder';

const freshDir = () => mkdtempSync(join(tmpdir(), 'sf-durable-'));
const scenarioOf = (id: string) =>
  parseScenario(`organization:\n  accounts:\n    - { id: "${id}", name: only }\n`);
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

test('a saved world keeps its scenario: another one is refused naming both, the same one is fine', async () => {
  const dir = freshDir();
  const first = await Sandbox.open({ stateDir: dir, scenario: scenarioOf('123456789012') });
  expect(first.origin).toMatchObject({ loaded: false, scenarioSource: 'a scenario object' });
  await first.save();

  const other = Sandbox.open({ stateDir: dir, scenario: scenarioOf('210987654321') });
  await expect(other).rejects.toThrow(SandboxScenarioConflictError);
  await expect(Sandbox.open({ stateDir: dir, scenario: 'src/sandbox/scenarios/small.yaml' })).rejects.toThrow(
    /--scenario .*small\.yaml differs from the scenario the sandbox in .* was made from \(a scenario object\)/,
  );
  const same = await Sandbox.open({ stateDir: dir, scenario: scenarioOf('123456789012') });
  expect(same.origin.loaded).toBe(true);
  const kept = await Sandbox.open({ stateDir: dir });
  expect(kept.scenario.organization.managementAccountId).toBe('123456789012');
  const reset = await Sandbox.open({ stateDir: dir, scenario: scenarioOf('210987654321'), reset: true });
  expect(reset.scenario.organization.managementAccountId).toBe('210987654321');
});

test('a read-only sandbox creates no folder, and changes no file of an existing one', async () => {
  const missing = join(freshDir(), 'not-yet');
  const reader = await Sandbox.open({ stateDir: missing, access: 'read' });
  s3State(reader.world).buckets.x = { owner: '1', region: 'us-east-1', createdAt: 1, objects: {} };
  await expect(reader.save()).rejects.toThrow(/read-only/);
  await reader.close();
  expect(existsSync(missing)).toBe(false);

  const dir = freshDir();
  await (await Sandbox.open({ stateDir: dir })).save();
  const snapshot = () =>
    readdirSync(dir, { recursive: true })
      .map(String)
      .sort()
      .map((f) => `${f}:${statSync(join(dir, f)).mtimeMs}`);
  const before = snapshot();
  const again = await Sandbox.open({ stateDir: dir, access: 'read' });
  again.world.advance(60_000);
  await again.close();
  expect(snapshot()).toEqual(before);
});

test('a served sandbox answers a write once journaled; a sandbox opened after a crash sees it as answered', async () => {
  const dir = freshDir();
  const served = await Sandbox.open({ stateDir: dir, lock: { command: 'test serve', waitMs: 0 } });
  await served.persistence.startJournal();
  const server = await served.listen(0);
  const s3 = new S3Client({ region: 'us-east-1', endpoint: server.url, forcePathStyle: true, credentials });
  await s3.send(new CreateBucketCommand({ Bucket: 'journaled' }));
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: 'journaled', VersioningConfiguration: { Status: 'Enabled' } }),
  );
  const put = await s3.send(new PutObjectCommand({ Bucket: 'journaled', Key: 'k', Body: 'acknowledged' }));
  // A mutating Step Functions call is answered after a whole generation was written.
  const sfn = new SFNClient({ region: 'us-east-1', endpoint: server.url, credentials });
  const { CreateStateMachineCommand } = await import('@aws-sdk/client-sfn');
  await sfn.send(
    new CreateStateMachineCommand({
      name: 'journaled',
      definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
      roleArn: 'arn:aws:iam::111122223333:role/any',
    }),
  );
  const pointer = JSON.parse(readFileSync(join(dir, 'stackfleet-sandbox.json'), 'utf8'));
  expect(pointer.generation).toBe(2);
  await s3.send(new PutObjectCommand({ Bucket: 'journaled', Key: 'after', Body: 'after the checkpoint' }));
  // "Crash": nothing saved, the lock left behind; a half-written line that was never answered.
  await server.close();
  const journals = readdirSync(join(dir, 'journal'));
  const last = join(dir, 'journal', journals.sort().at(-1) as string);
  expect(readFileSync(last, 'utf8')).not.toMatch(/authorization|x-amz-security-token/i);
  appendFileSync(last, '{"at":1,"service":"s3","requ');

  const reopened = await Sandbox.open({ stateDir: dir, access: 'read' });
  expect(reopened.origin.replayed).toBeGreaterThanOrEqual(1);
  const local = new S3Client({
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestHandler: reopened.requestHandler() as never,
  });
  const got = await local.send(new GetObjectCommand({ Bucket: 'journaled', Key: 'k' }));
  expect(got.VersionId).toBe(put.VersionId);
  expect(await got.Body?.transformToString()).toBe('acknowledged');
  const after = await local.send(new GetObjectCommand({ Bucket: 'journaled', Key: 'after' }));
  expect(await after.Body?.transformToString()).toBe('after the checkpoint');
  const machines = await new SFNClient({
    region: 'us-east-1',
    credentials,
    requestHandler: reopened.requestHandler() as never,
  }).send(new ListStateMachinesCommand({}));
  expect(machines.stateMachines?.map((m) => m.name)).toEqual(['journaled']);
  await served.close();
});

test('an external Lambda Invoke whose function wrote something the journal could not keep is answered ServiceUnavailable, not success', async () => {
  // The function's own writes come back into the sandbox as internal calls, each journaled but not
  // waited for; the Invoke is answered once they are on disk (durability.ts). The journal is a
  // file that refuses writes (/dev/full: ENOSPC), as a full disk would.
  const dir = freshDir();
  const served = await Sandbox.open({ stateDir: dir, lock: { command: 'test serve', waitMs: 0 } });
  await served.persistence.startJournal();
  const generation = JSON.parse(readFileSync(join(dir, 'stackfleet-sandbox.json'), 'utf8')).generation;
  mkdirSync(join(dir, 'journal'), { recursive: true });
  symlinkSync('/dev/full', join(dir, journalPath(generation)));
  const caller = { accountId: '111122223333', accessKeyId: 'test', arn: 'arn:aws:iam::111122223333:root' };
  const ctx = () =>
    ({
      caller,
      region: 'us-east-1',
      now: () => served.world.now(),
      world: served.world,
      requestId: 'r',
    }) as never;
  const request = {
    method: 'POST',
    hostname: 'localhost',
    path: '/',
    query: {},
    headers: {},
    body: Buffer.from(''),
  };
  let functionWrote = false;
  const invoke = served.persistence.apply(
    'lambda',
    'Invoke',
    async () => {
      // The function's PutObject: applied in the world, its journal line lost.
      await served.persistence.apply('s3', 'PutObject', () => 'applied', ctx(), request, false);
      functionWrote = true;
      return { StatusCode: 200 };
    },
    ctx(),
    request,
    true,
  );
  await expect(invoke).rejects.toMatchObject({ code: 'ServiceUnavailable', statusCode: 503 });
  expect(functionWrote).toBe(true);
  // Every later write is refused the same way: nothing is acknowledged that a restart would lose.
  await expect(
    served.persistence.apply('s3', 'PutObject', () => 'applied', ctx(), request, true),
  ).rejects.toMatchObject({ code: 'ServiceUnavailable' });
  await served.close();
});

/**
 * Emulator throughput: calls per second through the real SDK clients, in-process and over HTTP,
 * and the sandbox's own share (a pre-signed request replayed through `sandbox.handle`). A rollout
 * of 10,000 targets makes ~100k calls, so the in-process figure bounds how fast it can simulate.
 *
 * `--targets T` adds a simulated rollout under virtual time: T targets at once, each assuming
 * the execution role and then polling ten times 30 virtual seconds apart (11 calls a target),
 * which is the shape of the real deploy-target loop.
 *
 *   tsx scripts/bench-sandbox.ts [--calls N] [--concurrency C] [--targets T]
 */
import '../src/core/polyfills';
import { performance } from 'node:perf_hooks';
import { ListRootsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Sandbox } from '../src/sandbox/sandbox';
import type { SandboxRequest } from '../src/sandbox/types';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`--${name} must be a positive whole number. Received: ${process.argv[at + 1]}`);
  }
  return value;
}

const calls = arg('calls', 3000);
const concurrency = arg('concurrency', 16);
const targets = arg('targets', 1000);

async function measure(label: string, call: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 50; i++) await call(); // warm-up
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        next += 1;
        await call();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const rate = calls / seconds;
  console.log(
    `${label.padEnd(52)} ${rate.toFixed(0).padStart(7)} calls/s  (${((seconds / calls) * 1e6).toFixed(0)} µs/call)`,
  );
}

/** T targets polling under virtual time through the in-process transport. */
async function simulatedRollout(sandbox: Sandbox): Promise<void> {
  const members = sandbox.scenario.organization.accounts.filter(
    (a) => a.id !== sandbox.scenario.organization.managementAccountId && a.executionRole === 'present',
  );
  const regions = sandbox.scenario.regions;
  const handler = sandbox.requestHandler();
  const before = Object.values(sandbox.world.metrics.calls).reduce((a, b) => a + b, 0);
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let steps = 0;
  const virtualStart = sandbox.now();
  const virtualEnd = await sandbox.runWithVirtualTime(
    async () => {
      const admin = new STSClient({
        region: 'us-east-1',
        credentials: sandbox.adminCredentials,
        requestHandler: handler,
      });
      await Promise.all(
        Array.from({ length: targets }, async (_, i) => {
          const account = members[i % members.length]?.id;
          const region = regions[Math.floor(i / members.length) % regions.length] ?? 'us-east-1';
          const out = await admin.send(
            new AssumeRoleCommand({
              RoleArn: `arn:aws:iam::${account}:role/StackFleetExecution`,
              RoleSessionName: `t${i}`,
            }),
          );
          const c = out.Credentials;
          const target = new STSClient({
            region,
            requestHandler: handler,
            credentials: {
              accessKeyId: c?.AccessKeyId ?? '',
              secretAccessKey: c?.SecretAccessKey ?? '',
              sessionToken: c?.SessionToken ?? '',
            },
          });
          await new Promise((resolve) => setTimeout(resolve, (i % 30) * 1000));
          for (let poll = 0; poll < 10; poll++) {
            await target.send(new GetCallerIdentityCommand({}));
            await new Promise((resolve) => setTimeout(resolve, 30_000));
          }
        }),
      );
      return Date.now();
    },
    { onStep: () => (steps += 1) },
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const made = Object.values(sandbox.world.metrics.calls).reduce((a, b) => a + b, 0) - before;
  console.log(
    `virtual-time rollout: ${targets} targets, ${made} SDK calls, ${((virtualEnd - virtualStart) / 60_000).toFixed(1)} virtual minutes in ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU (${(made / cpuSeconds).toFixed(0)} calls per CPU second, ${steps} clock steps)`,
  );
}

async function main(): Promise<void> {
  const sandbox = await Sandbox.open({ stateDir: null });
  const server = await sandbox.listen(0);
  const admin = sandbox.adminCredentials;
  console.log(
    `sandbox benchmark: ${calls} calls per line, ${concurrency} at a time, node ${process.version}`,
  );

  for (const transport of ['in-process', 'http'] as const) {
    const base =
      transport === 'http' ? { endpoint: server.url } : { requestHandler: sandbox.requestHandler() };
    const sts = new STSClient({ region: 'us-east-1', credentials: admin, ...base });
    const assumed = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${sandbox.scenario.organization.accounts[1]?.id}:role/StackFleetExecution`,
        RoleSessionName: 'bench',
      }),
    );
    const c = assumed.Credentials;
    const member = new STSClient({
      region: 'eu-west-1',
      credentials: {
        accessKeyId: c?.AccessKeyId ?? '',
        secretAccessKey: c?.SecretAccessKey ?? '',
        sessionToken: c?.SessionToken ?? '',
      },
      ...base,
    });
    const org = new OrganizationsClient({ region: 'us-east-1', credentials: admin, ...base });
    const s3 = new S3Client({
      region: 'us-east-1',
      credentials: admin,
      forcePathStyle: transport === 'http',
      ...base,
    });
    const bucket = `bench-${transport}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x'.repeat(2048) }));

    await measure(`${transport}: STS GetCallerIdentity (query, admin key)`, () =>
      sts.send(new GetCallerIdentityCommand({})),
    );
    await measure(`${transport}: STS GetCallerIdentity (query, session key)`, () =>
      member.send(new GetCallerIdentityCommand({})),
    );
    await measure(`${transport}: Organizations ListRoots (json 1.1)`, () =>
      org.send(new ListRootsCommand({})),
    );
    await measure(`${transport}: S3 HeadObject (rest-xml)`, () =>
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' })),
    );
  }

  // The sandbox's own cost: replay one signed request (SigV4 check, decode, operation, encode).
  let captured: SandboxRequest | undefined;
  const capture = new STSClient({
    region: 'us-east-1',
    credentials: admin,
    requestHandler: {
      handle: async (request: SandboxRequest & { headers: Record<string, string> }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
        captured = {
          ...request,
          headers,
          body: Buffer.from(String((request as { body?: unknown }).body ?? '')),
        };
        return sandbox.requestHandler().handle(request as never);
      },
    } as never,
  });
  await capture.send(new GetCallerIdentityCommand({}));
  const replay = captured as SandboxRequest;
  await measure('sandbox.handle only (STS GetCallerIdentity)', () => sandbox.handle(replay));

  await server.close();
  await simulatedRollout(sandbox);
  const total = Object.values(sandbox.world.metrics.calls).reduce((a, b) => a + b, 0);
  console.log(`${total} calls answered`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

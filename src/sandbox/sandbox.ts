/**
 * The sandbox cloud: a local multi-account AWS behind the real wire protocols. Each request is
 * verified (SigV4, key -> account), decoded by its service's protocol, answered by the service
 * emulator, and encoded back; faults from the scenario (throttling) are injected here. Reached
 * in-process through `requestHandler()` or over HTTP through `listen()`.
 */
import { resolve } from 'node:path';
import { configureAws } from '../aws/clients';
import type { ProvisionedAdmin } from '../engine/provision';
import { seedOrganizationAccessRoles } from './admin/bootstrap';
import { prepareSandbox } from './admin/index';
import { settleDue } from './cfn/settle-due';
import { emitDueStackStatusChanges } from './cfn/stack-events-schedule';
import { realNow, runWithVirtualTime, type VirtualTimeOptions } from './clock';
import { WorldPersistence } from './durability';
import { actionMappingFor } from './iam/actions/index';
import { DENIAL_SHAPES, operationIam, principalOf, type RequestFacts } from './iam/authorize';
import { seedScenarioUsers, userArnOf } from './iam/scenario-users';
import { registeredServices } from './internal-call';
import { chooseScenario, loadPersisted, type Persisted } from './persistence';
import type { DecodedCall, ProtocolCodec, ProtocolErrorCodes } from './protocols/codec';
import { ec2Codec, ec2ErrorCodes } from './protocols/ec2';
import { jsonCodec, jsonErrorCodes } from './protocols/json';
import { queryCodec, queryErrorCodes } from './protocols/query';
import { restJsonCodec, restJsonErrorCodes } from './protocols/rest-json';
import { restXmlCodec, restXmlErrorCodes } from './protocols/rest-xml';
import type { Scenario } from './scenario-types';
import { serveSandbox } from './server';
import { registerDefaultServices } from './services/index';
import { readObjectFromState } from './services/s3';
import { sessionCaller, sessionSecrets, stsState } from './services/sts';
import {
  checkDeclaredPayload,
  computeSignature,
  MalformedAuthorizationError,
  parseAmzDate,
  parseAuthorization,
  type SigV4Authorization,
  verifyStreamingPayload,
} from './sigv4';
import { DEFAULT_STATE_DIR, type LockHolder, SandboxStore } from './store';
import { type JournalEntry, replayedRequest } from './store/journal';
import { createInProcessHandler, type InProcessHandler } from './transport';
import {
  AwsError,
  type Caller,
  type OperationContext,
  type SandboxRequest,
  type SandboxResponse,
  type ServiceEmulator,
} from './types';
import { own, World } from './world';

export interface SandboxOptions {
  /** A scenario, or the path of a scenario YAML file. Default: the persisted one, else the demo organisation. */
  scenario?: Scenario | string;
  /** Where state is kept (default `.stackfleet/sandbox`); `null` keeps everything in memory. */
  stateDir?: string | null;
  /** Start over: forget the persisted world. */
  reset?: boolean;
  /** Register the default services (default true). */
  defaultServices?: boolean;
  /**
   * The clock signatures are checked against for skew, besides real time. Default `Date.now`
   * (the clock the in-process SDK signs with, fake under virtual or scaled time).
   */
  signingClock?: () => number;
  /** Where an object `scenario` came from (its file), for messages and the saved world. */
  scenarioSource?: string;
  /** `read`: the world is loaded and never saved (no lock, nothing written). Default `write`. */
  access?: 'read' | 'write';
  /**
   * Hold the folder's writer lock from open to `close()`, so no other process writes the world
   * meanwhile: one that tries waits up to `waitMs`, calling `onWait` when it starts waiting.
   */
  lock?: { command: string; waitMs: number; onWait?: (holder: LockHolder, dir: string) => void };
}

/** What `open` found and decided about the folder. */
export interface SandboxOrigin {
  /** Where the scenario in force came from (a file, "the built-in demo organisation", ...). */
  scenarioSource: string;
  /** True when the world was loaded from the state folder; false for a new (or reset) world. */
  loaded: boolean;
  /** Calls replayed from `sandbox serve`'s journal. */
  replayed: number;
}

const CODECS: Record<ServiceEmulator['protocol'], { codec: ProtocolCodec; codes: ProtocolErrorCodes }> = {
  query: { codec: queryCodec, codes: queryErrorCodes },
  ec2: { codec: ec2Codec, codes: ec2ErrorCodes },
  json: { codec: jsonCodec, codes: jsonErrorCodes },
  'rest-xml': { codec: restXmlCodec, codes: restXmlErrorCodes },
  'rest-json': { codec: restJsonCodec, codes: restJsonErrorCodes },
};

/** Names used in "not implemented in the sandbox: Service.Operation". */
const SERVICE_NAMES: Record<string, string> = {
  sts: 'STS',
  cloudformation: 'CloudFormation',
  s3: 'S3',
  ec2: 'EC2',
  organizations: 'Organizations',
  sns: 'SNS',
  states: 'StepFunctions',
  lambda: 'Lambda',
  events: 'EventBridge',
  cloudtrail: 'CloudTrail',
  config: 'ConfigService',
  iam: 'IAM',
  dynamodb: 'DynamoDB',
};

/**
 * Regional services the core refuses in a region the caller's account has not enabled. Global
 * ones (Organizations, S3) are not; CloudFormation and Step Functions check for themselves.
 */
const REGION_CHECKED_SERVICES = new Set([
  'sts',
  'sns',
  'ec2',
  'lambda',
  'events',
  'cloudtrail',
  'config',
  'dynamodb',
]);

const MAX_SKEW_MS = 15 * 60 * 1000;

const INVALID_TOKEN = 'The security token included in the request is invalid.';
const EXPIRED_TOKEN = 'The security token included in the request is expired';
const BAD_SIGNATURE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

function guessProtocol(request: SandboxRequest): ServiceEmulator['protocol'] {
  if (request.headers['x-amz-target']) return 'json';
  const type = request.headers['content-type'] ?? '';
  if (type.startsWith('application/x-www-form-urlencoded') || request.query.Action !== undefined)
    return 'query';
  return 'rest-xml';
}

interface KeyRecord {
  secret: string;
  accountId: string;
  /** The IAM user the key belongs to; absent: the account's root. */
  userName?: string;
}

export class Sandbox {
  /** The management account's root (`test`/`test`, the convention of AWS emulators). */
  readonly managementCredentials = { accessKeyId: 'test', secretAccessKey: 'test' } as const;
  /** The admin account's root: the management account's unless the scenario names another admin account. */
  readonly adminCredentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  private readonly services = new Map<string, ServiceEmulator>();
  private readonly staticKeys = new Map<string, KeyRecord>();
  private requestCounter = 0;
  private throttleCounter = 0;
  private readonly reportedBugs = new Set<string>();
  private readonly signingClock: () => number;
  /** The state folder's side: saves, and `sandbox serve`'s journal and checkpoints. */
  readonly persistence: WorldPersistence;
  readonly origin: SandboxOrigin;

  private constructor(
    readonly world: World,
    store: SandboxStore | undefined,
    options: SandboxOptions,
    origin: SandboxOrigin,
    persisted: Pick<Persisted, 'generation' | 'journalBases' | 'reset'>,
  ) {
    this.persistence = new WorldPersistence(
      world,
      store,
      options.access ?? 'write',
      origin.scenarioSource,
      persisted.generation,
      persisted,
    );
    this.origin = origin;
    this.signingClock = options.signingClock ?? (() => Date.now());
    world.setObjectReader(readObjectFromState);
    this.staticKeys.set('test', {
      secret: 'test',
      accountId: world.scenario.organization.managementAccountId,
    });
    const adminAccountId = world.scenario.adminAccountId;
    if (adminAccountId !== undefined && adminAccountId !== world.scenario.organization.managementAccountId) {
      this.adminCredentials = { accessKeyId: 'sandbox-admin', secretAccessKey: 'sandbox-admin' };
      this.staticKeys.set('sandbox-admin', { secret: 'sandbox-admin', accountId: adminAccountId });
    } else {
      this.adminCredentials = this.managementCredentials;
    }
    for (const key of world.scenario.accessKeys ?? []) {
      this.staticKeys.set(key.accessKeyId, {
        secret: key.secretAccessKey,
        accountId: key.accountId,
        ...(key.userName !== undefined ? { userName: key.userName } : {}),
      });
    }
  }

  /**
   * Opens (or creates) the sandbox world; see `SandboxOptions`. Refuses a state folder that holds
   * files the sandbox did not write, and a scenario other than the one a saved world was made from.
   */
  static async open(options: SandboxOptions = {}): Promise<Sandbox> {
    const stateDir = options.stateDir === undefined ? DEFAULT_STATE_DIR : options.stateDir;
    if (options.access === 'read' && options.reset) throw new Error('Sandbox.open: reset needs write access');
    const store =
      stateDir === null
        ? undefined
        : new SandboxStore(resolve(stateDir), options.lock ? { command: options.lock.command } : {});
    try {
      const lock = options.lock;
      if (store && lock && options.access !== 'read') {
        await store.acquire({
          waitMs: lock.waitMs,
          command: lock.command,
          ...(lock.onWait ? { onWait: (holder: LockHolder) => lock.onWait?.(holder, store.dir) } : {}),
        });
      }
      const persisted = await loadPersisted(store, Boolean(options.reset));
      const chosen = chooseScenario(options.scenario, persisted.meta, store?.dir, options.scenarioSource);
      const world = new World(chosen.scenario, persisted.sections, persisted.meta?.clock ?? 0);
      const origin = {
        scenarioSource: chosen.source,
        loaded: chosen.saved,
        replayed: persisted.journal.length,
      };
      const sandbox = new Sandbox(world, store, options, origin, persisted);
      // Organizations made the member accounts, and with each the role it creates there (Organizations
      // User Guide, orgs_manage_accounts_access): the one way in before anything is deployed.
      seedOrganizationAccessRoles(world, world.now());
      seedScenarioUsers(world, world.now());
      if (options.defaultServices !== false) registerDefaultServices(sandbox);
      await sandbox.replay(persisted.journal);
      return sandbox;
    } catch (error) {
      store?.release();
      throw error;
    }
  }

  get scenario(): Scenario {
    return this.world.scenario;
  }

  /** Virtual now of this world (continues the persisted clock). */
  now(): number {
    return this.world.now();
  }

  /** Adds or replaces the emulator of a service (by signing name). */
  register(service: ServiceEmulator): void {
    this.services.set(service.signingName, service);
    // Services that act inside the sandbox (EventBridge starting an execution) find each other here.
    registeredServices(this.world).set(service.signingName, service);
  }

  /** The registered emulator for a signing name. */
  service(signingName: string): ServiceEmulator | undefined {
    return this.services.get(signingName);
  }

  /** An SDK `requestHandler` that hands signed requests to this sandbox in-process (no sockets). */
  requestHandler(): InProcessHandler {
    return createInProcessHandler(this);
  }

  /** Points `src/aws/clients.ts` at this sandbox in-process, with the admin credentials by default. */
  connectAws(options: { maxAttempts?: number } = {}): void {
    configureAws({
      requestHandler: this.requestHandler(),
      credentials: { ...this.adminCredentials },
      ...options,
    });
  }

  /**
   * Readies the world for stackfleet as an operator readies AWS (members bootstrapped, the admin
   * stack deployed from the CDK app) and says where the admin parts are. Call with the SDK
   * connected to this sandbox (`connectAws`) and under its clock (`runWithVirtualTime`).
   */
  prepare(region: string): Promise<ProvisionedAdmin> {
    return prepareSandbox(this.world, { region, managementCredentials: this.managementCredentials });
  }

  /**
   * Runs `work` under virtual time starting from this world's clock. With `signal`, an abort
   * stops the clock, lets in-flight work settle on it, runs `whileFrozen` on that still world
   * (to save it whole) and rejects with the signal's reason.
   */
  async runWithVirtualTime<T>(
    work: () => Promise<T>,
    options: Omit<VirtualTimeOptions, 'startAt'> = {},
  ): Promise<T> {
    let end = 0;
    try {
      return await runWithVirtualTime(
        async () => {
          try {
            return await work();
          } finally {
            end = Date.now();
          }
        },
        { ...options, startAt: this.now() },
      );
    } finally {
      // Virtual time that passed stays passed: without this the next session would start back at
      // real time, before operations this one started, so settled stacks would run again.
      const behind = end - this.world.now();
      if (behind > 0) this.world.advance(behind);
    }
  }

  /** The state folder (undefined for a memory-only sandbox). */
  get stateDir(): string | undefined {
    return this.persistence.dir;
  }

  /**
   * Persists the world as a new generation (parts that did not change are not rewritten) under
   * the writer lock; no-op for a memory-only sandbox. The world must not change meanwhile: call
   * it when the work is idle (`persistence.checkpoint` is for a live world).
   */
  save(): Promise<void> {
    return this.persistence.save();
  }

  /** Stops journaling and releases the writer lock (nothing is saved: call `save` first). */
  close(): Promise<void> {
    return this.persistence.close();
  }

  /** Applies journaled calls again, in order, as the callers recorded made them at their times. */
  private async replay(entries: JournalEntry[]): Promise<void> {
    let last = 0;
    for (const entry of entries) {
      const service = this.services.get(entry.service);
      if (!service) continue;
      const request = replayedRequest(entry);
      const call = CODECS[service.protocol].codec.decode(request, service);
      const operation = own(service.operations, call.operation);
      if (!operation) continue;
      // As on the request path: stacks that had ended took effect, and the caller's IAM applies
      // (an AssumeRole replays its trust decision).
      settleDue(this.world, entry.at);
      const ctx: OperationContext = {
        caller: entry.caller,
        region: entry.region,
        now: () => entry.at,
        world: this.world,
        requestId: entry.requestId,
        iam: operationIam(
          this.world,
          principalOf(this.world, entry.caller),
          { region: entry.region, now: entry.at },
          DENIAL_SHAPES[service.signingName] ?? { code: 'AccessDenied', status: 403 },
        ),
      };
      try {
        await operation(call.params, ctx);
      } catch {
        // It failed the same way when it was first applied.
      }
      last = Math.max(last, entry.at);
    }
    if (last > this.world.now()) this.world.advance(last - this.world.now());
  }

  /** Serves this sandbox over HTTP on 127.0.0.1. */
  listen(port: number): Promise<{ url: string; close(): Promise<void> }> {
    return serveSandbox({ handle: (request) => this.handle(request, { external: true }) }, port);
  }

  /**
   * Answers one request; never throws (every failure is an AWS-style error response).
   * `external`: the request came from another process (over HTTP), so a write is acknowledged
   * only once durable when journaling.
   */
  async handle(request: SandboxRequest, options: { external?: boolean } = {}): Promise<SandboxResponse> {
    this.inFlight += 1;
    try {
      return await this.answer(request, options);
    } finally {
      this.inFlight -= 1;
    }
  }

  /** Calls being answered now (a function's calls nest inside its Invoke): a served clock slows down meanwhile. */
  get callsInFlight(): number {
    return this.inFlight;
  }

  private inFlight = 0;

  private async answer(request: SandboxRequest, options: { external?: boolean }): Promise<SandboxResponse> {
    this.requestCounter += 1;
    const requestId = `5b1e0c2a-0000-4000-8000-${this.requestCounter.toString(16).padStart(12, '0')}`;
    let protocol = guessProtocol(request);
    let response: SandboxResponse;
    try {
      let auth: SigV4Authorization | undefined;
      try {
        auth = parseAuthorization(request.headers.authorization);
      } catch (error) {
        if (error instanceof MalformedAuthorizationError)
          throw new AwsError('IncompleteSignature', error.message, 403);
        throw error;
      }
      const service = auth ? this.services.get(auth.service) : undefined;
      if (service) protocol = service.protocol;
      const { codes } = CODECS[protocol];
      if (!auth) {
        throw new AwsError(
          codes.missingAuth.code,
          'Request is missing Authentication Token',
          codes.missingAuth.status,
        );
      }
      if (!service) {
        throw new AwsError(
          codes.unknownOperation.code,
          `not implemented in the sandbox: ${SERVICE_NAMES[auth.service] ?? auth.service} (no emulator for signing name "${auth.service}")`,
          codes.unknownOperation.status,
        );
      }
      const caller = this.authenticate(request, auth, codes);
      if (REGION_CHECKED_SERVICES.has(service.signingName)) {
        this.checkRegion(caller, auth.region, service.signingName, codes);
      }
      const { codec } = CODECS[protocol];
      const call = codec.decode(request, service);
      this.world.countCall(service.signingName, call.operation, caller.accountId, auth.region);
      this.maybeThrottle(service.signingName, call.operation, codes);
      const operation = own(service.operations, call.operation);
      if (!operation) {
        throw new AwsError(
          codes.unknownOperation.code,
          `not implemented in the sandbox: ${SERVICE_NAMES[service.signingName] ?? service.signingName}.${call.operation}`,
          codes.unknownOperation.status,
        );
      }
      // Stacks whose operations ended take effect before anything reads what they made, and
      // their status change events are sent (when no virtual clock sent them on time).
      settleDue(this.world, this.world.now());
      emitDueStackStatusChanges(this.world, this.world.now());
      const facts: RequestFacts = {
        region: auth.region,
        now: this.world.now(),
        secureTransport: request.secure !== false,
      };
      const iam = operationIam(
        this.world,
        principalOf(this.world, caller),
        facts,
        DENIAL_SHAPES[service.signingName] ?? { code: 'AccessDenied', status: 403 },
      );
      const mapping = actionMappingFor(service.signingName, call.operation);
      if (!mapping) {
        // Answering it without a check would let anyone call it: a sandbox bug, reported loudly.
        throw new Error(
          `no IAM mapping for ${SERVICE_NAMES[service.signingName] ?? service.signingName}.${call.operation} (src/sandbox/iam/actions/)`,
        );
      }
      const specs = mapping(call.params as Record<string, unknown>, {
        world: this.world,
        caller,
        region: auth.region,
      });
      if (specs !== 'self') iam.authorize(specs);
      const ctx: OperationContext = {
        caller,
        region: auth.region,
        now: () => this.world.now(),
        world: this.world,
        requestId,
        iam,
        // What CloudTrail records of the request (its userAgent and sourceIPAddress fields).
        userAgent: request.headers['user-agent'] ?? '',
        sourceIp: request.headers['x-forwarded-for']?.split(',')[0]?.trim() || '127.0.0.1',
      };
      const result = await this.persistence.apply(
        service.signingName,
        call.operation,
        () => operation(call.params, ctx),
        ctx,
        request,
        options.external === true,
      );
      response = codec.encodeResult(result, call as DecodedCall, service, requestId);
    } catch (error) {
      if (!(error instanceof AwsError)) this.reportBug(error);
      const awsError =
        error instanceof AwsError
          ? error
          : new AwsError(
              'InternalFailure',
              `Internal error in the sandbox: ${error instanceof Error ? error.message : String(error)}`,
              500,
              'Receiver',
            );
      response = CODECS[protocol].codec.encodeError(awsError, requestId, request);
    }
    response.headers.date = new Date(this.signingClock()).toUTCString();
    return response;
  }

  /**
   * An operation threw something other than an AwsError: a bug in an emulator. The caller gets
   * InternalFailure (which the SDK retries); the stack goes to stderr once per message so the
   * bug can be found instead of surfacing only as a retried 500.
   */
  private reportBug(error: unknown): void {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    const key = text.split('\n')[0] ?? text;
    if (this.reportedBugs.has(key)) return;
    this.reportedBugs.add(key);
    process.emitWarning(`sandbox operation failed with an unexpected error: ${text}`, 'SandboxBugWarning');
  }

  private authenticate(request: SandboxRequest, auth: SigV4Authorization, codes: ProtocolErrorCodes): Caller {
    let secret: string;
    let caller: Caller;
    const fixed = this.staticKeys.get(auth.accessKeyId);
    if (fixed) {
      secret = fixed.secret;
      caller =
        fixed.userName !== undefined
          ? {
              accountId: fixed.accountId,
              accessKeyId: auth.accessKeyId,
              arn: userArnOf(this.world, fixed.accountId, fixed.userName),
              userName: fixed.userName,
            }
          : {
              accountId: fixed.accountId,
              accessKeyId: auth.accessKeyId,
              arn: `arn:aws:iam::${fixed.accountId}:root`,
            };
    } else {
      const session = own(stsState(this.world).sessions, auth.accessKeyId);
      const secrets = session ? sessionSecrets(this.world.scenario.seed, auth.accessKeyId) : undefined;
      if (!session || !secrets || request.headers['x-amz-security-token'] !== secrets.sessionToken) {
        throw new AwsError(codes.unknownKey.code, INVALID_TOKEN, codes.unknownKey.status);
      }
      if (session.expiration <= this.world.now()) {
        throw new AwsError(codes.expired.code, EXPIRED_TOKEN, codes.expired.status);
      }
      secret = secrets.secretAccessKey;
      caller = sessionCaller(auth.accessKeyId, session);
    }
    const signedAt = parseAmzDate(request.headers['x-amz-date']);
    if (Number.isNaN(signedAt)) {
      throw new AwsError(
        'IncompleteSignature',
        `x-amz-date must be yyyymmddThhmmssZ. Received: ${request.headers['x-amz-date'] ?? '(none)'}`,
        403,
      );
    }
    // Clients in this process sign with its clock (fake under virtual or scaled time); clients in
    // other processes sign with real time. A request within the skew of either is on time.
    const now = this.signingClock();
    if (Math.abs(signedAt - now) > MAX_SKEW_MS && Math.abs(signedAt - realNow()) > MAX_SKEW_MS) {
      const stamp = request.headers['x-amz-date'];
      if (auth.service === 's3') {
        throw new AwsError(
          'RequestTimeTooSkewed',
          'The difference between the request time and the current time is too large.',
          403,
        );
      }
      throw new AwsError(
        codes.badSignature.code,
        `Signature expired: ${stamp} is now earlier than ${new Date(now - MAX_SKEW_MS).toISOString()} (${new Date(now).toISOString()} - 15 min.)`,
        codes.badSignature.status,
      );
    }
    // S3 alone signs a declared payload hash (UNSIGNED-PAYLOAD, STREAMING-*); see sigv4.ts.
    checkDeclaredPayload(request, auth.service, auth.signedHeaders);
    if (computeSignature(request, auth, secret) !== auth.signature) {
      throw new AwsError(codes.badSignature.code, BAD_SIGNATURE, codes.badSignature.status);
    }
    verifyStreamingPayload(request, auth, secret);
    return caller;
  }

  private checkRegion(caller: Caller, region: string, signingName: string, codes: ProtocolErrorCodes): void {
    if (this.world.isRegionEnabled(caller.accountId, region)) return;
    if (signingName === 'sts') {
      throw new AwsError(
        'RegionDisabledException',
        `STS is not activated in this region for account:${caller.accountId}. Your account administrator can activate STS in this region using the IAM Console.`,
        403,
      );
    }
    // AWS does not accept credentials in a region the account has not enabled.
    throw new AwsError(codes.unknownKey.code, INVALID_TOKEN, codes.unknownKey.status);
  }

  private maybeThrottle(signingName: string, operation: string, codes: ProtocolErrorCodes): void {
    const rule = this.world.scenario.faults.throttle;
    if (!rule || rule.rate <= 0) return;
    if (rule.services && !rule.services.includes(signingName)) return;
    if (rule.operations && !rule.operations.includes(operation)) return;
    this.throttleCounter += 1;
    if (this.world.random(`throttle:${this.throttleCounter}`) >= rule.rate) return;
    const name = `${signingName}.${operation}`;
    this.world.metrics.throttled[name] = (this.world.metrics.throttled[name] ?? 0) + 1;
    throw new AwsError(codes.throttled.code, codes.throttled.message, codes.throttled.status);
  }
}

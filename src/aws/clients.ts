import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { ambientIdentity } from './ambient-identity';

/**
 * The one place SDK clients are made. The sandbox swaps the transport (an in-process
 * `requestHandler`, or an endpoint on loopback) through `configureAws`; the code path that
 * builds and sends requests is the same as against AWS.
 */
export interface AwsTransport {
  /** An SDK request handler (the sandbox's in-process transport). */
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's HttpHandler generic differs per client package
  requestHandler?: any;
  /** Endpoint for every service, e.g. `http://127.0.0.1:4566` (also read from AWS_ENDPOINT_URL by the SDK). */
  endpoint?: string;
  /** Credentials used when a caller does not pass its own (the admin/function identity). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** SDK max attempts (standard retry mode); default 3 like the SDK. */
  maxAttempts?: number;
  /**
   * Per-service transports that win over the fields above, e.g. `{ sfn: { requestHandler } }` to
   * run Step Functions on the local engine while every other service goes to AWS (`--local-engine`).
   */
  services?: Partial<Record<ServiceName, Omit<AwsTransport, 'services'>>>;
}

export type ServiceName =
  | 'cloudFormation'
  | 'sts'
  | 's3'
  | 'organizations'
  | 'ec2'
  | 'sns'
  | 'sfn'
  | 'lambda'
  | 'cloudTrail'
  | 'configService'
  | 'iam'
  | 'dynamodb';

let transport: AwsTransport = {};

/** Points every client made from now on at a transport. Called by the sandbox and the CLI. */
export function configureAws(next: AwsTransport): void {
  transport = { ...next };
  clientCache = new Map();
  sharedSettings = new Map();
  configuredEndpoints = new Map();
}

/** The transport in force (for code that must pass it on, such as the local engine). */
export function currentAwsTransport(): AwsTransport {
  return transport;
}

export interface ClientOptions {
  region: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

function transportFor(service: ServiceName): Omit<AwsTransport, 'services'> {
  const override = transport.services?.[service];
  if (!override) return transport;
  return { maxAttempts: transport.maxAttempts, ...override };
}

/**
 * Settings every new client resolves from the environment and the shared config files
 * (AWS_USE_FIPS_ENDPOINT, `use_fips_endpoint` in ~/.aws/config, ...) that do not depend on the
 * client's region or identity. A rollout makes a client per target account and region, and each
 * one looked all of them up again, building an error per source that had no value. The first
 * client of a service resolves them as the SDK does; later clients of that service reuse its
 * memoised providers, so the values and their precedence stay the SDK's own.
 */
const PROCESS_WIDE_SETTINGS = [
  'useFipsEndpoint',
  'useDualstackEndpoint',
  'retryMode',
  'userAgentAppId',
  'authSchemePreference',
] as const;
let sharedSettings = new Map<ServiceName, Record<string, unknown>>();

/**
 * The endpoint the environment or the shared config files configure for a service
 * (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, `endpoint_url` in a profile; none when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS says so), as the first client of the service looked it up:
 * a URL, or null for none. Every client otherwise looks it up again on its first call, building
 * an error for each source that has no value. Later clients get the answer as their `endpoint`,
 * or are told not to look (`ignoreConfiguredEndpointUrls`), so they reach the same endpoint.
 */
let configuredEndpoints = new Map<ServiceName, string | null>();

type ClientConfigView = {
  initConfig?: object;
  config?: { serviceConfiguredEndpoint?: () => Promise<unknown> };
};

function rememberSettings(service: ServiceName, client: ClientConfigView): void {
  if (sharedSettings.has(service)) return;
  const resolved = (client.initConfig ?? {}) as Record<string, unknown>;
  const settings: Record<string, unknown> = {};
  for (const name of PROCESS_WIDE_SETTINGS) {
    if (typeof resolved[name] === 'function') settings[name] = resolved[name];
  }
  sharedSettings.set(service, settings);
  const lookup = client.config?.serviceConfiguredEndpoint;
  if (typeof lookup !== 'function') return;
  const settled = transport;
  lookup()
    .then((url) => {
      // A transport configured meanwhile starts a fresh map; this answer belongs to the old one.
      if (transport !== settled) return;
      if (url === undefined || url === null) configuredEndpoints.set(service, null);
      else if (typeof url === 'string') configuredEndpoints.set(service, url);
    })
    .catch(() => {
      // Clients keep looking for themselves, and report the problem on their own calls.
    });
}

function baseConfig(service: ServiceName, options: ClientOptions) {
  const t = transportFor(service);
  const config: Record<string, unknown> = {
    ...sharedSettings.get(service),
    region: options.region,
    maxAttempts: t.maxAttempts ?? 3,
    // Nothing here changes a client's middleware after its first call, so each command class's
    // stack is resolved once per client instead of on every call (the SDK's documented option).
    // A cached stack shares one handler context between that command's calls, where the endpoint
    // middleware leaves the resolved endpoint: the same for every call of these services, but
    // per bucket for S3, whose concurrent calls would then read each other's.
    cacheMiddleware: service !== 's3',
  };
  // A service override's credentials win: they belong to that transport (e.g. the local engine).
  // Then the caller's, then those of the function running (its execution role), then the default.
  const credentials =
    transport.services?.[service]?.credentials ??
    options.credentials ??
    ambientIdentity()?.credentials ??
    t.credentials;
  if (credentials) config.credentials = credentials;
  if (t.requestHandler) config.requestHandler = t.requestHandler;
  if (t.endpoint) config.endpoint = t.endpoint;
  else {
    const configured = configuredEndpoints.get(service);
    if (typeof configured === 'string') config.endpoint = configured;
    else if (configured === null) config.ignoreConfiguredEndpointUrls = true;
  }
  return config;
}

/**
 * Clients are kept per identity, service and region, like a warm Lambda keeps them: building one
 * resolves its whole configuration chain, which cost more than the calls themselves on a large
 * rollout. The most recently used `MAX_CACHED_CLIENTS` are kept: a process that serves a whole
 * rollout (the local engine runs every target's functions in one process) would otherwise keep
 * a client per target account and region, tens of kilobytes each, for as long as it runs.
 */
export const MAX_CACHED_CLIENTS = 2048;

type AnyClient = { send: unknown; initConfig?: object };
/** Least recently used first (a Map iterates in insertion order; a hit moves the entry to the end). */
let clientCache = new Map<string, AnyClient>();
/** A number per credentials object, so the cache key names the identity without holding it. */
const identityIds = new WeakMap<object, number>();
let lastIdentityId = 0;

function identityKey(identity: ClientOptions['credentials']): number {
  if (identity === undefined) return 0;
  let id = identityIds.get(identity);
  if (id === undefined) {
    id = ++lastIdentityId;
    identityIds.set(identity, id);
  }
  return id;
}

function cached<C extends AnyClient>(service: ServiceName, options: ClientOptions, make: () => C): C {
  const key = `${identityKey(options.credentials ?? ambientIdentity()?.credentials)}:${service}:${options.region}`;
  let client = clientCache.get(key) as C | undefined;
  if (client) {
    clientCache.delete(key);
    clientCache.set(key, client);
    return client;
  }
  client = make();
  rememberSettings(service, client);
  clientCache.set(key, client);
  if (clientCache.size > MAX_CACHED_CLIENTS) {
    // Not destroyed: a caller may still be using it; it goes once nothing refers to it.
    const oldest = clientCache.keys().next().value;
    if (oldest !== undefined) clientCache.delete(oldest);
  }
  return client;
}

/** Clients for one region and identity (shared: do not `destroy()` them). */
export const awsClients = {
  cloudFormation: (o: ClientOptions) =>
    cached('cloudFormation', o, () => new CloudFormationClient(baseConfig('cloudFormation', o))),
  sts: (o: ClientOptions) => cached('sts', o, () => new STSClient(baseConfig('sts', o))),
  s3: (o: ClientOptions) =>
    cached(
      's3',
      o,
      () =>
        new S3Client({
          ...baseConfig('s3', o),
          // Loopback endpoints (the sandbox) have no per-bucket host names.
          forcePathStyle: Boolean(
            transportFor('s3').endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL,
          ),
        }),
    ),
  organizations: (o: ClientOptions) =>
    cached('organizations', o, () => new OrganizationsClient(baseConfig('organizations', o))),
  ec2: (o: ClientOptions) => cached('ec2', o, () => new EC2Client(baseConfig('ec2', o))),
  sns: (o: ClientOptions) => cached('sns', o, () => new SNSClient(baseConfig('sns', o))),
  sfn: (o: ClientOptions) => cached('sfn', o, () => new SFNClient(baseConfig('sfn', o))),
  lambda: (o: ClientOptions) => cached('lambda', o, () => new LambdaClient(baseConfig('lambda', o))),
  // The tamper response (issue 16): the responder role's calls in a target account, the incident table.
  cloudTrail: (o: ClientOptions) =>
    cached('cloudTrail', o, () => new CloudTrailClient(baseConfig('cloudTrail', o))),
  configService: (o: ClientOptions) =>
    cached('configService', o, () => new ConfigServiceClient(baseConfig('configService', o))),
  /** IAM is global: its endpoint is in us-east-1 whatever region the caller works in. */
  iam: (o: ClientOptions) => cached('iam', o, () => new IAMClient(baseConfig('iam', o))),
  dynamodb: (o: ClientOptions) => cached('dynamodb', o, () => new DynamoDBClient(baseConfig('dynamodb', o))),
};

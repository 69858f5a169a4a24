/**
 * Contracts between the sandbox's protocol layer (owned by `src/sandbox/*.ts`) and its
 * service emulators (`src/sandbox/services/*.ts`). The protocol layer verifies SigV4,
 * finds the caller's account, decodes the wire format into a plain params object,
 * calls the operation, and encodes the result or the `AwsError` back onto the wire.
 */
import type { AuthorizationSpec, RequestFacts } from './iam/authorize';
import type { ResolvedPrincipal } from './iam/principal';
import type { AuthorizationRequest, Decision } from './iam/types';
import type { Scenario } from './scenario-types';

/** A request as it arrives from the SDK (in-process) or from HTTP. */
export interface SandboxRequest {
  method: string;
  hostname: string;
  /** Path without query string, URL-decoded segments are NOT decoded yet. */
  path: string;
  query: Record<string, string | string[] | null>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: Buffer;
  /** Whether it came over TLS (the SDK's https endpoints in-process do; `sandbox serve` is plain HTTP). */
  secure?: boolean;
}

export interface SandboxResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** Who signed the request. */
export interface Caller {
  accountId: string;
  accessKeyId: string;
  /** `arn:aws:iam::<acct>:root`, or `arn:aws:sts::<acct>:assumed-role/<role>/<session>`. */
  arn: string;
  /** For assumed-role sessions. */
  roleName?: string;
  sessionName?: string;
  sourceIdentity?: string;
  /** For IAM users (long-term keys of a user). */
  userName?: string;
  /** When the session's credentials were issued (virtual ms): `aws:TokenIssueTime`. */
  issuedAt?: number;
  /** Session policies passed to AssumeRole (`Policy`, and the documents of `PolicyArns`), as JSON text. */
  sessionPolicies?: string[];
  /** Whether the request came over TLS (`aws:SecureTransport`): in-process https endpoints do; plain HTTP does not. */
  secureTransport?: boolean;
}

/** An error answered in AWS's shape for the service's protocol. */
export class AwsError extends Error {
  constructor(
    /** AWS error code, e.g. `ValidationError`, `Throttling`, `AccessDenied`. */
    readonly code: string,
    message: string,
    readonly statusCode = 400,
    /** `Sender` or `Receiver` (query protocols). */
    readonly faultType: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.name = code;
  }
}

/** What an operation sees of the world. */
export interface OperationContext {
  caller: Caller;
  region: string;
  /** Virtual milliseconds since the epoch (the sandbox clock). */
  now(): number;
  world: SandboxWorld;
  requestId: string;
  /**
   * IAM for operations that authorize more than the request path did (AssumeRole's trust policy,
   * CloudFormation's PassRole and TemplateURL reads): the caller's principal and the request's facts.
   */
  iam: OperationIam;
  /** The request's User-Agent (CloudTrail's `userAgent`); internal calls name themselves. */
  userAgent?: string;
  /** Where the request came from (CloudTrail's `sourceIPAddress`). */
  sourceIp?: string;
}

/** The caller as IAM sees it, and checks in the calling service's denial shape. */
export interface OperationIam {
  who: ResolvedPrincipal;
  facts: RequestFacts;
  /** Throws the service's AWS-shaped denial unless every spec is allowed. */
  authorize(specs: AuthorizationSpec[]): void;
  /** The decision for one spec, without throwing. */
  decide(spec: AuthorizationSpec): { decision: Decision; request: AuthorizationRequest };
}

/**
 * Params are decoded generically: query-protocol members (`Tags.member.1.Key`) become arrays of
 * objects, JSON bodies are parsed, S3 REST requests arrive as `{ Bucket, Key, ...query, Body }`.
 * Results are plain objects: the protocol layer serialises them (XML for query/ec2/rest-xml,
 * JSON for json protocols). Dates may be `Date` objects.
 */
// biome-ignore lint/suspicious/noExplicitAny: wire params are untyped until the operation checks them
export type Operation = (params: any, ctx: OperationContext) => Promise<unknown> | unknown;

export interface ServiceEmulator {
  /** SigV4 signing name: `sts`, `cloudformation`, `s3`, `ec2`, `organizations`, `sns`, `states`, `lambda`. */
  signingName: string;
  protocol: 'query' | 'ec2' | 'json' | 'rest-xml' | 'rest-json';
  /** For query protocols: the XML namespace of responses. */
  xmlNamespace?: string;
  /** For json protocols: the X-Amz-Target prefix, e.g. `AWSStepFunctions`. */
  targetPrefix?: string;
  /** Other prefixes the service answers to (CloudTrail: the SDK v3's short service target). */
  targetPrefixAliases?: readonly string[];
  operations: Record<string, Operation>;
  /**
   * For the rest-json protocol: the operation and params of a request from its method and path
   * (undefined: no such operation).
   */
  route?(request: SandboxRequest): { operation: string; params: Record<string, unknown> } | undefined;
  /**
   * For query protocols: how list members are named in responses. Default: every array is
   * wrapped in `<member>` elements (`<item>` for ec2).
   */
}

/** Shared, persisted world of the sandbox (see `src/sandbox/world.ts`). */
export interface SandboxWorld {
  readonly scenario: Scenario;
  /** Persisted, JSON-serialisable state; each service keeps its own section. */
  readonly state: Record<string, unknown>;
  /** Get (creating if absent) a service's persisted section. */
  section<T extends object>(service: string, init: () => T): T;
  now(): number;
  /** Deterministic random numbers for a key (scenario seed + key). */
  random(key: string): number;
  /** Whether the region is enabled for the account (opt-in regions). */
  isRegionEnabled(accountId: string, region: string): boolean;
  /** Internal read of an S3 object (CloudFormation reads TemplateURL this way). */
  readObject(
    bucket: string,
    key: string,
    versionId?: string,
  ): { body: Buffer; versionId: string } | undefined;
  /** Publish to SNS internally (the local engine's `sns:publish` integration goes through the API instead). */
  /** Count of calls per service/operation/account for metrics. */
  readonly metrics: SandboxMetrics;
  /** Services attach themselves here so others can reach them (e.g. `stepfunctions` -> engine). */
  readonly extensions: Record<string, unknown>;
}

export interface SandboxMetrics {
  /** `cloudformation.CreateStack` -> count */
  calls: Record<string, number>;
  /** per account+region target key `111122223333/eu-west-1` -> CloudFormation call count */
  cloudFormationCallsByTarget: Record<string, number>;
}

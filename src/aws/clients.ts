import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

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
}

let transport: AwsTransport = {};

/** Points every client made from now on at a transport. Called by the sandbox and the CLI. */
export function configureAws(next: AwsTransport): void {
  transport = { ...next };
}

/** The transport in force (for code that must pass it on, such as the local engine). */
export function currentAwsTransport(): AwsTransport {
  return transport;
}

export interface ClientOptions {
  region: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

function baseConfig(options: ClientOptions) {
  const config: Record<string, unknown> = {
    region: options.region,
    maxAttempts: transport.maxAttempts ?? 3,
  };
  const credentials = options.credentials ?? transport.credentials;
  if (credentials) config.credentials = credentials;
  if (transport.requestHandler) config.requestHandler = transport.requestHandler;
  if (transport.endpoint) config.endpoint = transport.endpoint;
  return config;
}

/** Clients for one region and identity. */
export const awsClients = {
  cloudFormation: (o: ClientOptions) => new CloudFormationClient(baseConfig(o)),
  sts: (o: ClientOptions) => new STSClient(baseConfig(o)),
  s3: (o: ClientOptions) => new S3Client({ ...baseConfig(o), forcePathStyle: Boolean(transport.endpoint) }),
  organizations: (o: ClientOptions) => new OrganizationsClient(baseConfig(o)),
  ec2: (o: ClientOptions) => new EC2Client(baseConfig(o)),
  sns: (o: ClientOptions) => new SNSClient(baseConfig(o)),
  sfn: (o: ClientOptions) => new SFNClient(baseConfig(o)),
};

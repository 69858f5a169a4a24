/**
 * The AWS calls of the tamper response, through the real SDK clients (loaded at run time, see
 * optional-sdk.ts) with the responder role's credentials in the target account, or the function's
 * own role for the incident table in the admin account.
 */
import type { AwsCredentialIdentity } from '@smithy/types';
import { awsClients } from './clients';
import { commandOf, loadSdk } from './optional-sdk';

type Client = { send(command: object): Promise<unknown> };
type ClientClass = new (config: Record<string, unknown>) => Client;

const PACKAGES = {
  cloudTrail: '@aws-sdk/client-cloudtrail',
  configService: '@aws-sdk/client-config-service',
  iam: '@aws-sdk/client-iam',
  dynamodb: '@aws-sdk/client-dynamodb',
} as const;
const CLIENTS = {
  cloudTrail: 'CloudTrailClient',
  configService: 'ConfigServiceClient',
  iam: 'IAMClient',
  dynamodb: 'DynamoDBClient',
} as const;

async function send(
  service: keyof typeof PACKAGES,
  command: string,
  input: Record<string, unknown>,
  where: { region: string; credentials?: AwsCredentialIdentity },
): Promise<Record<string, unknown>> {
  const mod = loadSdk(PACKAGES[service]);
  const ClientClass = commandOf(mod, PACKAGES[service], CLIENTS[service]) as unknown as ClientClass;
  const Command = commandOf(mod, PACKAGES[service], command);
  const client = awsClients.custom(service, ClientClass, {
    region: where.region,
    ...(where.credentials ? { credentials: where.credentials } : {}),
  });
  return (await client.send(new Command(input))) as Record<string, unknown>;
}

export interface InAccount {
  region: string;
  credentials: AwsCredentialIdentity;
}

export const tamperAws = {
  trailStatus: (at: InAccount, name: string) =>
    send('cloudTrail', 'GetTrailStatusCommand', { Name: name }, at),
  startLogging: (at: InAccount, name: string) =>
    send('cloudTrail', 'StartLoggingCommand', { Name: name }, at),
  recorderStatus: (at: InAccount, name: string) =>
    send(
      'configService',
      'DescribeConfigurationRecorderStatusCommand',
      { ConfigurationRecorderNames: [name] },
      at,
    ),
  startRecorder: (at: InAccount, name: string) =>
    send('configService', 'StartConfigurationRecorderCommand', { ConfigurationRecorderName: name }, at),
  putUserPolicy: (at: InAccount, userName: string, policyName: string, document: string) =>
    send(
      'iam',
      'PutUserPolicyCommand',
      { UserName: userName, PolicyName: policyName, PolicyDocument: document },
      { ...at, region: 'us-east-1' },
    ),
  putRolePolicy: (at: InAccount, roleName: string, policyName: string, document: string) =>
    send(
      'iam',
      'PutRolePolicyCommand',
      { RoleName: roleName, PolicyName: policyName, PolicyDocument: document },
      { ...at, region: 'us-east-1' },
    ),
  updateItem: (region: string, input: Record<string, unknown>) =>
    send('dynamodb', 'UpdateItemCommand', input, { region }),
  query: (region: string, input: Record<string, unknown>) =>
    send('dynamodb', 'QueryCommand', input, { region }),
  scan: (region: string, input: Record<string, unknown>) =>
    send('dynamodb', 'ScanCommand', input, { region }),
};

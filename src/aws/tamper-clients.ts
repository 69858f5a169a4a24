/**
 * The AWS calls of the tamper response, through the SDK clients of src/aws/clients.ts: the
 * responder role's credentials in the target account (CloudTrail, Config, IAM), or the function's
 * own role for the incident table in the admin account (DynamoDB).
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetTrailStatusCommand, StartLoggingCommand } from '@aws-sdk/client-cloudtrail';
import {
  DescribeConfigurationRecorderStatusCommand,
  StartConfigurationRecorderCommand,
} from '@aws-sdk/client-config-service';
import {
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import type { AwsCredentialIdentity } from '@smithy/types';
import { awsClients } from './clients';

export interface InAccount {
  region: string;
  credentials: AwsCredentialIdentity;
}

/** IAM's one endpoint is in us-east-1 (IAM User Guide, "AWS Identity and Access Management endpoints"). */
const IAM_REGION = 'us-east-1';

export const tamperAws = {
  describeStack: async (at: InAccount, name: string) =>
    (await awsClients.cloudFormation(at).send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0],
  trailStatus: (at: InAccount, name: string) =>
    awsClients.cloudTrail(at).send(new GetTrailStatusCommand({ Name: name })),
  startLogging: (at: InAccount, name: string) =>
    awsClients.cloudTrail(at).send(new StartLoggingCommand({ Name: name })),
  recorderStatus: (at: InAccount, name: string) =>
    awsClients
      .configService(at)
      .send(new DescribeConfigurationRecorderStatusCommand({ ConfigurationRecorderNames: [name] })),
  /** Every recorder of the account in the region (at most one per region, AWS Config API Reference). */
  recorderStatuses: (at: InAccount) =>
    awsClients.configService(at).send(new DescribeConfigurationRecorderStatusCommand({})),
  startRecorder: (at: InAccount, name: string) =>
    awsClients
      .configService(at)
      .send(new StartConfigurationRecorderCommand({ ConfigurationRecorderName: name })),
  putUserPolicy: (at: InAccount, userName: string, policyName: string, document: string) =>
    awsClients
      .iam({ ...at, region: IAM_REGION })
      .send(
        new PutUserPolicyCommand({ UserName: userName, PolicyName: policyName, PolicyDocument: document }),
      ),
  putRolePolicy: (at: InAccount, roleName: string, policyName: string, document: string) =>
    awsClients
      .iam({ ...at, region: IAM_REGION })
      .send(
        new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: document }),
      ),
  updateItem: (region: string, input: UpdateItemCommandInput) =>
    awsClients.dynamodb({ region }).send(new UpdateItemCommand(input)),
  query: (region: string, input: QueryCommandInput) =>
    awsClients.dynamodb({ region }).send(new QueryCommand(input)),
  scan: (region: string, input: ScanCommandInput) =>
    awsClients.dynamodb({ region }).send(new ScanCommand(input)),
};

/**
 * AWS clients for Task integrations, acting as the execution's state machine role under an
 * identity (the sandbox), and the IAM checks made as that role.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { AwsCredentialIdentity } from '@smithy/types';
import { awsClients, currentAwsTransport } from '../aws/clients';
import { taskError } from './execution-outcome';
import { type EngineIdentity, isDenial } from './identity';
import type { EngineStore, StoredExecution, StoredStateMachine } from './types';

/** Clients and authorization of one engine; cached clients are dropped when the AWS transport changes. */
export class RoleClients {
  private clientTransport: unknown;
  private readonly snsClients = new Map<string, SNSClient>();
  private readonly s3Clients = new Map<string, S3Client>();

  constructor(
    private readonly store: EngineStore,
    private readonly identity: EngineIdentity | undefined,
  ) {}

  private freshClients(): void {
    const transport = currentAwsTransport();
    if (transport !== this.clientTransport) {
      this.clientTransport = transport;
      this.snsClients.clear();
      this.s3Clients.clear();
    }
  }

  s3(region: string, execution: StoredExecution): S3Client {
    this.freshClients();
    const credentials = this.credentialsOf(execution);
    if (credentials) return awsClients.s3({ region, credentials });
    let c = this.s3Clients.get(region);
    if (!c) {
      c = awsClients.s3({ region });
      this.s3Clients.set(region, c);
    }
    return c;
  }

  sns(region: string, execution: StoredExecution): SNSClient {
    this.freshClients();
    const credentials = this.credentialsOf(execution);
    if (credentials) return awsClients.sns({ region, credentials });
    let c = this.snsClients.get(region);
    if (!c) {
      c = awsClients.sns({ region });
      this.snsClients.set(region, c);
    }
    return c;
  }

  /** The state machine record of an execution (map run children run as their parent's machine). */
  machineOf(execution: StoredExecution): StoredStateMachine {
    const arn = execution.stateMachineArn.split('/')[0] as string;
    const machine = this.store.stateMachines[arn];
    if (!machine)
      throw taskError('States.Runtime', `State machine ${arn} of ${execution.executionArn} is gone`, false);
    return machine;
  }

  /** The state machine role's credentials under an identity; undefined without one. */
  credentialsOf(execution: StoredExecution): AwsCredentialIdentity | undefined {
    if (!this.identity) return undefined;
    const answer = this.identity.stateMachineCredentials(this.machineOf(execution), execution.executionArn);
    if (isDenial(answer)) throw taskError(answer.error, answer.cause, false);
    return answer;
  }

  authorizeAs(execution: StoredExecution, action: string, resource: string, error: string): void {
    if (!this.identity) return;
    const denial = this.identity.authorize(
      this.machineOf(execution),
      execution.executionArn,
      action,
      resource,
    );
    if (denial) throw taskError(error, denial.cause);
  }

  /** Like authorizeAs, but answers the denial instead of throwing. */
  denialFor(execution: StoredExecution, action: string, resource: string) {
    return this.identity?.authorize(this.machineOf(execution), execution.executionArn, action, resource);
  }
}

/**
 * A role for a test's own state machines, made the way AWS makes roles: an AWS::IAM::Role in a
 * CloudFormation stack of the harness's account (the caller is that account's root), trusted by
 * states.amazonaws.com. The IAM-strict sandbox assumes a state machine's role for every call the
 * engine makes for it (src/sandbox/iam/engine-identity.ts), so a fixture machine needs a role that
 * exists and grants what its states call (Step Functions Developer Guide, "IAM policies for
 * Distributed Map states" and "IAM policies for nested executions").
 */
import {
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { awsClients } from '../../src/aws/clients';
import type { SandboxHarness } from './sandbox-harness';

export interface RoleStatement {
  Sid?: string;
  Effect?: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * Deploys a stack holding one role that states.amazonaws.com may assume from this account, with
 * `statements` as its inline policy; returns the role's ARN once the stack is CREATE_COMPLETE.
 */
export async function deployStateMachineRole(
  h: SandboxHarness,
  options: { roleName: string; statements: RoleStatement[]; stackName?: string },
): Promise<string> {
  const stackName = options.stackName ?? `${options.roleName}-role`;
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Resources: {
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: options.roleName,
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'states.amazonaws.com' },
                Action: 'sts:AssumeRole',
                // Confused-deputy protection as the Step Functions guide recommends it.
                Condition: { StringEquals: { 'aws:SourceAccount': h.accountId } },
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'FixtureStates',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: options.statements.map((s) => ({ Effect: 'Allow', ...s })),
              },
            },
          ],
        },
      },
    },
    Outputs: { RoleArn: { Value: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
  };
  const cfn = awsClients.cloudFormation({ region: h.region });
  return h.virtual(async () => {
    await cfn.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: JSON.stringify(template),
        Capabilities: ['CAPABILITY_NAMED_IAM'],
      }),
    );
    for (;;) {
      const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
      const status = stack?.StackStatus ?? '';
      if (status === 'CREATE_COMPLETE') {
        const arn = stack?.Outputs?.find((o) => o.OutputKey === 'RoleArn')?.OutputValue;
        if (!arn) throw new Error(`stack ${stackName} has no RoleArn output`);
        return arn;
      }
      if (!status.endsWith('_IN_PROGRESS')) {
        const events = await cfn.send(new DescribeStackEventsCommand({ StackName: stackName }));
        const failed = events.StackEvents?.find((e) => e.ResourceStatus?.endsWith('_FAILED'));
        throw new Error(
          `stack ${stackName} ended ${status}: ${failed?.LogicalResourceId} ${failed?.ResourceStatusReason}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
  });
}

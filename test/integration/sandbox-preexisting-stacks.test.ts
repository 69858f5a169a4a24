/**
 * A scenario's `faults.preexistingStacks` are in the world from the first CloudFormation request
 * on, whatever that request is: the IAM authorization of the request (which looks the stack up to
 * name its ARN) comes before the operation and must not create an empty CloudFormation world in
 * which the seeded stacks never appear (it did: the first request after the IAM-strict sandbox
 * was the bootstrap's CreateStack, and the ROLLBACK_COMPLETE stack of the read-only e2e scenario
 * was gone).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { testScenario } from '../../src/sandbox/cfn/testing';
import { Sandbox } from '../../src/sandbox/sandbox';

const MEMBER = '222222222222';
const REGION = 'eu-west-1';

async function memberCloudFormation(sandbox: Sandbox): Promise<CloudFormationClient> {
  const sts = new STSClient({
    region: REGION,
    requestHandler: sandbox.requestHandler(),
    credentials: { ...sandbox.managementCredentials },
  });
  // The role Organizations creates in a member account, trusted by the management account.
  const assumed = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`,
      RoleSessionName: 'seeded-check',
    }),
  );
  const c = assumed.Credentials;
  return new CloudFormationClient({
    region: REGION,
    requestHandler: sandbox.requestHandler(),
    credentials: {
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken ?? '',
    },
  });
}

it('a pre-existing ROLLBACK_COMPLETE stack is there for the first CloudFormation request of the world', async () => {
  const sandbox = await Sandbox.open({
    stateDir: null,
    scenario: testScenario({
      faults: {
        preexistingStacks: [
          { account: MEMBER, region: REGION, stackName: 'baseline', status: 'ROLLBACK_COMPLETE' },
        ],
      },
    }),
  });
  const cfn = await memberCloudFormation(sandbox);
  const out = await cfn.send(new DescribeStacksCommand({ StackName: 'baseline' }));
  expect(out.Stacks?.map((s) => s.StackStatus)).toEqual(['ROLLBACK_COMPLETE']);
});

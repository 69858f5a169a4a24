import '../../src/core/polyfills';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { Sandbox } from '../../src/sandbox/sandbox';

/**
 * The benchmarks and the CLI report CloudFormation calls per target from the sandbox's metrics,
 * so each call must be counted exactly once, against the account and region it was made in.
 */
describe('sandbox call metrics', () => {
  it('counts each CloudFormation call once per operation and per account/region', async () => {
    const sandbox = await Sandbox.open({ stateDir: null });
    const account = sandbox.scenario.organization.managementAccountId;
    const client = (region: string) =>
      new CloudFormationClient({
        region,
        requestHandler: sandbox.requestHandler(),
        credentials: sandbox.adminCredentials,
        maxAttempts: 1,
      });
    const describe = (region: string) =>
      client(region)
        .send(new DescribeStacksCommand({ StackName: 'nothing-here' }))
        .catch((e: Error) => e.name);
    await describe('eu-west-1');
    await describe('eu-west-1');
    await describe('us-east-1');
    expect(sandbox.world.metrics.calls['cloudformation.DescribeStacks']).toBe(3);
    expect(sandbox.world.metrics.cloudFormationCallsByTarget[`${account}/eu-west-1`]).toBe(2);
    expect(sandbox.world.metrics.cloudFormationCallsByTarget[`${account}/us-east-1`]).toBe(1);
  });
});

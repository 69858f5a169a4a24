/**
 * Under virtual time the sandbox sends a stack's Stack Status Change event the moment its status
 * changes, even when nobody calls the sandbox then (a rollout waiting for that event makes no
 * calls), and the stack has taken effect by the time the event says so.
 */
import { CreateStackCommand, DescribeStackEventsCommand } from '@aws-sdk/client-cloudformation';
import { awsClients } from '../../src/aws/clients';
import { onStackStatusChange } from '../../src/sandbox/cfn/stack-events';
import { cfnSection } from '../../src/sandbox/cfn/state';
import { openSandboxHarness } from '../helpers/sandbox-harness';

const TEMPLATE = JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } });

it('sends CREATE_COMPLETE at the stack end on the virtual clock, with the stack already settled', async () => {
  const h = await openSandboxHarness({ provision: false });
  const cfn = awsClients.cloudFormation({ region: h.region });
  const heard: Array<{ status: string; at: number; settled: boolean }> = [];
  onStackStatusChange(h.sandbox.world, (entry) => {
    const target = cfnSection(h.sandbox.world).targets[`${h.accountId}/${h.region}`];
    const stack = Object.values(target?.stacks ?? {})[0];
    heard.push({
      status: entry.event.detail['status-details'].status,
      at: Date.now(),
      settled: stack?.pending === undefined,
    });
  });
  const stackEnd = await h.virtual(async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'timing', TemplateBody: TEMPLATE }));
    // No call to the sandbox while the stack runs: only the clock moves.
    await new Promise((resolve) => setTimeout(resolve, 3_600_000));
    const page = await cfn.send(new DescribeStackEventsCommand({ StackName: 'timing' }));
    const complete = page.StackEvents?.find(
      (e) => e.LogicalResourceId === 'timing' && e.ResourceStatus === 'CREATE_COMPLETE',
    );
    return complete?.Timestamp?.getTime();
  });
  expect(heard.map((e) => e.status)).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
  expect(heard[1]?.at).toBe(stackEnd);
  expect(heard[1]?.settled).toBe(true);
});

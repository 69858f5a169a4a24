/**
 * Another workload's workflow in the admin account: a state machine that is not stackfleet's,
 * whose execution input carries a password. The credentials the UI holds can read it (they read
 * every execution of the account), so the UI's API must refuse it (issue 18).
 */
import { CreateStateMachineCommand, DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import type { SandboxHarness } from './sandbox-harness';

export const FOREIGN_SECRET = 'payroll-db-password-9f3k';

/** Creates `payroll-export` and runs `run-1` with a secret in its input; returns its ARN. */
export async function runForeignWorkflow(harness: SandboxHarness): Promise<string> {
  // Any role the account has will do for a Pass-only machine: the rollout machine's own.
  const { roleArn } = await harness.sfn.send(
    new DescribeStateMachineCommand({ stateMachineArn: harness.admin!.rolloutStateMachineArn }),
  );
  const { stateMachineArn } = await harness.sfn.send(
    new CreateStateMachineCommand({
      name: 'payroll-export',
      roleArn,
      definition: JSON.stringify({
        Comment: 'Not stackfleet: exports payroll',
        StartAt: 'Export',
        States: { Export: { Type: 'Pass', Comment: 'Pretend to export', End: true } },
      }),
    }),
  );
  const run = await harness.run(stateMachineArn!, { database: 'payroll', password: FOREIGN_SECRET }, 'run-1');
  return run.executionArn;
}

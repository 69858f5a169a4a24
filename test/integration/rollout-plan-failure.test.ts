/**
 * When planning fails the rollout still tells the operator why: a summary with the reason, the
 * notification, then a failed execution with a named error. The case AWS makes common: the admin
 * account is a member that is not a delegated administrator, and Organizations refuses to list
 * the organisation (the Organizations API reference, "Reference: API operations by account":
 * ListAccounts, ListRoots, ListChildren ... only from the management account or a delegated
 * administrator). Here the planner's Organizations calls are signed by a member account.
 */
import { join } from 'node:path';
import { clearCredentialCache } from '../../src/aws/assume-role';
import { configureAws, currentAwsTransport } from '../../src/aws/clients';
import type { RolloutSummary } from '../../src/core/summary';
import { loadScenarioFile } from '../../src/sandbox/scenario';
import { readSnsMessages } from '../../src/sandbox/services/sns';
import { openSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness';

const MEMBER = '222222222222';
const MEMBER_KEY = { accessKeyId: 'AKIAMEMBERADMIN00001', secretAccessKey: 'member-admin-secret' };

describe('a rollout whose planning fails', () => {
  let h: SandboxHarness;

  beforeAll(async () => {
    clearCredentialCache();
    const scenario = loadScenarioFile(join(__dirname, '../../src/sandbox/scenarios/small.yaml'));
    h = await openSandboxHarness({
      scenario: { ...scenario, accessKeys: [{ ...MEMBER_KEY, accountId: MEMBER }] },
    });
  });

  const request = (rolloutId: string, extra: Record<string, unknown> = {}) => ({
    rolloutId,
    mode: 'deploy',
    template: h.template,
    stackName: 'stackfleet-baseline',
    capabilities: ['CAPABILITY_NAMED_IAM'],
    executionRoleName: 'StackFleetExecution',
    externalId: 'stackfleet-small-demo',
    targets: { organizationalUnits: ['r-sm01'], regions: ['us-east-1'] },
    ...extra,
  });
  const published = (rolloutId: string) =>
    readSnsMessages(h.sandbox.world, h.admin?.topicArn).filter((m) =>
      m.message.includes(`Rollout ${rolloutId} `),
    );

  it('from a member account that is not a delegated administrator: summarized with the reason, notified, failed with PlanFailed', async () => {
    const transport = currentAwsTransport();
    // Only Organizations answers to the member: the admin account's bucket, topic and machines stay its own.
    configureAws({
      ...transport,
      services: { organizations: { ...transport, credentials: MEMBER_KEY } },
    });
    let run: Awaited<ReturnType<SandboxHarness['runRollout']>>;
    try {
      run = await h.runRollout(request('it-plan-denied'));
    } finally {
      configureAws(transport);
    }

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('PlanFailed');
    expect(run.cause).toContain('Rollout it-plan-denied (deploy) PLAN_FAILED: no target was started.');
    expect(run.cause).toContain('AccessDeniedException');
    expect(run.cause).toContain('delegated administrator');
    const messages = published('it-plan-denied');
    expect(messages).toHaveLength(1);
    expect(messages[0]?.subject).toBe('stackfleet deploy it-plan-denied: PLAN_FAILED, AccessDeniedException');
    expect(messages[0]?.message).toBe(run.cause);
  });

  it('because the request names an OU that is not in the organisation: refused by Validate input with InvalidInput naming the field, nothing planned', async () => {
    const run = await h.runRollout(
      request('it-plan-bad-ou', {
        targets: { organizationalUnits: ['ou-sm01-nothere0'], regions: ['us-east-1'] },
      }),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidInput');
    expect(run.cause).toContain('targets.organizationalUnits[0]');
    expect(run.cause).toContain('Received: ou-sm01-nothere0');
    // Refused before planning (issue 15: checked before anything starts): no plan, no summary.
    expect(published('it-plan-bad-ou')).toHaveLength(0);
    const output = run.output as RolloutSummary | undefined;
    expect(output).toBeUndefined();
  });
});

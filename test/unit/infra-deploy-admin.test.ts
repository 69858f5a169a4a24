/**
 * scripts/deploy-admin.ts: what reaches `cdk deploy`, and the refusals an operator sees before
 * anything is deployed. The context keys are the ones infra/lib/context.ts reads, checked here by
 * feeding the produced arguments back through it.
 */

import { adminStackPropsFromContext } from '../../infra/lib/context';
import { cdkDeployArgs, parseDeployAdminArgs } from '../../scripts/deploy-admin';

/** The `-c key=value` pairs of an argument list. */
function contextOf(args: string[]): Record<string, string> {
  const context: Record<string, string> = {};
  args.forEach((arg, i) => {
    if (arg === '-c') {
      const [key, ...rest] = (args[i + 1] as string).split('=');
      context[key as string] = rest.join('=');
    }
  });
  return context;
}

describe('deploy-admin', () => {
  it('turns flags into cdk deploy context that the app reads back into the same settings', () => {
    const { options } = parseDeployAdminArgs([
      '--organization-id',
      'o-abcdefghij',
      '--root-id',
      'r-ab12',
      '--enable-drift-schedule',
      '--drift-schedule',
      'cron(0 3 * * ? *)',
      '--external-id',
      'fleet-ext=1',
      '--log-retention-days',
      '90',
    ]);
    const args = cdkDeployArgs({ organizationId: 'o-abcdefghij', ...options });
    expect(args.slice(0, 3)).toEqual(['cdk', 'deploy', 'StackFleetAdmin']);
    const context = contextOf(args);
    const { stackName, props } = adminStackPropsFromContext((key) => context[key]);
    expect(stackName).toBe('StackFleetAdmin');
    expect(props).toMatchObject({
      organizationId: 'o-abcdefghij',
      organizationRootId: 'r-ab12',
      externalId: 'fleet-ext=1',
      logRetention: 90,
      driftSchedule: { enabled: true, expression: 'cron(0 3 * * ? *)' },
    });
  });

  it('leaves the schedule disabled unless asked', () => {
    const context = contextOf(cdkDeployArgs({ organizationId: 'o-abcdefghij' }));
    expect(context.driftScheduleEnabled).toBeUndefined();
    expect(adminStackPropsFromContext((key) => context[key]).props.driftSchedule?.enabled).toBe(false);
  });

  it.each([
    [['--organization-id'], '--organization-id needs a value. Received: nothing'],
    [['--log-retention-days', 'ten'], '--log-retention-days must be a whole number of days. Received: ten'],
    [['--bogus', 'x'], 'unknown option. Received: --bogus'],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseDeployAdminArgs(argv)).toThrow(message);
  });

  it.each([
    [{ organizationId: 'org-1' }, '--organization-id must look like o-a1b2c3d4e5. Received: org-1'],
    [
      { organizationId: 'o-abcdefghij', enableDriftSchedule: true },
      '--enable-drift-schedule needs --root-id',
    ],
  ])('refuses %j before deploying', (options, message) => {
    expect(() => cdkDeployArgs(options)).toThrow(message);
  });
});

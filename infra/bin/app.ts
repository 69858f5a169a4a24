/**
 * The admin-account CDK app. `npm run synth` (= `tsx infra/bin/app.ts`) writes cdk.out offline:
 * functions are bundled by the local esbuild, no Docker, no AWS lookups.
 *
 * Configuration comes from CDK context (`cdk deploy -c key=value`, or cdk.json):
 *   organizationId       o-...   (else a CloudFormation parameter OrganizationId at deploy time)
 *   organizationRootId   r-...   targets of the default drift schedule
 *   executionRoleName    default StackFleetExecution
 *   externalId           ExternalId the execution roles require (scheduled rollouts only)
 *   driftScheduleEnabled true|false (default false)
 *   driftSchedule        Scheduler expression, default rate(1 day)
 *   notificationEmail    subscribed to summaries and alarms
 *   containment          off | repeat-offenders | always (default repeat-offenders): the tamper response
 *   logRetentionDays     e.g. 365
 *   stackName            default StackFleetAdmin
 *   nag                  false to skip the cdk-nag AwsSolutions checks
 */
import '../../src/core/polyfills';
import { resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StackFleetAdminStack } from '../lib/admin-stack';
import { adminStackPropsFromContext } from '../lib/context';

// `cdk synth`/`cdk deploy` name the assembly directory in CDK_OUTDIR; run on its own (`npm run
// synth`), the app writes cdk.out/ at the repository root, where cdk.json's `output` points. A
// bare `new App()` would write to a temporary directory nobody finds.
const app = new App({ outdir: process.env.CDK_OUTDIR || resolve(__dirname, '../../cdk.out') });
const { stackName, props } = adminStackPropsFromContext((key) => app.node.tryGetContext(key));
new StackFleetAdminStack(app, stackName, {
  ...props,
  description: 'stackfleet admin: rollout state machines, functions, artifacts, notifications',
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  },
});
// cdk-nag 3 is a policy-validation plugin: an unacknowledged finding fails the synth.
if (String(app.node.tryGetContext('nag')) !== 'false') {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}
app.synth();

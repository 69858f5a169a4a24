/**
 * Deploys the admin stack to the current AWS account and region with `cdk deploy`, passing the
 * configuration as CDK context (the same keys infra/bin/app.ts documents), then publishes the
 * baseline so the first rollout has a pinned template version.
 *
 *   tsx scripts/deploy-admin.ts --organization-id o-a1b2c3d4e5 [--root-id r-ab12]
 *       [--execution-role-name StackFleetExecution] [--external-id ID] [--email ops@example.com]
 *       [--drift-schedule 'rate(1 day)'] [--enable-drift-schedule] [--log-retention-days 365]
 *       [--stack-name StackFleetAdmin] [--region eu-west-1] [--publish templates/baseline.yaml | --no-publish]
 *       [--dry-run]
 *
 * Without --organization-id the organisation is read with Organizations DescribeOrganization
 * (works from any account of the organisation).
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { awsClients } from '../src/aws/clients';
import { InvalidInputError } from '../src/core/errors';
import { artifactBucketOf, publishTemplate } from './publish-template';

/** What an operator decides about the admin stack. */
export interface DeployAdminOptions {
  organizationId: string;
  organizationRootId?: string;
  executionRoleName?: string;
  externalId?: string;
  notificationEmail?: string;
  driftSchedule?: string;
  enableDriftSchedule?: boolean;
  logRetentionDays?: number;
  stackName?: string;
}

const FLAG_TO_OPTION: Record<string, keyof DeployAdminOptions> = {
  'organization-id': 'organizationId',
  'root-id': 'organizationRootId',
  'execution-role-name': 'executionRoleName',
  'external-id': 'externalId',
  email: 'notificationEmail',
  'drift-schedule': 'driftSchedule',
  'log-retention-days': 'logRetentionDays',
  'stack-name': 'stackName',
};

/**
 * The `cdk deploy` argument list for these options. Pure, so what reaches CDK is testable; the
 * stack itself validates the values again and names the context key when one is wrong.
 */
export function cdkDeployArgs(options: DeployAdminOptions): string[] {
  if (!/^o-[a-z0-9]{10,32}$/.test(options.organizationId)) {
    throw new InvalidInputError(
      'organizationId',
      `--organization-id must look like o-a1b2c3d4e5. Received: ${options.organizationId}`,
    );
  }
  if (options.enableDriftSchedule && !options.organizationRootId) {
    throw new InvalidInputError(
      'organizationRootId',
      '--enable-drift-schedule needs --root-id (the schedule targets every account below it). Received: nothing',
    );
  }
  const stackName = options.stackName ?? 'StackFleetAdmin';
  const context: Array<[string, string | number | boolean | undefined]> = [
    ['organizationId', options.organizationId],
    ['organizationRootId', options.organizationRootId],
    ['executionRoleName', options.executionRoleName],
    ['externalId', options.externalId],
    ['notificationEmail', options.notificationEmail],
    ['driftSchedule', options.driftSchedule],
    ['driftScheduleEnabled', options.enableDriftSchedule ? 'true' : undefined],
    ['logRetentionDays', options.logRetentionDays],
    ['stackName', stackName],
  ];
  const args = ['cdk', 'deploy', stackName];
  for (const [key, value] of context) if (value !== undefined) args.push('-c', `${key}=${value}`);
  // IAM changes are reviewed interactively unless the operator adds --require-approval never.
  args.push('--outputs-file', 'cdk.out/admin-outputs.json');
  return args;
}

/** Parses the flags above; unknown flags are refused with their name. */
export function parseDeployAdminArgs(argv: string[]): {
  options: Partial<DeployAdminOptions>;
  region?: string;
  publish: string | false;
  dryRun: boolean;
} {
  const options: Partial<Record<keyof DeployAdminOptions, string | number | boolean>> = {};
  let region: string | undefined;
  let publish: string | false = 'templates/baseline.yaml';
  let dryRun = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = arg.replace(/^--/, '');
    if (arg === '--enable-drift-schedule') options.enableDriftSchedule = true;
    else if (arg === '--no-publish') publish = false;
    else if (arg === '--dry-run') dryRun = true;
    else if (arg === '--region' || arg === '--publish' || (arg.startsWith('--') && name in FLAG_TO_OPTION)) {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) {
        throw new InvalidInputError(name, `${arg} needs a value. Received: nothing`);
      }
      if (arg === '--region') region = value;
      else if (arg === '--publish') publish = value;
      else {
        const key = FLAG_TO_OPTION[name] as keyof DeployAdminOptions;
        if (key === 'logRetentionDays') {
          const days = Number(value);
          if (!Number.isInteger(days) || days <= 0) {
            throw new InvalidInputError(name, `${arg} must be a whole number of days. Received: ${value}`);
          }
          options[key] = days;
        } else options[key] = value;
      }
    } else throw new InvalidInputError(name, `unknown option. Received: ${arg}`);
  }
  return { options: options as Partial<DeployAdminOptions>, ...(region ? { region } : {}), publish, dryRun };
}

async function main(): Promise<void> {
  const parsed = parseDeployAdminArgs(process.argv.slice(2));
  const region = parsed.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region)
    throw new InvalidInputError(
      'region',
      'region is required: pass --region or set AWS_REGION. Received: nothing',
    );
  let organizationId = parsed.options.organizationId;
  if (!organizationId) {
    const org = await awsClients
      .organizations({ region: 'us-east-1' })
      .send(new DescribeOrganizationCommand({}));
    organizationId = org.Organization?.Id;
    if (!organizationId)
      throw new InvalidInputError('organizationId', 'pass --organization-id. Received: nothing');
    process.stderr.write(`organization: ${organizationId}\n`);
  }
  const options: DeployAdminOptions = { ...parsed.options, organizationId };
  const args = cdkDeployArgs(options);
  process.stderr.write(`$ npx ${args.join(' ')}\n`);
  if (parsed.dryRun) return;

  const root = resolve(__dirname, '..');
  const code = await new Promise<number>((done, fail) => {
    const child = spawn('npx', args, {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, AWS_REGION: region, CDK_DEFAULT_REGION: region },
    });
    child.on('error', fail);
    child.on('exit', (exit) => done(exit ?? 1));
  });
  if (code !== 0) {
    process.exitCode = code;
    return;
  }
  if (parsed.publish) {
    const bucket = await artifactBucketOf(options.stackName ?? 'StackFleetAdmin', region);
    const published = await publishTemplate({ file: resolve(root, parsed.publish), bucket, region });
    process.stderr.write(`baseline published: ${published.url}\n`);
    process.stdout.write(
      `${JSON.stringify({ bucket: published.bucket, key: published.key, versionId: published.versionId })}\n`,
    );
  }
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`${error.name}: ${error.message}\n`);
    process.exitCode = error.name === 'InvalidInput' ? 2 : 1;
  });
}

/**
 * templates/baseline.yaml through the sandbox's CloudFormation with IAM and CloudTrail's own
 * checks (CloudTrail User Guide): CreateTrail fails when cloudtrail.amazonaws.com cannot use the
 * KMS key (DescribeKey carries no encryption context, so it needs a statement of its own) or
 * cannot assume the CloudWatch Logs role (that role's trust does not support aws:SourceAccount /
 * aws:SourceArn, so CloudTrail sends neither). baseline.yaml has both fixed; each test puts one
 * of the old defects back and shows the trail failing with AWS's reason. The old sandbox created
 * the trail either way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRole, iamSection } from '../../src/sandbox/iam/state';
import { kmsSection } from '../../src/sandbox/services/kms-state';
import {
  allow,
  cfnAs,
  givenRole,
  later,
  MEMBER,
  openWorld,
  REGION,
  sessionOf,
  trustService,
} from '../helpers/cfn-iam';

const BASELINE = readFileSync(join(__dirname, '../../templates/baseline.yaml'), 'utf8');
const SERVICE_ROLE = `arn:aws:iam::${MEMBER}:role/StackFleetCloudFormation`;

/** Replaces `from` (which must occur exactly once) in the template. */
function edit(template: string, from: string, to: string): string {
  if (template.split(from).length !== 2)
    throw new Error(`baseline.yaml changed (${JSON.stringify(from.slice(0, 60))}): update this test`);
  return template.replace(from, to);
}

const LOGS_ROLE_TRUST = `            Principal: { Service: cloudtrail.amazonaws.com }
            Action: "sts:AssumeRole"
`;

/** The old defect: the CloudWatch Logs role's trust requires aws:SourceAccount. */
function withSourceAccountOnLogsRoleTrust(template: string): string {
  return edit(
    template,
    LOGS_ROLE_TRUST,
    `${LOGS_ROLE_TRUST}            Condition:
              StringEquals: { "aws:SourceAccount": !Ref "AWS::AccountId" }
`,
  );
}

/** The old defect: DescribeKey in the statement conditioned on CloudTrail's encryption context. */
function withDescribeKeyUnderEncryptionContext(template: string): string {
  const start = template.indexOf('          - Sid: CloudTrailDescribesKey');
  const end = template.indexOf('          - Sid: AccountReadsTrailLogs');
  if (start < 0 || end < start)
    throw new Error('baseline.yaml changed (CloudTrailDescribesKey): update this test');
  const withoutDescribe = template.slice(0, start) + template.slice(end);
  return edit(
    withoutDescribe,
    'Action: "kms:GenerateDataKey*"',
    'Action: ["kms:GenerateDataKey*", "kms:DescribeKey"]',
  );
}

type Event = { LogicalResourceId: string; ResourceStatus: string; ResourceStatusReason?: string };

async function deploy(template: string) {
  const { sandbox, world } = await openWorld();
  givenRole(world, MEMBER, 'StackFleetCloudFormation', trustService('cloudformation.amazonaws.com'), {
    Everything: allow('*'),
  });
  givenRole(world, MEMBER, 'Deployer', { Version: '2012-10-17', Statement: [] }, { All: allow('*') });
  const deployer = sessionOf(MEMBER, 'Deployer');
  await cfnAs(sandbox, deployer, 'CreateStack', {
    StackName: 'stackfleet-baseline',
    TemplateBody: template,
    RoleARN: SERVICE_ROLE,
    Capabilities: ['CAPABILITY_NAMED_IAM'],
    Parameters: [{ ParameterKey: 'HomeRegion', ParameterValue: REGION }],
  });
  later(world);
  const stack = (
    await cfnAs<{ Stacks: Array<{ StackStatus: string }> }>(sandbox, deployer, 'DescribeStacks', {
      StackName: 'stackfleet-baseline',
    })
  ).Stacks[0];
  const events = (
    await cfnAs<{ StackEvents: Event[] }>(sandbox, deployer, 'DescribeStackEvents', {
      StackName: 'stackfleet-baseline',
    })
  ).StackEvents;
  const trailFailure = events.find(
    (e) => e.LogicalResourceId === 'Trail' && e.ResourceStatus === 'CREATE_FAILED',
  );
  const failureOf = (logicalId: string) =>
    events.find((e) => e.LogicalResourceId === logicalId && e.ResourceStatus === 'CREATE_FAILED')
      ?.ResourceStatusReason;
  return { world, status: stack?.StackStatus, trailFailure: trailFailure?.ResourceStatusReason, failureOf };
}

describe('CloudTrail checks its key and its CloudWatch Logs role when the trail is created', () => {
  it('baseline.yaml as it is completes, and its role and key are in IAM and KMS afterwards', async () => {
    const { world, status, trailFailure } = await deploy(BASELINE);
    expect(trailFailure).toBeUndefined();
    expect(status).toBe('CREATE_COMPLETE');
    expect(findRole(iamSection(world), MEMBER, 'StackFleet-TrailToLogs')?.trustPolicy).toContain(
      'cloudtrail.amazonaws.com',
    );
    const keys = Object.values(kmsSection(world).keys).filter((k) => k.accountId === MEMBER);
    expect(keys.map((k) => JSON.parse(k.policy).Statement.map((s: { Sid?: string }) => s.Sid))).toEqual([
      expect.arrayContaining(['CloudTrailEncryptsLogs', 'CloudTrailDescribesKey']),
    ]);
  });

  it('with DescribeKey under the encryption-context condition, the trail fails on the key', async () => {
    const { status, trailFailure } = await deploy(withDescribeKeyUnderEncryptionContext(BASELINE));
    expect(status).toBe('ROLLBACK_COMPLETE');
    expect(trailFailure).toMatch(
      /^Resource handler returned message: "Invalid request provided: Insufficient permissions to access S3 bucket \S+ or KMS key arn:aws:kms:eu-west-1:222222222222:key\/[0-9a-f-]+\. \(Service: CloudTrail, Status Code: 400, Request ID: [0-9a-f-]+\)" \(RequestToken: [0-9a-f-]+, HandlerErrorCode: InvalidRequest\)$/,
    );
  });

  it('with a logs role trust that requires aws:SourceAccount, the trail fails (CloudTrail sends neither key there)', async () => {
    const { status, trailFailure } = await deploy(withSourceAccountOnLogsRoleTrust(BASELINE));
    expect(status).toBe('ROLLBACK_COMPLETE');
    expect(trailFailure).toContain(
      'Invalid request provided: Access denied. Check the trust relationships for your role.',
    );
  });

  it('a key policy without the CloudWatch Logs statement fails the encrypted log group (CloudWatch Logs User Guide, encrypt-log-data-kms)', async () => {
    const withoutLogs = edit(
      BASELINE,
      'Principal: { Service: !Sub "logs.${AWS::Region}.amazonaws.com" }',
      'Principal: { Service: "nobody.amazonaws.com" }',
    );
    const { status, failureOf } = await deploy(withoutLogs);
    expect(status).toBe('ROLLBACK_COMPLETE');
    expect(failureOf('TrailLogGroup')).toMatch(
      /The specified KMS key does not exist or is not allowed to be used with Arn 'arn:aws:logs:eu-west-1:222222222222:log-group:[^']+' \(Service: CloudWatchLogs, Status Code: 400, .*HandlerErrorCode: AccessDenied\)$/,
    );
  });
});

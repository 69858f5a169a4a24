/**
 * Drift detection reads each resource's live state with the caller's permissions: a caller who
 * may call cloudformation:DetectStackDrift but not read the resources gets a detection that ends
 * DETECTION_FAILED, with AWS's summary of the failures in DetectionStatusReason. The old sandbox
 * answered DETECTION_COMPLETE to anyone.
 */
import { ADMIN, allow, cfnAs, givenRole, later, openWorld, rootOf, sessionOf } from '../helpers/cfn-iam';

const TEMPLATE = `Resources:
  Alerts:
    Type: AWS::SNS::Topic
  Logs:
    Type: AWS::S3::Bucket
`;

type Status = { DetectionStatus: string; DetectionStatusReason?: string; StackDriftStatus?: string };

async function detectAs(policy: ReturnType<typeof allow>): Promise<Status> {
  const { sandbox, world } = await openWorld();
  await cfnAs(sandbox, rootOf(ADMIN), 'CreateStack', { StackName: 'watched', TemplateBody: TEMPLATE });
  later(world);
  givenRole(world, ADMIN, 'Auditor', { Version: '2012-10-17', Statement: [] }, { Audit: policy });
  const auditor = sessionOf(ADMIN, 'Auditor');
  const { StackDriftDetectionId } = await cfnAs<{ StackDriftDetectionId: string }>(
    sandbox,
    auditor,
    'DetectStackDrift',
    {
      StackName: 'watched',
    },
  );
  later(world, 60_000);
  return cfnAs<Status>(sandbox, auditor, 'DescribeStackDriftDetectionStatus', { StackDriftDetectionId });
}

describe('drift detection reads live state with the caller permissions', () => {
  it('a caller without read permission on the resources gets DETECTION_FAILED naming each unreadable resource', async () => {
    const status = await detectAs(allow('cloudformation:*'));
    expect(status.DetectionStatus).toBe('DETECTION_FAILED');
    const reason = JSON.parse(status.DetectionStatusReason ?? '{}') as {
      Summary: string;
      Failures: Array<{ Resource: string; FailureReason: string }>;
    };
    expect(reason.Summary).toBe('Failed to detect drift on resources [Alerts,Logs]');
    expect(reason.Failures.find((f) => f.Resource === 'Alerts')?.FailureReason).toMatch(
      /^User: arn:aws:sts::111111111111:assumed-role\/Auditor\/test is not authorized to perform: sns:GetTopicAttributes on resource: arn:aws:sns:eu-west-1:111111111111:watched-Alerts-\w+ because no identity-based policy allows the sns:GetTopicAttributes action$/,
    );
  });

  it('the same caller with the read permissions gets DETECTION_COMPLETE', async () => {
    const status = await detectAs(
      allow([
        'cloudformation:*',
        'sns:GetTopicAttributes',
        's3:GetEncryptionConfiguration',
        's3:GetBucketVersioning',
      ]),
    );
    expect(status).toMatchObject({ DetectionStatus: 'DETECTION_COMPLETE', StackDriftStatus: 'IN_SYNC' });
  });
});

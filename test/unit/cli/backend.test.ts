import { ADMIN_STACK_NAME, adminResourcesFromOutputs } from '../../../src/cli/backend';
import { CliError, ExitCodes } from '../../../src/cli/exit-codes';

const arn = (name: string) => `arn:aws:states:us-east-1:111122223333:stateMachine:${name}`;

/** The outputs the admin stack of this version has. */
const outputs = {
  RolloutStateMachineArn: arn('Rollout'),
  DeployTargetStateMachineArn: arn('DeployTarget'),
  PreviewTargetStateMachineArn: arn('PreviewTarget'),
  DriftTargetStateMachineArn: arn('DriftTarget'),
  ArtifactBucketName: 'stackfleet-artifacts',
  NotificationTopicArn: 'arn:aws:sns:us-east-1:111122223333:stackfleet',
  DriftScheduleName: 'schedule',
};

function thrown(fn: () => unknown): CliError {
  try {
    fn();
  } catch (error) {
    return error as CliError;
  }
  throw new Error('expected an error');
}

describe('admin stack outputs', () => {
  it('name the per-target machine of every mode', () => {
    expect(adminResourcesFromOutputs(outputs)).toEqual({
      rolloutStateMachineArn: arn('Rollout'),
      targetStateMachineArns: {
        deploy: arn('DeployTarget'),
        preview: arn('PreviewTarget'),
        drift: arn('DriftTarget'),
      },
      artifactBucket: 'stackfleet-artifacts',
      topicArn: 'arn:aws:sns:us-east-1:111122223333:stackfleet',
    });
  });

  it('of a stack deployed before the preview and drift machines existed are refused, naming each missing output', () => {
    const { PreviewTargetStateMachineArn: _p, DriftTargetStateMachineArn: _d, ...older } = outputs;
    const error = thrown(() => adminResourcesFromOutputs(older));
    expect(error).toBeInstanceOf(CliError);
    expect(error.exitCode).toBe(ExitCodes.unreachable);
    expect(error.message).toBe(
      `the admin stack ${ADMIN_STACK_NAME} lacks outputs PreviewTargetStateMachineArn, DriftTargetStateMachineArn; ` +
        'it was deployed by an older stackfleet or changed by hand. Deploy it again with `npm run deploy-admin`',
    );
  });

  it('with one output empty name that one', () => {
    const error = thrown(() => adminResourcesFromOutputs({ ...outputs, DriftTargetStateMachineArn: '' }));
    expect(error.message).toContain('lacks output DriftTargetStateMachineArn;');
  });
});

/** The `sns:publish` Task integration. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { parseStateMachineArn } from './arns';
import type { TaskBinding } from './definition';
import { recordTaskStart } from './execution-outcome';
import type { HistoryRecorder } from './history';
import type { Json } from './payload';
import type { StoredExecution } from './types';

/** An `sns:publish` Task: publishes as the state machine role and records the task events. */
export async function publishSnsTask(
  sns: (region: string, execution: StoredExecution) => SNSClient,
  params: Json,
  execution: StoredExecution,
  recorder: HistoryRecorder,
  binding: TaskBinding,
): Promise<Json> {
  const base = { resourceType: 'sns', resource: 'publish' };
  const target = String(params?.TopicArn ?? params?.TargetArn ?? '');
  const region =
    target.split(':')[3] || parseStateMachineArn(execution.stateMachineArn.split('/')[0] as string).region;
  const fail = recordTaskStart(recorder, base, {
    region,
    parameters: params,
    timeoutSeconds: binding.timeoutSeconds,
  });
  const message = typeof params?.Message === 'string' ? params.Message : JSON.stringify(params?.Message);
  try {
    const result = await sns(region, execution).send(
      new PublishCommand({
        TopicArn: params?.TopicArn,
        TargetArn: params?.TargetArn,
        Message: message,
        Subject: params?.Subject,
        MessageAttributes: params?.MessageAttributes,
        MessageGroupId: params?.MessageGroupId,
        MessageDeduplicationId: params?.MessageDeduplicationId,
      }),
    );
    const output = {
      MessageId: result.MessageId,
      SdkHttpMetadata: { HttpStatusCode: result.$metadata.httpStatusCode ?? 200 },
      SdkResponseMetadata: { RequestId: result.$metadata.requestId },
    };
    recorder.add('TaskSucceeded', {
      taskSucceededEventDetails: {
        ...base,
        $output: output,
        outputDetails: { truncated: false },
      },
    });
    return output;
  } catch (thrown) {
    const e = thrown as { name?: string; message?: string };
    const error = `SNS.${e?.name ?? 'SnsException'}`;
    const cause = e?.message ?? String(thrown);
    throw fail(error, cause);
  }
}

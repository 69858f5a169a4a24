import { PublishCommand } from '@aws-sdk/client-sns';
import { awsClients } from '../src/aws/clients';
import { composeAlert, containedText } from '../src/core/tamper/alert';
import type { TamperEvent } from '../src/core/tamper/read-event';

/**
 * "Alert": one readable message on the notification topic (src/core/tamper/alert.ts), whatever
 * happened before: the state machine's Catch clauses put each failed step's error and cause in
 * `failures`, so what could not be done is said with its reason.
 */
interface AlertInput {
  event: TamperEvent;
  topicArn: string;
  restore?: { restored?: string };
  incident?: { count?: number; duplicate?: boolean; decision?: { action?: string; reason?: string } };
  containment?: { contained?: string };
  failures?: Array<{ step: string; Error?: string; Cause?: string } | null>;
}

export async function handler(input: AlertInput) {
  // Not contained on purpose (first offence, root, a stackfleet role, containment off): say why.
  const contained = containedText(input.containment, input.incident?.decision);
  const { subject, message } = composeAlert({
    event: input.event,
    ...(input.restore?.restored ? { restored: input.restore.restored } : {}),
    ...(contained ? { contained } : {}),
    ...(input.incident?.count ? { incidentCount: input.incident.count } : {}),
    failures: (input.failures ?? [])
      .flatMap((f) => (f === null ? [] : [f]))
      .map((f) => ({
        step: f.step,
        error: f.Error ?? 'Error',
        cause: f.Cause ?? '',
      })),
  });
  const region = input.topicArn.split(':')[3] ?? process.env.AWS_REGION ?? 'us-east-1';
  const out = await awsClients
    .sns({ region })
    .send(new PublishCommand({ TopicArn: input.topicArn, Subject: subject, Message: message }));
  return { messageId: out.MessageId, subject };
}

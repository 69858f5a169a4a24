import { tamperAws } from '../src/aws/tamper-clients';
import { decideContainment, parseContainmentMode } from '../src/core/tamper/containment';
import { incidentUpdate } from '../src/core/tamper/incident';
import type { TamperEvent } from '../src/core/tamper/read-event';

/**
 * "Record the incident": one conditional UpdateItem on the incident table (src/core/tamper/incident.ts),
 * so a duplicate delivery of the same event is one incident; then the containment decision for
 * the principal's count under the configured setting.
 */
interface RecordInput {
  event: TamperEvent;
  tableName: string;
  containment?: string;
  allowList?: string[];
}

export async function handler(input: RecordInput) {
  const mode = parseContainmentMode(input.containment);
  const region = process.env.AWS_REGION ?? input.event.region;
  let count: number;
  try {
    const out = await tamperAws.updateItem(
      region,
      incidentUpdate(input.tableName, input.event, new Date().toISOString()),
    );
    count = Number(out.Attributes?.incidentCount?.N ?? 1);
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException')
      return {
        duplicate: true,
        count: 0,
        decision: { action: 'none', reason: 'the same event was already handled' },
      };
    throw error;
  }
  const decision = decideContainment({
    mode,
    principal: input.event.principal,
    incidentCount: count,
    allowList: input.allowList ?? [],
  });
  return { duplicate: false, count, decision };
}

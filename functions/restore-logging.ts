import { assumeExecutionRole } from '../src/aws/assume-role';
import { tamperAws } from '../src/aws/tamper-clients';
import { InvalidInputError } from '../src/core/errors';
import type { TamperEvent } from '../src/core/tamper/read-event';

/**
 * "Restore logging": assumes the responder role in the account (templates/tamper-responder.yaml),
 * then StartLogging only if the trail is off, or StartConfigurationRecorder only if the recorder
 * stopped. A trail or recorder that no longer exists is reported `missing`, and the state machine
 * redeploys the account's baseline through the deploy-target state machine.
 */
interface RestoreInput {
  event: TamperEvent;
  responderRoleName: string;
  externalId?: string;
}

export async function handler(input: RestoreInput) {
  const { event } = input;
  if (!event || typeof input.responderRoleName !== 'string')
    throw new InvalidInputError(
      'responderRoleName',
      `Restore logging needs event and responderRoleName. Received: ${JSON.stringify(Object.keys(input ?? {}))}`,
    );
  const name = event.target.name;
  if (event.target.kind !== 'trail' && event.target.kind !== 'recorder')
    return { restored: 'nothing to restore', missing: false, action: 'none' };
  if (!name)
    return {
      restored: `nothing restored: the event names no ${event.target.kind}`,
      missing: false,
      action: 'none',
    };
  const credentials = await assumeExecutionRole({
    accountId: event.account,
    roleName: input.responderRoleName,
    rolloutId: 'tamper-response',
    region: event.region,
    ...(input.externalId ? { externalId: input.externalId } : {}),
  });
  const at = { region: event.region, credentials };
  try {
    if (event.target.kind === 'trail') {
      const status = await tamperAws.trailStatus(at, name);
      if (status.IsLogging === true)
        return { restored: `trail ${name} was already logging`, missing: false, action: 'none' };
      await tamperAws.startLogging(at, name);
      return {
        restored: `trail ${name} logging again (StartLogging)`,
        missing: false,
        action: 'StartLogging',
      };
    }
    const status = await tamperAws.recorderStatus(at, name);
    const list = (status.ConfigurationRecordersStatus as Array<{ recording?: boolean }> | undefined) ?? [];
    if (list[0]?.recording === true)
      return { restored: `recorder ${name} was already recording`, missing: false, action: 'none' };
    await tamperAws.startRecorder(at, name);
    return {
      restored: `recorder ${name} recording again (StartConfigurationRecorder)`,
      missing: false,
      action: 'StartConfigurationRecorder',
    };
  } catch (error) {
    const code = (error as { name?: string }).name;
    if (code === 'TrailNotFoundException' || code === 'NoSuchConfigurationRecorderException')
      return {
        restored: `${event.target.kind} ${name} is gone: redeploying the baseline`,
        missing: true,
        action: 'redeploy',
      };
    throw error;
  }
}

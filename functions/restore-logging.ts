import { assumeExecutionRole } from '../src/aws/assume-role';
import { tamperAws } from '../src/aws/tamper-clients';
import { InvalidInputError } from '../src/core/errors';
import { StackTagKeys } from '../src/core/names';
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
  /** Where the baseline comes from, to redeploy it when the trail or recorder is gone. */
  baseline?: { stackName: string; bucket: string; key: string };
  /**
   * Set after "Redeploy the baseline": what the first pass said. The redeploy brought the deleted
   * resource back, but not necessarily logging: a recreated delivery channel leaves a stopped
   * recorder stopped (StartConfigurationRecorder needs a delivery channel, AWS Config API
   * Reference), so this pass starts the account's recorder, or the trail, if it is off.
   */
  afterRedeploy?: { restored?: string | null };
}

/**
 * What drift-target needs to bring a deleted trail or recorder back with a REVERT_DRIFT change
 * set: the template version the stack runs (its `stackfleet:template-version` tag, the S3 version
 * id the rollout pinned) and the parameter values it runs with, so the repair changes nothing else.
 * A plain update with the same template would fix nothing (CloudFormation: "No updates are to be
 * performed"). Undefined when the stack is not there to read.
 */
async function redeployPlan(
  at: { region: string; credentials: Awaited<ReturnType<typeof assumeExecutionRole>> },
  baseline: NonNullable<RestoreInput['baseline']>,
) {
  const stack = await tamperAws.describeStack(at, baseline.stackName).catch(() => undefined);
  const version = stack?.Tags?.find((t) => t.Key === StackTagKeys.TemplateVersion)?.Value;
  if (!stack || !version) return null;
  const bucketRegion = process.env.AWS_REGION ?? at.region;
  return {
    templateUrl: `https://${baseline.bucket}.s3.${bucketRegion}.amazonaws.com/${baseline.key}?versionId=${encodeURIComponent(version)}`,
    templateVersion: version,
    parameters: Object.fromEntries(
      (stack.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']),
    ),
  };
}

export async function handler(input: RestoreInput) {
  const { event } = input;
  if (!event || typeof input.responderRoleName !== 'string')
    throw new InvalidInputError(
      'responderRoleName',
      `Restore logging needs event and responderRoleName. Received: ${JSON.stringify(Object.keys(input ?? {}))}`,
    );
  const name = event.target.name;
  const kind = event.target.kind;
  if (kind !== 'trail' && kind !== 'recorder' && kind !== 'delivery-channel')
    return { restored: 'nothing to restore', missing: false, action: 'none', redeploy: null };
  if (!name)
    return {
      restored: `nothing restored: the event names no ${event.target.kind}`,
      missing: false,
      action: 'none',
      redeploy: null,
    };
  const credentials = await assumeExecutionRole({
    accountId: event.account,
    roleName: input.responderRoleName,
    rolloutId: 'tamper-response',
    region: event.region,
    ...(input.externalId ? { externalId: input.externalId } : {}),
  });
  const at = { region: event.region, credentials };
  if (input.afterRedeploy) return resumeAfterRedeploy(at, event, input.afterRedeploy.restored ?? '');
  if (kind === 'delivery-channel') {
    // DeleteDeliveryChannel is the only call that names a channel here, and it deletes it (AWS
    // Config API Reference, DeleteDeliveryChannel): nothing to start, the baseline brings it back.
    return redeployment(at, input, `delivery channel ${name}`);
  }
  try {
    if (event.target.kind === 'trail') {
      const status = await tamperAws.trailStatus(at, name);
      if (status.IsLogging === true)
        return {
          restored: `trail ${name} was already logging${insightsNote(event)}`,
          missing: false,
          action: 'none',
          redeploy: null,
        };
      await tamperAws.startLogging(at, name);
      return {
        restored: `trail ${name} logging again (StartLogging)${insightsNote(event)}`,
        missing: false,
        action: 'StartLogging',
        redeploy: null,
      };
    }
    const status = await tamperAws.recorderStatus(at, name);
    if (status.ConfigurationRecordersStatus?.[0]?.recording === true)
      return {
        restored: `recorder ${name} was already recording`,
        missing: false,
        action: 'none',
        redeploy: null,
      };
    await tamperAws.startRecorder(at, name);
    return {
      restored: `recorder ${name} recording again (StartConfigurationRecorder)`,
      missing: false,
      action: 'StartConfigurationRecorder',
      redeploy: null,
    };
  } catch (error) {
    const code = (error as { name?: string }).name;
    if (code === 'TrailNotFoundException' || code === 'NoSuchConfigurationRecorderException')
      return redeployment(at, input, `${kind} ${name}`);
    throw error;
  }
}

/**
 * PutInsightSelectors is alerted, not reverted: the baseline's trail declares no InsightSelectors
 * (templates/baseline.yaml), so there are no baseline selectors to put back, and Insights on or
 * off does not stop the trail logging (CloudTrail API Reference, PutInsightSelectors: Insights
 * analyse the management events the trail already logs). The responder keeps no permission for it.
 */
function insightsNote(event: TamperEvent): string {
  return event.eventName === 'PutInsightSelectors'
    ? '; Insights selectors left as set: the baseline declares none to restore (alert only)'
    : '';
}

/** A deleted trail, recorder or delivery channel: redeploy the account's baseline (drift-target). */
async function redeployment(
  at: { region: string; credentials: Awaited<ReturnType<typeof assumeExecutionRole>> },
  input: RestoreInput,
  what: string,
) {
  const redeploy = input.baseline ? await redeployPlan(at, input.baseline) : null;
  if (!redeploy)
    return {
      restored: `nothing restored: ${what} is gone and the baseline stack ${input.baseline?.stackName ?? '(not configured)'} could not be read to redeploy it`,
      missing: false,
      action: 'none',
      redeploy: null,
    };
  return {
    restored: `${what} is gone: redeploying the baseline (template version ${redeploy.templateVersion})`,
    missing: true,
    action: 'redeploy',
    redeploy,
  };
}

/**
 * After the baseline's redeploy: logging runs again. A trail the baseline recreates logs from the
 * start (its IsLogging property); the account's recorder (one per region; DescribeConfigurationRecorderStatus
 * without names lists it) is started if it is not recording, now that its delivery channel is back.
 */
async function resumeAfterRedeploy(
  at: { region: string; credentials: Awaited<ReturnType<typeof assumeExecutionRole>> },
  event: TamperEvent,
  redeployed: string,
) {
  const done = (action: string, what: string) => ({
    restored: `${redeployed}; ${what}`,
    missing: true,
    action,
    redeploy: null,
  });
  if (event.target.kind === 'trail') {
    const name = event.target.name as string;
    const status = await tamperAws.trailStatus(at, name);
    if (status.IsLogging === true) return done('redeploy', `trail ${name} logging again`);
    await tamperAws.startLogging(at, name);
    return done('redeploy+StartLogging', `trail ${name} logging again (StartLogging)`);
  }
  const recorders = (await tamperAws.recorderStatuses(at)).ConfigurationRecordersStatus ?? [];
  if (recorders.length === 0) return done('redeploy', 'no recorder in the account to start');
  const started: string[] = [];
  for (const r of recorders) {
    if (r.recording === true || !r.name) continue;
    await tamperAws.startRecorder(at, r.name);
    started.push(r.name);
  }
  const names = recorders.map((r) => r.name).join(', ');
  return started.length === 0
    ? done('redeploy', `recorder ${names} recording`)
    : done(
        'redeploy+StartConfigurationRecorder',
        `recorder ${started.join(', ')} recording again (StartConfigurationRecorder)`,
      );
}

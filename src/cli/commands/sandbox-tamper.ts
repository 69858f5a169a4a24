import { callInternal } from '../../sandbox/internal-call';
import { ACTIVITY_ACTIONS } from '../../sandbox/scenario-activity';
import { activityCall } from '../../sandbox/scenario-play';
import { cloudTrailSection, findTrail } from '../../sandbox/services/cloudtrail/state';
import { whenEventsAndExecutionsSettled } from '../../sandbox/services/events/delivery';
import { readSnsMessages } from '../../sandbox/services/sns';
import { engineFor } from '../../sandbox/services/stepfunctions';
import type { Caller } from '../../sandbox/types';
import { backendLine, openBackend } from '../backend';
import { ExitCodes, UsageError } from '../exit-codes';
import type { Io } from '../main';
import type { ParsedCommand } from '../options';

/**
 * What `sandbox tamper` can rehearse: the CloudTrail and Config calls the tamper response answers,
 * made as a scenario's scheduled activity makes them (`activityCall`: the same parameters, the
 * baseline's trail or the recorder in place by default). StartLogging is a repair, not tampering.
 */
export const TAMPER_ACTIONS = ACTIVITY_ACTIONS.filter((a) => a !== 'StartLogging');

/**
 * `sandbox tamper`: rehearses tampering in a sandbox world. The principal calls CloudTrail in the
 * account as through the wire (IAM applies: a user the scenario lacks, or one its policies do not
 * allow, is refused as AWS refuses), the event takes the real path (the baseline's forwarding rule,
 * the admin bus, respond-to-tampering), and the command prints what the response did.
 */
export async function sandboxTamperCommand(parsed: ParsedCommand, io: Io): Promise<number> {
  const account = String(parsed.values.account ?? '');
  if (!/^\d{12}$/.test(account))
    throw new UsageError(
      `--account must be a 12-digit account id. Received: ${JSON.stringify(parsed.values.account ?? null)}`,
    );
  const action = String(parsed.values.action ?? 'StopLogging');
  if (!(TAMPER_ACTIONS as readonly string[]).includes(action))
    throw new UsageError(
      `--action must be one of ${TAMPER_ACTIONS.join(', ')}. Received: ${JSON.stringify(action)}`,
    );
  const as = String(parsed.values.as ?? 'root');
  const name = parsed.values.trail === undefined ? undefined : String(parsed.values.trail);
  const backend = await openBackend({ ...parsed.values, sandbox: true }, io.env, {
    access: 'write',
    command: 'stackfleet sandbox tamper',
    stderr: io.stderr,
  });
  try {
    const sandbox = backend.sandbox;
    if (!sandbox) throw new UsageError('sandbox tamper rehearses on the sandbox only (not with --aws)');
    const region = String(parsed.values.region ?? backend.region);
    const world = sandbox.world;
    const scenario = sandbox.scenario;
    if (!scenario.organization.accounts.some((a) => a.id === account))
      throw new UsageError(
        `--account ${account} is not an account of the sandbox's organisation. Accounts: ${scenario.organization.accounts.map((a) => a.id).join(', ')}`,
      );
    let caller: Caller;
    if (as === 'root')
      caller = { accountId: account, accessKeyId: `root-${account}`, arn: `arn:aws:iam::${account}:root` };
    else {
      const key = (scenario.accessKeys ?? []).find((k) => k.accountId === account && k.userName === as);
      if (!key)
        throw new UsageError(
          `--as must be root or an IAM user of the scenario's accessKeys in ${account}. Received: ${JSON.stringify(as)}; users there: ${
            (scenario.accessKeys ?? [])
              .filter((k) => k.accountId === account && k.userName)
              .map((k) => k.userName)
              .join(', ') || 'none'
          }`,
        );
      caller = {
        accountId: account,
        accessKeyId: key.accessKeyId,
        arn: `arn:aws:iam::${account}:user/${as}`,
        userName: as,
      };
    }
    io.stderr.write(`${await backendLine(backend)}\n`);
    const result = await backend.run(async () => {
      const admin = await backend.admin();
      const engine = engineFor(world);
      const machine = (admin as { respondToTamperingStateMachineArn?: string })
        .respondToTamperingStateMachineArn;
      const before = new Set(
        machine ? engine.listExecutions({ stateMachineArn: machine }).map((e) => e.executionArn) : [],
      );
      const alertsBefore = readSnsMessages(world, admin.topicArn).length;
      const call = activityCall(world, {
        atMinute: 0,
        account,
        region,
        as: as === 'root' ? { root: true } : { user: as },
        action,
        ...(name !== undefined ? { name } : {}),
      });
      const target = String(Object.values(call.params).find((v) => typeof v === 'string'));
      await callInternal(world, {
        caller,
        ...call,
        region,
        userAgent: 'stackfleet sandbox tamper',
        sourceIp: '203.0.113.10',
      });
      await whenEventsAndExecutionsSettled(world, engine);
      const responses = machine
        ? engine.listExecutions({ stateMachineArn: machine }).filter((e) => !before.has(e.executionArn))
        : [];
      const config = call.service === 'config';
      const trail = config ? undefined : findTrail(world, target, account, region);
      // After DeleteDeliveryChannel, the recorder in place is the one that stops delivering.
      const recorder = Object.values(cloudTrailSection(world).recorders).find(
        (r) =>
          r.accountId === account &&
          r.region === region &&
          (action === 'DeleteDeliveryChannel' || r.name === target),
      );
      return {
        account,
        region,
        principal: caller.arn,
        action,
        target,
        responses: responses.map((e) => ({ executionArn: e.executionArn, status: e.status })),
        ...(config
          ? { recorderRecording: recorder?.recording ?? null }
          : { trailLogging: trail?.isLogging ?? null }),
        alerts: readSnsMessages(world, admin.topicArn)
          .slice(alertsBefore)
          .map((m) => m.message),
      };
    });
    if (parsed.values.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      io.stdout.write(
        `${result.principal} called ${action} on ${result.target} in ${account} ${region}.\n` +
          `Responses: ${result.responses.map((r) => r.status).join(', ') || 'none (is the baseline rolled out there?)'}; ` +
          `${stateLine(result)}.\n` +
          result.alerts.map((a) => `\n${a}\n`).join(''),
      );
    }
    return ExitCodes.ok;
  } finally {
    await backend.close();
  }
}

/** What the trail or recorder looks like after the response. */
function stateLine(result: { trailLogging?: boolean | null; recorderRecording?: boolean | null }): string {
  if ('recorderRecording' in result)
    return `recorder ${result.recorderRecording === null ? 'missing' : result.recorderRecording ? 'recording' : 'not recording'}`;
  return `trail ${result.trailLogging === null ? 'missing' : result.trailLogging ? 'logging' : 'not logging'}`;
}

/**
 * Plays the scenario's scheduled `activity` ("at minute M, principal P stops the trail in account
 * A, region R"): each entry becomes the same CloudTrail or Config call a person would make, made
 * as that principal through IAM (`callInternal`, authorized as from the wire), so CloudTrail
 * records it and the tamper response runs on the real event path. Minutes count from `from`
 * (virtual ms, e.g. when the rehearsal starts); the calls fire on the virtual clock and are in
 * flight for `whenEventsAndExecutionsSettled` until done. Each outcome, a refusal included, is
 * kept in the world's activity log rather than thrown: a scheduled principal AWS would refuse is
 * part of the rehearsal.
 */

import { userArnOf } from './iam/scenario-users';
import { findRole, iamSection } from './iam/state';
import { callInternal } from './internal-call';
import type { ScenarioActivity } from './scenario-types';
import { cloudTrailSection } from './services/cloudtrail/state';
import { eventsRuntime } from './services/events/delivery';
import type { Caller, SandboxWorld } from './types';

/** The trail the baseline creates (templates/baseline.yaml `TrailName`). */
export const BASELINE_TRAIL_NAME = 'StackFleet-baseline';

export interface PlayedActivity {
  index: number;
  atMinute: number;
  /** Virtual ms the call was made. */
  at: number;
  caller: string;
  action: string;
  outcome: 'done' | 'refused';
  /** The error the call met (its AWS code and message), for a refused one. */
  error?: string;
}

interface ActivitySection {
  played: PlayedActivity[];
  /** Virtual ms the world's first sandbox rollout started: minute 0 of the activity. */
  origin?: number;
}

const activitySection = (world: SandboxWorld) =>
  world.section<ActivitySection>('scenarioActivity', () => ({ played: [] }));

/** What the activity has done so far in this world. */
export function activityLog(world: SandboxWorld): PlayedActivity[] {
  return activitySection(world).played;
}

/**
 * Minute 0 of the world's activity: the first call fixes it at `now` and it is kept with the
 * world, so every later rollout counts from the same start.
 */
export function activityOrigin(world: SandboxWorld, now: number): number {
  const section = activitySection(world);
  section.origin ??= now;
  return section.origin;
}

/** The caller of an activity; a user needs a scenario access key, a role must exist in the account. */
export function activityCaller(world: SandboxWorld, activity: ScenarioActivity, now: number): Caller {
  const { account, as } = activity;
  if ('user' in as) {
    const key = world.scenario.accessKeys?.find((k) => k.accountId === account && k.userName === as.user);
    if (!key)
      throw new Error(
        `activity user ${as.user} has no access key in account ${account} (scenario accessKeys[].userName). Received: ${as.user}`,
      );
    return {
      accountId: account,
      accessKeyId: key.accessKeyId,
      arn: userArnOf(world, account, as.user),
      userName: as.user,
    };
  }
  if ('role' in as) {
    if (!findRole(iamSection(world), account, as.role))
      throw new Error(`activity role ${as.role} does not exist in account ${account}. Received: ${as.role}`);
    const sessionName = as.sessionName ?? 'scenario-activity';
    return {
      accountId: account,
      accessKeyId: `ASIAACTIVITY${account.slice(-4)}`,
      arn: `arn:aws:sts::${account}:assumed-role/${as.role}/${sessionName}`,
      roleName: as.role,
      sessionName,
      issuedAt: now,
    };
  }
  return { accountId: account, accessKeyId: `root-${account}`, arn: `arn:aws:iam::${account}:root` };
}

/** The service and parameters of an activity's call; names default to the baseline's trail or recorder. */
export function activityCall(
  world: SandboxWorld,
  activity: ScenarioActivity,
): { service: string; operation: string; params: Record<string, unknown> } {
  const { action, account, region } = activity;
  const inPlace = <T extends { accountId: string; region: string; name: string }>(
    records: Record<string, T>,
  ) => Object.values(records).find((r) => r.accountId === account && r.region === region)?.name;
  const section = cloudTrailSection(world);
  switch (action) {
    case 'StopConfigurationRecorder':
    case 'DeleteConfigurationRecorder':
      return {
        service: 'config',
        operation: action,
        params: { ConfigurationRecorderName: activity.name ?? inPlace(section.recorders) ?? 'default' },
      };
    case 'DeleteDeliveryChannel':
      return {
        service: 'config',
        operation: action,
        params: { DeliveryChannelName: activity.name ?? inPlace(section.channels) ?? 'default' },
      };
    case 'PutEventSelectors':
      // Management events off: what someone hiding their calls would set.
      return {
        service: 'cloudtrail',
        operation: action,
        params: {
          TrailName: activity.name ?? BASELINE_TRAIL_NAME,
          EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: false }],
        },
      };
    case 'PutInsightSelectors':
      // An empty list turns CloudTrail Insights off (CloudTrail API Reference, PutInsightSelectors).
      return {
        service: 'cloudtrail',
        operation: action,
        params: { TrailName: activity.name ?? BASELINE_TRAIL_NAME, InsightSelectors: [] },
      };
    default:
      return {
        service: 'cloudtrail',
        operation: action,
        params: { Name: activity.name ?? BASELINE_TRAIL_NAME },
      };
  }
}

/**
 * Schedules every activity at `from + atMinute` minutes on the (virtual) clock; returns when all
 * have been made. Activity already due fires at once.
 */
export function playScenarioActivity(
  world: SandboxWorld,
  options: { from: number },
): Promise<PlayedActivity[]> {
  return scheduleScenarioActivity(world, options).played.then((all) =>
    all.filter((p): p is PlayedActivity => p !== undefined),
  );
}

/** Activity on the clock: `cancel` drops the entries not yet made (they stay unplayed). */
export interface ScheduledActivity {
  /** Each entry's outcome, or undefined for one skipped (played before) or cancelled. */
  played: Promise<(PlayedActivity | undefined)[]>;
  /**
   * Clears the timers of the entries not yet made and takes them out of flight, so
   * `whenEventsAndExecutionsSettled` waits only for calls already made (and what they set off).
   */
  cancel(): void;
}

/**
 * Like `playScenarioActivity`, for a caller that plays the activity beside other work (a sandbox
 * rollout): with `skipPlayed`, entries already in `activityLog` are not made again.
 */
export function scheduleScenarioActivity(
  world: SandboxWorld,
  options: { from: number; skipPlayed?: boolean },
): ScheduledActivity {
  const activity = world.scenario.activity ?? [];
  const runtime = eventsRuntime(world);
  const done = new Set(options.skipPlayed ? activityLog(world).map((p) => p.index) : []);
  const pending: { timer: ReturnType<typeof setTimeout>; resolve: (fired: boolean) => void }[] = [];
  const flights = activity.map((entry, index) => {
    if (done.has(index)) return Promise.resolve(undefined);
    const delay = Math.max(0, options.from + entry.atMinute * 60_000 - world.now());
    const wait = new Promise<boolean>((resolve) => {
      const slot = { timer: setTimeout(() => resolve(true), delay), resolve };
      pending.push(slot);
    });
    const flight: Promise<PlayedActivity | undefined> = wait
      .then(async (fired) => {
        if (!fired) return undefined;
        const at = world.now();
        const played: PlayedActivity = {
          index,
          atMinute: entry.atMinute,
          at,
          caller: '',
          action: entry.action,
          outcome: 'done',
        };
        try {
          const caller = activityCaller(world, entry, at);
          played.caller = caller.arn;
          const call = activityCall(world, entry);
          await callInternal(world, {
            caller,
            ...call,
            region: entry.region,
            userAgent: 'stackfleet-scenario',
          });
        } catch (error) {
          played.outcome = 'refused';
          played.error = `${(error as Error).name}: ${(error as Error).message}`;
        }
        activityLog(world).push(played);
        return played;
      })
      .finally(() => runtime.inFlight.delete(flight as Promise<unknown> as Promise<void>));
    runtime.inFlight.add(flight as Promise<unknown> as Promise<void>);
    return flight;
  });
  return {
    played: Promise.all(flights),
    cancel() {
      // A timer that fired already resolved its promise with true; resolving again is a no-op.
      for (const slot of pending) {
        clearTimeout(slot.timer);
        slot.resolve(false);
      }
    },
  };
}

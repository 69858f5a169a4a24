/**
 * The scenario's tamper-response fields: `tamperResponse.allowList` (principal ARN patterns the
 * response never contains) and `activity` (scheduled tampering calls), each bad value refused with
 * its field and the value received.
 */

import { validateScenario } from '../../src/sandbox/scenario';
import { activityCall } from '../../src/sandbox/scenario-play';
import type { SandboxWorld } from '../../src/sandbox/types';
import { MEMBER, REGION, tamperScenario } from '../helpers/tamper-world';

const raw = (extra: Record<string, unknown>) => ({ ...tamperScenario(), ...extra });

describe('scenario tamperResponse and activity', () => {
  it('keeps a valid allow-list and refuses an entry that is not a principal ARN, naming it', () => {
    expect(
      validateScenario(raw({ tamperResponse: { allowList: ['arn:aws:iam::*:role/BreakGlass'] } }))
        .tamperResponse,
    ).toEqual({ allowList: ['arn:aws:iam::*:role/BreakGlass'] });
    expect(() => validateScenario(raw({ tamperResponse: { allowList: ['BreakGlass'] } }))).toThrow(
      'tamperResponse.allowList[0] must be an IAM or STS principal ARN pattern. Received: "BreakGlass"',
    );
  });

  it('refuses an activity action the response does not watch, naming it', () => {
    expect(() =>
      validateScenario(
        raw({
          activity: [
            { atMinute: 1, account: MEMBER, region: REGION, as: { root: true }, action: 'DeleteBucket' },
          ],
        }),
      ),
    ).toThrow(/activity\[0\]\.action.*DeleteBucket/);
  });

  it("defaults an activity's target to the baseline's trail or the recorder in place", () => {
    const world = {
      section: () => ({
        trails: {},
        recorders: { k: { accountId: MEMBER, region: REGION, name: 'StackFleet-rec' } },
        channels: {},
      }),
    } as unknown as SandboxWorld;
    const at = { atMinute: 1, account: MEMBER, region: REGION, as: { root: true } } as const;
    expect(activityCall(world, { ...at, action: 'StopLogging' })).toEqual({
      service: 'cloudtrail',
      operation: 'StopLogging',
      params: { Name: 'StackFleet-baseline' },
    });
    expect(activityCall(world, { ...at, action: 'StopConfigurationRecorder' }).params).toEqual({
      ConfigurationRecorderName: 'StackFleet-rec',
    });
  });
});

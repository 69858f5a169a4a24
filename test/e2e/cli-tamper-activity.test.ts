import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli-process';
import { tamperCliWorld } from '../helpers/tamper-cli';

/**
 * A scenario's scheduled tampering ("at minute 3, the root user of 333333333333 stops the trail")
 * played by `stackfleet rollout --sandbox` itself, on the rollout's virtual clock. Minute 0 is the
 * start of the world's first rollout; 333333333333's baseline settles in about 2 minutes (before
 * that its trail does not exist and the call would be refused with TrailNotFoundException, as AWS
 * would), while 222222222222's stack in ROLLBACK_COMPLETE is deleted and created again, keeping
 * the rollout going past minute 3. The response the call sets off has recorded the incident by
 * the time the command ends, so `stackfleet incidents` (another process) lists it; a second
 * rollout of the same world does not make the call again.
 */
const MEMBER = '333333333333';

describe('scenario activity played by a sandbox rollout', () => {
  const { dir, stateDir, config } = tamperCliWorld('sf-e2e-activity-', ['222222222222', MEMBER]);
  const scenario = join(dir, 'activity.yaml');
  writeFileSync(
    scenario,
    `${readFileSync(join(ROOT, 'src/sandbox/scenarios/small.yaml'), 'utf8')}\n` +
      `activity:\n  - { atMinute: 3, account: "${MEMBER}", region: us-east-1, as: { root: true }, action: StopLogging }\n`,
  );
  const rollout = () =>
    runCli(['rollout', '--json', '--scenario', scenario, '--config', config, '--state-dir', stateDir]);
  const listed = () => {
    const run = runCli(['incidents', '--json', '--state-dir', stateDir]);
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout).incidents as { principal: string; count: number }[];
  };

  it('the trail stopped at minute 3 of the rollout is an incident when the rollout command ends', () => {
    const first = rollout();
    expect(first.stderr).not.toMatch(/internal error/);
    const report = JSON.parse(first.stdout);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.durationSeconds).toBeGreaterThan(180);
    expect(listed()).toEqual([
      expect.objectContaining({
        principal: `arn:aws:iam::${MEMBER}:root`,
        count: 1,
        lastEventName: 'StopLogging',
      }),
    ]);
  });

  it('a second rollout of the same world does not play the activity again', () => {
    const second = rollout();
    expect(JSON.parse(second.stdout).status).toBe('SUCCEEDED');
    expect(listed()).toEqual([
      expect.objectContaining({ principal: `arn:aws:iam::${MEMBER}:root`, count: 1 }),
    ]);
  });
});

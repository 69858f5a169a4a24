import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli-process';
import { tamperCliWorld } from '../helpers/tamper-cli';

/**
 * `stackfleet sandbox tamper` and `stackfleet incidents` as a user runs them (separate processes,
 * state kept in a temporary folder): the baseline rolled out forwarding to the admin account, the
 * account's root stops the trail, the response restores it and alerts, and `incidents` lists it.
 */
const SMALL = join(ROOT, 'src/sandbox/scenarios/small.yaml');

const cli = (args: string[]) => runCli(args, {}, ROOT, 300_000);

describe('rehearsing tampering from the CLI', () => {
  const { stateDir, config } = tamperCliWorld('sf-e2e-tamper-', ['222222222222']);

  it('refuses a bad account or action, naming the flag and the value', () => {
    const bad = cli(['sandbox', 'tamper', '--account', '12', '--state-dir', stateDir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--account must be a 12-digit account id. Received: "12"');
    const action = cli([
      'sandbox',
      'tamper',
      '--account',
      '222222222222',
      '--action',
      'Nope',
      '--state-dir',
      stateDir,
    ]);
    expect(action.code).toBe(2);
    expect(action.stderr).toContain(
      '--action must be one of StopLogging, DeleteTrail, UpdateTrail, PutEventSelectors, PutInsightSelectors, ' +
        'StopConfigurationRecorder, DeleteConfigurationRecorder, DeleteDeliveryChannel. Received: "Nope"',
    );
  });

  it('stops the trail as the root user, the response restores it, and incidents lists the principal', () => {
    const rollout = cli([
      'rollout',
      '--json',
      '--scenario',
      SMALL,
      '--config',
      config,
      '--state-dir',
      stateDir,
    ]);
    expect(rollout.stderr).not.toMatch(/internal error/);
    expect(JSON.parse(rollout.stdout).status).toBe('SUCCEEDED');

    const tamper = cli([
      'sandbox',
      'tamper',
      '--account',
      '222222222222',
      '--as',
      'root',
      '--json',
      '--state-dir',
      stateDir,
    ]);
    expect(tamper.stderr).not.toMatch(/internal error/);
    expect(tamper.code).toBe(0);
    const rehearsal = JSON.parse(tamper.stdout);
    expect(rehearsal).toMatchObject({
      principal: 'arn:aws:iam::222222222222:root',
      action: 'StopLogging',
      responses: [{ status: 'SUCCEEDED' }],
      trailLogging: true,
    });
    expect(rehearsal.alerts[0]).toContain(
      'Restored:  trail StackFleet-baseline logging again (StartLogging)',
    );

    const listed = cli(['incidents', '--json', '--state-dir', stateDir]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).incidents).toEqual([
      expect.objectContaining({
        principal: 'arn:aws:iam::222222222222:root',
        count: 1,
        lastEventName: 'StopLogging',
      }),
    ]);
    const human = cli(['incidents', '--state-dir', stateDir]);
    expect(human.stdout).toMatch(/^COUNT {2}PRINCIPAL/);
    expect(human.stdout).toContain('the root user of 222222222222');
  });

  // A second command on the saved world: its event has an id of its own, not the first one's
  // again (which the response would take for EventBridge redelivering it).
  it('stops the Config recorder in place: the response starts it again and alerts', () => {
    const tamper = cli([
      'sandbox',
      'tamper',
      '--account',
      '222222222222',
      '--action',
      'StopConfigurationRecorder',
      '--json',
      '--state-dir',
      stateDir,
    ]);
    expect(tamper.stderr).not.toMatch(/internal error/);
    expect(tamper.code).toBe(0);
    const rehearsal = JSON.parse(tamper.stdout);
    expect(rehearsal).toMatchObject({
      action: 'StopConfigurationRecorder',
      responses: [{ status: 'SUCCEEDED' }],
      recorderRecording: true,
    });
    expect(rehearsal.alerts[0]).toContain(
      `recorder ${rehearsal.target} recording again (StartConfigurationRecorder)`,
    );
  });
});

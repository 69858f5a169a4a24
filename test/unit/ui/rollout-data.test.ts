import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { stateMachineFiles, substituteDefinition } from '../../../src/core/functions';
import { findTargetStateMachine, rolloutModeOf } from '../../../src/ui/definitions';

/** The real rollout definition with every placeholder filled the way provisioning fills it. */
const rolloutText = readFileSync(path.join(__dirname, '../../../statemachines/rollout.asl.json'), 'utf8');
const arnOf = (id: string) => `arn:aws:states:eu-west-1:111122223333:stateMachine:stackfleet-${id}`;
const values = Object.fromEntries(
  [...rolloutText.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map(([, name]) => [name, `value-of-${name}`]),
);
for (const sm of stateMachineFiles) values[sm.placeholder] = arnOf(sm.id);
const rollout = substituteDefinition(rolloutText, values);

describe('findTargetStateMachine', () => {
  it.each([
    ['deploy', 'deploy-target'],
    ['preview', 'preview-target'],
    ['drift', 'drift-target'],
  ])('shows a %s rollout with the machine its children ran: %s', (mode, machine) => {
    expect(findTargetStateMachine(rollout, mode)).toEqual({ stateMachineArn: arnOf(machine), machine });
  });

  it('shows no target graph for a rollout whose input named no known mode (it was refused, no child ran)', () => {
    expect(findTargetStateMachine(rollout, undefined)).toBeUndefined();
    expect(findTargetStateMachine(rollout, 'destroy')).toBeUndefined();
  });

  it('reads a definition that names one child machine directly (rollouts from before the per-mode machines)', () => {
    const older = rollout.replace(
      '"StateMachineArn.$": "$.targetStateMachineArn"',
      `"StateMachineArn": "${arnOf('old')}"`,
    );
    expect(older).not.toBe(rollout);
    expect(findTargetStateMachine(older, 'preview')).toEqual({
      stateMachineArn: arnOf('old'),
      machine: 'deploy-target',
    });
  });

  it('answers undefined for a definition that is not JSON', () => {
    expect(findTargetStateMachine('{not json', 'deploy')).toBeUndefined();
  });
});

describe('rolloutModeOf', () => {
  it.each([
    ['{"mode":"drift","repair":true}', 'drift'],
    ['{"rolloutId":"r1"}', undefined],
    ['{"mode":3}', undefined],
    ['not json', undefined],
    [undefined, undefined],
  ])('reads the mode of %s', (input, mode) => {
    expect(rolloutModeOf(input)).toBe(mode);
  });
});

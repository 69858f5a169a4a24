import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  lambdaFunctions,
  responseStateMachineFiles,
  stateMachineFiles,
  targetStateMachineFiles,
} from '../../src/core/functions';

// asl-validator ships no type declarations; this is the shape of its export.
const validator = require('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errorsText: () => string;
};

const folder = join(__dirname, '..', '..', 'statemachines');
const files = readdirSync(folder).filter((f) => f.endsWith('.asl.json'));

interface AnyState {
  Type: string;
  Comment?: string;
  Resource?: string;
  Next?: string;
  Default?: string;
  Choices?: Array<{ Variable?: string; Next: string }>;
  Catch?: Array<{ Next: string }>;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Credentials?: unknown;
  QueryLanguage?: string;
  States?: Record<string, AnyState>;
  Iterator?: { States: Record<string, AnyState> };
  ItemProcessor?: { States: Record<string, AnyState> };
  Branches?: Array<{ States: Record<string, AnyState> }>;
}

function allStates(states: Record<string, AnyState>): Array<[string, AnyState]> {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, AnyState],
    ...allStates(state.Iterator?.States ?? {}),
    ...allStates(state.ItemProcessor?.States ?? {}),
    ...(state.Branches ?? []).flatMap((b) => allStates(b.States)),
  ]);
}

/** Names of the states reachable from StartAt (top level: the per-target files have no nested scopes). */
function reachable(definition: { StartAt: string; States: Record<string, AnyState> }): string[] {
  const seen = new Set<string>();
  const queue = [definition.StartAt];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    const state = definition.States[name];
    if (seen.has(name) || !state) continue;
    seen.add(name);
    if (state.Next) queue.push(state.Next);
    if (state.Default) queue.push(state.Default);
    for (const rule of [...(state.Choices ?? []), ...(state.Catch ?? [])]) queue.push(rule.Next);
  }
  return [...seen];
}

const targetDefinitions = targetStateMachineFiles.map((sm) => ({
  file: basename(sm.file),
  definition: JSON.parse(readFileSync(join(folder, basename(sm.file)), 'utf8')) as {
    Comment: string;
    StartAt: string;
    States: Record<string, AnyState>;
  },
}));

/** The states that turn a caught error into the target's Fail state: every per-target file has them. */
const FAILURE_STATES = [
  'Function error?',
  'Read function error',
  'Function failed',
  'Keep function reason',
  'Describe failure',
  'Describe failure without cause',
  'Format failure',
  'Target failed',
];

describe('state machines', () => {
  it('include every registered file: the rollout and a per-target workflow per mode', () => {
    expect(files.sort()).toEqual(
      [...stateMachineFiles, ...responseStateMachineFiles].map((sm) => basename(sm.file)).sort(),
    );
    expect(targetStateMachineFiles.map((sm) => sm.mode)).toEqual(['deploy', 'preview', 'drift']);
  });

  describe.each(files)('%s', (file) => {
    const definition = JSON.parse(readFileSync(join(folder, file), 'utf8'));

    it('is accepted by asl-validator', () => {
      // The validator annotates the object it checks, so hand it a copy.
      const result = validator(structuredClone(definition));
      expect(result.errorsText()).toBe('');
      expect(result.isValid).toBe(true);
    });

    it('is JSONPath ASL the local engine runs: no JSONata, no Credentials', () => {
      expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
      for (const [name, state] of allStates(definition.States)) {
        expect({ name, lang: state.QueryLanguage ?? 'JSONPath' }).toEqual({ name, lang: 'JSONPath' });
        expect({ name, credentials: state.Credentials }).toEqual({ name, credentials: undefined });
      }
    });
  });

  // House rules for the per-target workflows (other files follow their own issues' rules).
  describe.each(targetDefinitions)('$file house rules', ({ definition }) => {
    it('gives every state a Comment and a name a person reads, and every Task an explicit timeout', () => {
      for (const [name, state] of allStates(definition.States)) {
        expect({ name, comment: Boolean(state.Comment) }).toEqual({ name, comment: true });
        expect(name).toMatch(/^[A-Z][a-z]+( [a-zA-Z-]+)*\??$/);
        if (state.Type === 'Task') {
          // A callback task's timeout comes from the state (its event wait): TimeoutSecondsPath.
          const timeout = Boolean(state.TimeoutSeconds) || Boolean(state.TimeoutSecondsPath);
          expect({ name, timeout }).toEqual({ name, timeout: true });
        }
      }
    });

    it('binds Tasks to registered function placeholders, and waits with SecondsPath', () => {
      const states = Object.fromEntries(allStates(definition.States));
      const placeholder = (name: string) => `\${${name}}`;
      if (states['Deploy stack'])
        expect(states['Deploy stack'].Resource).toBe(placeholder('DeployStackFunctionArn'));
      if (states['Check stack'])
        expect(states['Check stack'].Resource).toBe(placeholder('CheckStackFunctionArn'));
      const registered = new Set<string>(lambdaFunctions.map((f) => placeholder(f.placeholder)));
      for (const [name, state] of Object.entries(states)) {
        // A callback task (.waitForTaskToken) names its function in Parameters.FunctionName.
        const bound =
          state.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken'
            ? String((state as { Parameters?: { FunctionName?: unknown } }).Parameters?.FunctionName ?? '')
            : (state.Resource ?? '');
        if (state.Type === 'Task')
          expect({ name, registered: registered.has(bound) }).toEqual({
            name,
            registered: true,
          });
        if (state.Type === 'Wait') expect(state).toHaveProperty('SecondsPath');
      }
    });
  });

  describe('per-target workflows', () => {
    it('start directly at the first Task of their mode: no state is spent choosing the mode', () => {
      expect(targetDefinitions.map(({ file, definition }) => [file, definition.StartAt])).toEqual([
        ['deploy-target.asl.json', 'Deploy stack'],
        ['preview-target.asl.json', 'Create change set'],
        ['drift-target.asl.json', 'Detect drift'],
      ]);
      for (const { file, definition } of targetDefinitions) {
        expect({ file, start: definition.States[definition.StartAt]?.Type }).toEqual({ file, start: 'Task' });
        const routesByMode = Object.entries(definition.States).filter(([, state]) =>
          (state.Choices ?? []).some((rule) => rule.Variable === '$.mode'),
        );
        expect({ file, routesByMode }).toEqual({ file, routesByMode: [] });
      }
    });

    it('hold exactly the states reachable from StartAt, the failure-formatting states included', () => {
      for (const { file, definition } of targetDefinitions) {
        const names = Object.keys(definition.States);
        expect({ file, states: reachable(definition).sort() }).toEqual({ file, states: [...names].sort() });
        expect({ file, failureStates: FAILURE_STATES.filter((n) => names.includes(n)) }).toEqual({
          file,
          failureStates: FAILURE_STATES,
        });
      }
      // Drift converges missing, failed and outdated stacks through the deploy states.
      const drift = targetDefinitions.find((t) => t.file === 'drift-target.asl.json')?.definition;
      const deploy = targetDefinitions.find((t) => t.file === 'deploy-target.asl.json')?.definition;
      expect(Object.keys(drift?.States ?? {})).toEqual(
        expect.arrayContaining(Object.keys(deploy?.States ?? {})),
      );
    });

    it('keep every state they share identical (name, Comment, Retry, Catch, transitions), so the copies cannot drift apart', () => {
      const first = new Map<string, { file: string; state: AnyState }>();
      let shared = 0;
      for (const { file, definition } of targetDefinitions) {
        for (const [name, state] of Object.entries(definition.States)) {
          const seen = first.get(name);
          if (!seen) {
            first.set(name, { file, state });
            continue;
          }
          shared++;
          expect({ state: name, in: file, definition: state }).toStrictEqual({
            state: name,
            in: file,
            definition: seen.state,
          });
        }
      }
      // The failure states in preview and drift, and the deploy states again in drift (with
      // "Wait for stack event": drift's convergence waits for stack events too).
      expect(shared).toBe(FAILURE_STATES.length * 2 + 7);
    });
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lambdaFunctions } from '../../src/core/functions';

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

describe('state machines', () => {
  it('include the per-target workflow', () => {
    expect(files).toContain('deploy-target.asl.json');
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

  // House rules for the per-target workflow (other files follow their own issues' rules).
  describe('deploy-target.asl.json house rules', () => {
    const definition = JSON.parse(readFileSync(join(folder, 'deploy-target.asl.json'), 'utf8'));

    it('gives every state a Comment and a name a person reads, and every Task an explicit timeout', () => {
      for (const [name, state] of allStates(definition.States)) {
        expect({ name, comment: Boolean(state.Comment) }).toEqual({ name, comment: true });
        expect(name).toMatch(/^[A-Z][a-z]+( [a-zA-Z-]+)*\??$/);
        if (state.Type === 'Task') {
          expect({ name, timeout: Boolean(state.TimeoutSeconds) }).toEqual({ name, timeout: true });
        }
      }
    });

    it('binds Tasks to registered function placeholders, and waits with SecondsPath', () => {
      const states = Object.fromEntries(allStates(definition.States));
      const placeholder = (name: string) => `\${${name}}`;
      expect(states['Deploy stack']?.Resource).toBe(placeholder('DeployStackFunctionArn'));
      expect(states['Check stack']?.Resource).toBe(placeholder('CheckStackFunctionArn'));
      const registered = new Set<string>(lambdaFunctions.map((f) => placeholder(f.placeholder)));
      for (const [name, state] of Object.entries(states)) {
        if (state.Type === 'Task')
          expect({ name, registered: registered.has(state.Resource ?? '') }).toEqual({
            name,
            registered: true,
          });
        if (state.Type === 'Wait') expect(state).toHaveProperty('SecondsPath');
      }
    });
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_CODE_TABLE, ExitCodes } from '../../../src/cli/exit-codes';
import { type Io, isReachError, reportError } from '../../../src/cli/main';
import { exitCodeLines } from '../../../src/cli/options';

/** The exit-code table is one source: `--help` prints it and the README repeats it row for row. */
describe('the exit-code table', () => {
  it("is the README's table, row for row", () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('**Exit codes**'));
    const rows = [...section.matchAll(/^\| `(\d+)` \| (.+?) \|$/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(rows).toEqual(EXIT_CODE_TABLE.map(([code, text]) => [code, text]));
  });

  it('is what --help prints', () => {
    expect(exitCodeLines()).toEqual([
      'Exit codes:',
      ...EXIT_CODE_TABLE.map(([code, text]) => `  ${String(code).padStart(2)}  ${text}`),
    ]);
  });
});

describe('an error no command turned into a CliError', () => {
  function report(error: unknown): { code: number; stderr: string } {
    let stderr = '';
    const io: Io = {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      env: {},
    };
    return { code: reportError(error, io), stderr };
  }

  it.each([
    [
      'an answer from an AWS service',
      Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: {} }),
    ],
    [
      'no credentials',
      Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }),
    ],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    [
      'a wrapped socket error',
      new Error('request failed', { cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }) }),
    ],
  ])('is "could not reach" (3) for %s', (_what, error) => {
    expect(isReachError(error)).toBe(true);
    const { code, stderr } = report(error);
    expect(code).toBe(ExitCodes.unreachable);
    expect(stderr).toMatch(/^stackfleet: could not reach the engine or AWS: /);
  });

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a RangeError', new RangeError('Invalid string length')],
    ['a thrown string', 'oops'],
  ])('is an internal error (70) for %s, never "could not reach"', (_what, error) => {
    expect(isReachError(error)).toBe(false);
    const { code, stderr } = report(error);
    expect(code).toBe(ExitCodes.internalError);
    expect(stderr).toContain('stackfleet: internal error (a defect in stackfleet, please report it): ');
  });

  it('prints an error message without the escape sequences it may carry from AWS', () => {
    const { stderr } = report(Object.assign(new Error('bad \u001b]0;title\u0007thing'), { $metadata: {} }));
    expect(stderr).toBe('stackfleet: could not reach the engine or AWS: Error: bad thing\n');
  });
});

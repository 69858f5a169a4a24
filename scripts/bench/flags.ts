/**
 * The benchmarks' argv reading (scripts/bench.ts and bench/graph-run.ts): `--flag value` and
 * `--flag=value`, with values refused by name and value received, as the CLI does.
 */

/**
 * Walks argv: `take(flag, value)` handles one flag (calling `value()` to consume its value) and
 * returns false for a flag it does not know, which is refused with `usage`.
 */
export function parseFlags(
  argv: readonly string[],
  take: (flag: string, value: () => string | undefined, arg: string) => boolean,
  usage: string,
): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = () => inline ?? argv[++i];
    if (!take(flag, value, arg)) throw new Error(`unknown option ${arg}: ${usage}`);
  }
}

/** Whole numbers of at least 1, comma-separated. */
export function wholeNumbers(flag: string, text: string | undefined): number[] {
  const values = (text ?? '').split(',').map((s) => s.trim());
  if (!text || values.some((v) => !/^[1-9]\d*$/.test(v)))
    throw new Error(
      `${flag} must be whole numbers of at least 1, comma-separated. Received: ${text ?? '(nothing)'}`,
    );
  return values.map(Number);
}

import { parseArgs } from 'node:util';
import { EXIT_CODE_TABLE, UsageError } from './exit-codes';

/**
 * Each command declares its options once; the same declaration drives parsing, validation
 * of values and the `--help` text, so the help cannot fall out of step with the parser.
 */
export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
  /** Placeholder shown in help, e.g. FILE, N. */
  value?: string;
  multiple?: boolean;
  short?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  /** Longer description shown under `--help`. */
  details?: string;
  options: Record<string, OptionSpec>;
  /** Allowed positional arguments (names, for help). */
  positionals?: string[];
}

export const globalOptions: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'Show help for the command.' },
  json: { type: 'boolean', description: 'Print one JSON document on stdout instead of human output.' },
  sandbox: {
    type: 'boolean',
    description: 'Run on the built-in sandbox cloud (the default).',
  },
  aws: {
    type: 'boolean',
    description:
      "Run against AWS with the SDK's credentials (also: --profile, --local-engine, STACKFLEET_BACKEND=aws).",
  },
  scenario: {
    type: 'string',
    value: 'FILE',
    description: 'Sandbox scenario (YAML); default: the demo organisation.',
  },
  'state-dir': {
    type: 'string',
    value: 'DIR',
    description:
      'Where the sandbox keeps its state between commands (default .stackfleet/sandbox); with --local-engine, where the local engine keeps its executions (default .stackfleet/local-engine).',
  },
  profile: {
    type: 'string',
    value: 'NAME',
    description: 'AWS profile to use (implies --aws).',
  },
  region: {
    type: 'string',
    value: 'REGION',
    description:
      "Admin region on AWS (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region). The sandbox's is us-east-1.",
  },
};

export interface ParsedCommand {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses argv for one command; unknown flags and missing values are usage errors naming the flag. */
export function parseCommand(spec: CommandSpec, argv: string[]): ParsedCommand {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, o] of Object.entries({ ...globalOptions, ...spec.options })) {
    options[name] = {
      type: o.type,
      ...(o.multiple ? { multiple: true } : {}),
      ...(o.short ? { short: o.short } : {}),
    };
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    const max = spec.positionals?.length ?? 0;
    if (positionals.length > max) {
      throw new UsageError(
        `${spec.name}: unexpected argument ${JSON.stringify(positionals[max])}. Usage: ${spec.usage}`,
      );
    }
    return { values: values as ParsedCommand['values'], positionals };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(
      `${spec.name}: ${message.replace(/\. To specify.*$/s, '')}. See: stackfleet ${spec.name} --help`,
    );
  }
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`);
}

/** The `--help` text of a command, generated from its spec. */
export function helpText(spec: CommandSpec): string {
  const lines = [`stackfleet ${spec.name} — ${spec.summary}`, '', `Usage: ${spec.usage}`];
  if (spec.details) lines.push('', spec.details);
  if (Object.keys(spec.options).length > 0) lines.push('', 'Options:', ...optionLines(spec.options));
  lines.push('', 'Global options:', ...optionLines(globalOptions));
  lines.push('', ...exitCodeLines());
  return lines.join('\n');
}

/** The exit code table as help lines (the same rows as the README's table). */
export function exitCodeLines(): string[] {
  return ['Exit codes:', ...EXIT_CODE_TABLE.map(([code, text]) => `  ${String(code).padStart(2)}  ${text}`)];
}

/** Reads a non-negative integer flag, naming the flag and the value when it is not one. */
export function integerFlag(
  values: ParsedCommand['values'],
  name: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
) {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw);
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(
      `--${name} must be a whole number from ${min} to ${max}. Received: ${JSON.stringify(text)}`,
    );
  }
  return Number(text);
}

/** Splits a comma-separated list flag (also accepting repeated flags). */
export function listFlag(values: ParsedCommand['values'], name: string): string[] | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const parts = (Array.isArray(raw) ? raw : [String(raw)]).flatMap((v) => v.split(','));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

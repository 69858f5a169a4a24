/**
 * Field-by-field validation of scenario files: every error names the field path (as
 * `organization.accounts[3].id`), says what it must be, and shows the value received and its line.
 */
import { InvalidInputError } from '../core/errors';

/** Raised for a scenario that is not valid; `field` is the path (`organization.accounts[3].id`). */
export class ScenarioError extends InvalidInputError {
  constructor(field: string, message: string) {
    super(field, message);
    this.name = 'ScenarioError';
  }
}

/** A field path: `["organization", "accounts", 3, "id"]`. */
export type Path = Array<string | number>;

function pathText(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/** Validation with a way to say where in the file a field is. */
export class Checker {
  constructor(
    private readonly source: string,
    private readonly locate: (path: Path) => string,
  ) {}

  fail(path: Path, what: string, value: unknown): never {
    const field = pathText(path);
    throw new ScenarioError(
      field,
      `Scenario ${this.source}: ${field} ${what}. Received: ${show(value)}${this.locate(path)}`,
    );
  }

  object(path: Path, value: unknown, allowed: readonly string[]): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      this.fail(path, 'must be a mapping', value);
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!allowed.includes(key)) {
        this.fail([...path, key], `is not a known field (known: ${allowed.join(', ')})`, record[key]);
      }
    }
    return record;
  }

  array(path: Path, value: unknown): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'must be a list', value);
    return value as unknown[];
  }

  string(path: Path, value: unknown, pattern?: RegExp, rule?: string): string {
    if (typeof value !== 'string') this.fail(path, `must be ${rule ?? 'a string'}`, value);
    if (pattern && !pattern.test(value as string))
      this.fail(path, `must be ${rule ?? `like ${pattern}`}`, value);
    return value as string;
  }

  number(path: Path, value: unknown, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      this.fail(path, `must be a number between ${min} and ${max}`, value);
    }
    return value as number;
  }

  oneOf<T extends string>(path: Path, value: unknown, options: readonly T[]): T {
    if (typeof value !== 'string' || !options.includes(value as T))
      this.fail(path, `must be one of ${options.join(', ')}`, value);
    return value as T;
  }
}

/**
 * A section of the sandbox world as newline-delimited JSON records, cut into parts of bounded
 * size, so no single string ever holds a whole section: a 10,000-target world is hundreds of
 * megabytes of JSON, past V8's string limit (about 512 MiB), and one string per section is what
 * made a large rollout end in `RangeError: Invalid string length` after it had succeeded.
 *
 * A record is `[path, value]`. A container (object or array) that is the section's root or whose
 * estimated size passes `splitBytes` is written as its own record holding an empty container,
 * followed by one record per member, recursively; everything else is written whole. Reading the
 * records in order rebuilds the same value, with the same key order.
 */

export type RecordPath = Array<string | number>;

export interface EncodeOptions {
  /** A part is cut once it holds at least this many bytes (a single larger record is a part of its own). */
  partBytes: number;
  /** Containers estimated above this many bytes are split into one record per member. */
  splitBytes: number;
}

export const DEFAULT_ENCODE_OPTIONS: EncodeOptions = { partBytes: 8 * 1024 * 1024, splitBytes: 256 * 1024 };

export interface EncodedPart {
  /** NDJSON text: one record per line, each line ending in `\n`. */
  buffer: Buffer;
  records: number;
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null;
}

/**
 * A lower bound of the JSON size of `value`, walking no further than `limit`: enough to decide
 * whether to split a container without serialising it.
 */
export function estimatedJsonBytes(value: unknown, limit: number): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && total <= limit) {
    const v = stack.pop();
    if (typeof v === 'string') total += v.length + 2;
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null) total += 5;
    else if (Array.isArray(v)) {
      total += 2 + v.length;
      for (const item of v) stack.push(item);
    } else if (typeof v === 'object') {
      for (const key of Object.keys(v as object)) {
        total += key.length + 4;
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
  }
  return total;
}

function* recordLines(
  path: RecordPath,
  value: unknown,
  root: boolean,
  options: EncodeOptions,
): Generator<string> {
  if (isContainer(value) && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    if (root || estimatedJsonBytes(value, options.splitBytes) > options.splitBytes) {
      yield JSON.stringify([path, Array.isArray(value) ? [] : {}]);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) yield* recordLines([...path, i], value[i], false, options);
      } else {
        for (const key of Object.keys(value)) {
          const member = value[key];
          if (member === undefined || typeof member === 'function') continue;
          yield* recordLines([...path, key], member, false, options);
        }
      }
      return;
    }
  }
  yield JSON.stringify([path, value]);
}

/** Encodes one section into parts of about `partBytes` each, in order. */
export function* encodeSection(
  value: unknown,
  options: EncodeOptions = DEFAULT_ENCODE_OPTIONS,
): Generator<EncodedPart> {
  let lines: string[] = [];
  let bytes = 0;
  for (const line of recordLines([], value, true, options)) {
    lines.push(line);
    bytes += line.length + 1;
    if (bytes >= options.partBytes) {
      yield { buffer: Buffer.from(`${lines.join('\n')}\n`, 'utf8'), records: lines.length };
      lines = [];
      bytes = 0;
    }
  }
  if (lines.length > 0) yield { buffer: Buffer.from(`${lines.join('\n')}\n`, 'utf8'), records: lines.length };
}

/** Thrown when a part does not decode into the section it claims to hold. */
export class SectionDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SectionDecodeError';
  }
}

/**
 * Rebuilds a section from its parts' records, fed in order. Keys such as `__proto__` arrive as
 * plain own properties, as `JSON.parse` makes them.
 */
export class SectionDecoder {
  private root: unknown;
  private started = false;
  records = 0;

  constructor(private readonly name: string) {}

  /** Applies every record of one part. */
  addPart(text: string, label: string): void {
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      if (end > start) this.addRecord(text.slice(start, end), label);
      start = end + 1;
    }
  }

  private addRecord(line: string, label: string): void {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new SectionDecodeError(
        `section ${this.name}: record ${this.records + 1} of ${label} is not JSON (${(error as Error).message})`,
      );
    }
    if (!Array.isArray(record) || record.length !== 2 || !Array.isArray(record[0])) {
      throw new SectionDecodeError(
        `section ${this.name}: record ${this.records + 1} of ${label} must be [path, value]. Received: ${line.slice(0, 80)}`,
      );
    }
    this.records += 1;
    const [path, value] = record as [RecordPath, unknown];
    if (path.length === 0) {
      this.root = value;
      this.started = true;
      return;
    }
    if (!this.started)
      throw new SectionDecodeError(`section ${this.name}: ${label} starts without its root record`);
    let container = this.root as Record<string | number, unknown>;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i] as string | number;
      const next = Object.hasOwn(container, key) ? container[key] : undefined;
      if (!isContainer(next))
        throw new SectionDecodeError(
          `section ${this.name}: ${label} sets ${JSON.stringify(path)} before its parent`,
        );
      container = next as Record<string | number, unknown>;
    }
    const last = path[path.length - 1] as string | number;
    if (last === '__proto__') {
      Object.defineProperty(container, last, { value, writable: true, enumerable: true, configurable: true });
    } else {
      container[last] = value;
    }
  }

  /** The rebuilt section. */
  value(): unknown {
    if (!this.started) throw new SectionDecodeError(`section ${this.name} has no records`);
    return this.root;
  }
}

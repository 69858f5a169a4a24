/**
 * Parses a Distributed Map's ItemReader object (`s3:getObject`) into items, with AWS's
 * ReaderConfig: InputType JSON (an array), JSONL (one JSON value a line) or CSV (rows become
 * objects keyed by the header, values stay strings), and MaxItems.
 */
import type { Json } from './payload';

export interface ReaderConfig {
  InputType?: 'JSON' | 'JSONL' | 'CSV' | 'MANIFEST' | string;
  CSVHeaderLocation?: 'FIRST_ROW' | 'GIVEN';
  CSVHeaders?: string[];
  CSVDelimiter?: 'COMMA' | 'PIPE' | 'SEMICOLON' | 'SPACE' | 'TAB';
  MaxItems?: number;
}

/** Thrown when the object cannot be read as configured; the engine fails the state with `States.ItemReaderFailed`. */
export class ItemReaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'States.ItemReaderFailed';
  }
}

const DELIMITERS: Record<string, string> = { COMMA: ',', PIPE: '|', SEMICOLON: ';', SPACE: ' ', TAB: '\t' };

/** Splits one CSV line, honouring double quotes (`""` is a literal quote). */
export function splitCsvLine(line: string, delimiter = ','): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        cur += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === delimiter) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

/** Parses the object body per ReaderConfig; `maxItems` (already resolved from MaxItemsPath) caps the count. */
export function parseItems(body: string, config: ReaderConfig, maxItems?: number): Json[] {
  const type = config.InputType ?? 'JSON';
  let items: Json[];
  if (type === 'JSON') {
    let parsed: Json;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      throw new ItemReaderError(
        `ItemReader InputType JSON: the object is not valid JSON (${(error as Error).message})`,
      );
    }
    if (!Array.isArray(parsed)) {
      throw new ItemReaderError(
        `ItemReader InputType JSON: the object must contain a JSON array. Received: ${typeof parsed}`,
      );
    }
    items = parsed;
  } else if (type === 'JSONL') {
    items = [];
    const lines = body.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = (lines[i] as string).trim();
      if (line === '') continue;
      try {
        items.push(JSON.parse(line));
      } catch {
        throw new ItemReaderError(
          `ItemReader InputType JSONL: line ${i + 1} is not valid JSON. Received: ${line.slice(0, 120)}`,
        );
      }
    }
  } else if (type === 'CSV') {
    const delimiter = DELIMITERS[config.CSVDelimiter ?? 'COMMA'] ?? ',';
    const lines = body.split(/\r?\n/).filter((l) => l.length > 0);
    let headers: string[];
    if ((config.CSVHeaderLocation ?? 'FIRST_ROW') === 'GIVEN') {
      if (!config.CSVHeaders?.length) {
        throw new ItemReaderError(
          'ItemReader ReaderConfig.CSVHeaders is required when CSVHeaderLocation is GIVEN. Received: none',
        );
      }
      headers = config.CSVHeaders;
    } else {
      headers = splitCsvLine(lines.shift() ?? '', delimiter);
    }
    items = lines.map((line) => {
      const cells = splitCsvLine(line, delimiter);
      const row: Record<string, string> = {};
      headers.forEach((h, i) => {
        row[h] = cells[i] ?? '';
      });
      return row;
    });
  } else {
    throw new ItemReaderError(
      `ItemReader ReaderConfig.InputType must be JSON, JSONL or CSV in the local engine. Received: ${type}`,
    );
  }
  const cap = maxItems ?? config.MaxItems;
  return cap !== undefined && cap > 0 ? items.slice(0, cap) : items;
}

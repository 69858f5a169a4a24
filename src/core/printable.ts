/**
 * Text that came from outside (stack status reasons, resource and stack names, outputs, error
 * messages of AWS) is shown to a person only through `printable`: a status reason holding
 * `ESC]0;title BEL` or `ESC[2J` would retitle or clear the operator's terminal, and bidi
 * controls would reorder what they read. One function, so every place that prints such text
 * strips the same things.
 */

/**
 * Terminal escape sequences (ECMA-48): CSI `ESC [ params intermediates final` (also the 8-bit
 * CSI 0x9B), OSC `ESC ] ... BEL|ST` (also 8-bit 0x9D), DCS/SOS/PM/APC strings up to ST, and
 * the two-character escapes `ESC <0x40-0x5F>`. Removed whole, so no `[2J` residue is left.
 */
const ESCAPE_SEQUENCES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|(?:\u001b[PX^_]|[\u0090\u0098\u009e\u009f])[^\u001b\u009c]*(?:\u001b\\|\u009c)?|\u001b[@-_]?/g;

/**
 * C0 controls except tab and newline, DEL, C1 controls, and the Unicode bidi embedding,
 * override and isolate controls (the "Trojan Source" characters, CVE-2021-42574).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export interface PrintableOptions {
  /**
   * Keep newlines and tabs (a multi-line reason shown as a block). Default false: they become
   * single spaces, for a table cell or a one-line message.
   */
  readonly multiline?: boolean;
}

/** `text` with escape sequences and control characters removed (see the module comment). */
export function printable(text: string, options: PrintableOptions = {}): string {
  const stripped = text.replace(ESCAPE_SEQUENCES, '').replace(CONTROLS, '');
  return options.multiline ? stripped : stripped.replace(/[\t\n]+/g, ' ');
}

/**
 * A deep copy of `value` with every string made printable (multi-line kept): for documents read
 * from AWS (a rollout summary, a UI export bundle) before any of their text is shown.
 */
export function printableDeep<T>(value: T): T {
  if (typeof value === 'string') return printable(value, { multiline: true }) as T;
  if (Array.isArray(value)) return value.map((item) => printableDeep(item)) as T;
  if (value instanceof Date || value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    out[printable(key)] = printableDeep(item);
  }
  return out as T;
}

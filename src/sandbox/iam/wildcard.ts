/**
 * Wildcard matching as IAM does it, compiled once per pattern. The four flavours differ in ways
 * that decide real requests (IAM User Guide, reference_policies_elements_action / _resource and
 * reference_policies_elements_condition_operators):
 * - actions: "The prefix and the action name are case insensitive"; `*` and `?` match anything;
 * - Resource elements: case-sensitive; `*` and `?` stay inside one colon-separated segment of the
 *   first five, except that "If the `*` wildcard is the last character of a resource ARN segment,
 *   it can expand to match beyond the colon boundaries"; in the resource part (after the fifth
 *   colon) they match anything, slashes and colons included;
 * - ArnLike/ArnEquals: "Each of the six colon-delimited components of the ARN is checked
 *   separately", so `*` never crosses a colon of the first five components;
 * - StringLike: case-sensitive, `*` and `?` "anywhere in the string".
 * Patterns are token lists so that literal `*` and `?` (from `${*}`, `${?}` or a substituted policy
 * variable) are never taken for wildcards.
 */

/** A multi-character wildcard token. */
export const STAR = 0;
/** A single-character wildcard token. */
export const ONE = 1;

/** A pattern piece: literal text, or one of the two wildcards. */
export type GlobToken = string | typeof STAR | typeof ONE;

/** Which of IAM's matching rules applies. */
export type GlobFlavor = 'action' | 'resource' | 'arn' | 'string';

/** A compiled pattern. */
export type Matcher = (value: string) => boolean;

const always: Matcher = () => true;

/** Splits pattern text into literals and wildcards (`*` and `?` are wildcards). */
export function parseGlob(text: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  let literal = '';
  for (const ch of text) {
    if (ch === '*' || ch === '?') {
      if (literal) tokens.push(literal);
      literal = '';
      tokens.push(ch === '*' ? STAR : ONE);
    } else {
      literal += ch;
    }
  }
  if (literal) tokens.push(literal);
  return tokens;
}

/** Whether a token list holds a wildcard. */
export function hasWildcard(tokens: readonly GlobToken[]): boolean {
  return tokens.some((t) => typeof t !== 'string');
}

/** The literal text of a wildcard-free token list. */
export function literalText(tokens: readonly GlobToken[]): string {
  return tokens.map((t) => (t === STAR ? '*' : t === ONE ? '?' : t)).join('');
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/** The token that follows position `i` starts with a colon, or there is none (the pattern ends). */
function endsSegment(tokens: readonly GlobToken[], i: number): boolean {
  const next = tokens[i + 1];
  return next === undefined || (typeof next === 'string' && next.startsWith(':'));
}

function regExpSource(tokens: readonly GlobToken[], flavor: GlobFlavor): string {
  const segmented = flavor === 'resource' || flavor === 'arn';
  let colons = 0;
  let source = '';
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (typeof token === 'string') {
      source += escapeRegExp(token);
      if (segmented) for (const ch of token) if (ch === ':') colons++;
      continue;
    }
    const inResourcePart = !segmented || colons >= 5;
    if (token === ONE) {
      source += inResourcePart ? '.' : '[^:]';
    } else if (inResourcePart || (flavor === 'resource' && endsSegment(tokens, i))) {
      source += '.*';
    } else {
      source += '[^:]*';
    }
  }
  return `^${source}$`;
}

const compiled = new Map<string, Matcher>();
/** Patterns resolved from variables differ per principal (one per account at 10,000 targets): room for them. */
const MAX_CACHED = 50_000;

function cacheKey(tokens: readonly GlobToken[], flavor: GlobFlavor): string {
  // Literals are JSON strings and wildcards the numbers 0 and 1, so no two token lists share a key.
  return flavor + JSON.stringify(tokens);
}

function build(tokens: readonly GlobToken[], flavor: GlobFlavor): Matcher {
  const ignoreCase = flavor === 'action';
  if (tokens.length === 1 && tokens[0] === STAR) return always;
  if (!hasWildcard(tokens)) {
    const text = literalText(tokens);
    if (ignoreCase) {
      const lower = text.toLowerCase();
      return (value) => value.toLowerCase() === lower;
    }
    return (value) => value === text;
  }
  const regExp = new RegExp(regExpSource(tokens, flavor), ignoreCase ? 'is' : 's');
  return (value) => regExp.test(value);
}

/**
 * Compiles a token list under one flavour's rules, once: the same pattern is served from a cache
 * (bounded; the oldest pattern is evicted when full).
 */
export function compileGlob(tokens: readonly GlobToken[], flavor: GlobFlavor): Matcher {
  const key = cacheKey(tokens, flavor);
  let matcher = compiled.get(key);
  if (!matcher) {
    // Evict the oldest entry (Maps iterate in insertion order) rather than dropping them all.
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!);
    matcher = build(tokens, flavor);
    compiled.set(key, matcher);
  }
  return matcher;
}

/** `s3:Get*` matches `s3:GetObject` and `S3:getobject` (action names are case-insensitive). */
export function matchesAction(pattern: string, action: string): boolean {
  return compileGlob(parseGlob(pattern), 'action')(action);
}

/** A Resource element entry against a resource ARN (case-sensitive, segment rules above). */
export function matchesResource(pattern: string, resource: string): boolean {
  return compileGlob(parseGlob(pattern), 'resource')(resource);
}

/** ArnLike / ArnEquals: each of the six colon-delimited components matched on its own. */
export function matchesArn(pattern: string, arn: string): boolean {
  return compileGlob(parseGlob(pattern), 'arn')(arn);
}

/** StringLike: case-sensitive, `*` and `?` anywhere. */
export function matchesStringLike(pattern: string, value: string): boolean {
  return compileGlob(parseGlob(pattern), 'string')(value);
}

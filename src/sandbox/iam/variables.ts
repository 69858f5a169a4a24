/**
 * Policy variables (IAM User Guide, reference_policies_variables): `${aws:username}`,
 * `${aws:PrincipalTag/team}` or any request-context key, replaced by the request's value when the
 * policy is evaluated. The rules kept here:
 * - only a `"Version": "2012-10-17"` policy has variables; in older or version-less policies the
 *   text is literal ("If you don't include the Version element ... variables such as
 *   `${aws:username}` aren't recognized as variables");
 * - `${*}`, `${?}` and `${$}` stand for a literal `*`, `?` and `$` ("Special characters");
 * - `${key, 'default'}` gives the value used when the key has none ("Specifying default values":
 *   "surround the default value with single quotes, and separate the variable text and the default
 *   value with a comma and space"); `''` inside the quotes is one quote;
 * - a key that is absent ("not present means that the value is not in the current request
 *   information, and any attempt to match it fails and causes the statement to be invalid") makes
 *   the value that holds it match nothing; so does a multivalued key, which has no single value.
 * A substituted value is literal text: a `*` in a tag value is never a wildcard.
 */
import type { RequestContextView } from './context';
import { type GlobToken, parseGlob } from './wildcard';

/** A variable in a template: the context key (lower case) and its default, if written. */
export interface VariableRef {
  readonly key: string;
  readonly fallback?: string;
}

/** A policy string split into literals, wildcards (where the element has them) and variables. */
export interface Template {
  readonly tokens: readonly (GlobToken | VariableRef)[];
  /** Whether any token is a variable (otherwise `tokens` are all GlobTokens). */
  readonly hasVariables: boolean;
}

/** How a policy string is read. */
export interface TemplateOptions {
  /** The policy's Version is 2012-10-17, so `${...}` is a variable. */
  readonly variables: boolean;
  /** The element or operator has wildcards (`*`, `?`): Resource, StringLike, ArnLike. */
  readonly wildcards: boolean;
}

const VARIABLE_BODY = /^\s*([^\s,'{}]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?$/;

/** The index of the `}` closing a variable opened at `start` (at `${`), quotes respected, or -1. */
function closingBrace(text: string, start: number): number {
  let quoted = false;
  for (let i = start + 2; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === "'") {
        if (text[i + 1] === "'") i++;
        else quoted = false;
      }
    } else if (ch === "'") {
      quoted = true;
    } else if (ch === '}') {
      return i;
    }
  }
  return -1;
}

/** Parses one policy string (a Resource entry or a condition value) into a template. */
export function parseTemplate(text: string, options: TemplateOptions): Template {
  const tokens: (GlobToken | VariableRef)[] = [];
  let literal = '';
  const flush = () => {
    if (!literal) return;
    if (options.wildcards) tokens.push(...parseGlob(literal));
    else tokens.push(literal);
    literal = '';
  };
  let hasVariables = false;
  let i = 0;
  while (i < text.length) {
    const open = options.variables ? text.indexOf('${', i) : -1;
    if (open < 0) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, open);
    const close = closingBrace(text, open);
    if (close < 0) {
      // An unclosed `${` is not a variable; IAM's validator refuses it, evaluation reads it literally.
      literal += text.slice(open);
      break;
    }
    const body = text.slice(open + 2, close);
    const trimmed = body.trim();
    if (trimmed === '*' || trimmed === '?' || trimmed === '$') {
      flush();
      tokens.push(trimmed);
    } else {
      const match = VARIABLE_BODY.exec(body);
      if (match) {
        flush();
        const fallback = match[2]?.replace(/''/g, "'");
        tokens.push(
          fallback === undefined
            ? { key: match[1]!.toLowerCase() }
            : { key: match[1]!.toLowerCase(), fallback },
        );
        hasVariables = true;
      } else {
        literal += text.slice(open, close + 1);
      }
    }
    i = close + 1;
  }
  flush();
  return { tokens, hasVariables };
}

/**
 * The template with its variables replaced by the request's values (as literal text), or
 * undefined when a variable has no value and no default: that value then matches nothing.
 */
export function resolveTemplate(template: Template, context: RequestContextView): GlobToken[] | undefined {
  if (!template.hasVariables) return template.tokens as GlobToken[];
  const out: GlobToken[] = [];
  for (const token of template.tokens) {
    if (typeof token !== 'object') {
      out.push(token);
      continue;
    }
    const value = context.single(token.key) ?? token.fallback;
    if (value === undefined) return undefined;
    if (value) out.push(value);
  }
  return out;
}

/** A wildcard-free template resolved to its text, or undefined when a variable has no value. */
export function resolveText(template: Template, context: RequestContextView): string | undefined {
  const tokens = resolveTemplate(template, context);
  if (!tokens) return undefined;
  let text = '';
  for (const t of tokens) if (typeof t === 'string') text += t;
  return text;
}

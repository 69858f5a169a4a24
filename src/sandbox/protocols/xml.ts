/**
 * The little XML the sandbox needs: writing responses generically from plain objects, and
 * reading the few XML request bodies S3 takes (bucket configuration, versioning).
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
const NEEDS_ESCAPE = /[&<>"']/;
const ESCAPE_ALL = /[&<>"']/g;

export function escapeXml(text: string): string {
  // Most values (ids, ARNs, statuses, timestamps) have nothing to escape: skip the replace.
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPE_ALL, (c) => ESCAPES[c] ?? c) : text;
}

/** True for Date objects, including fake-timer Dates from another realm of `Date`. */
export function isDate(value: unknown): value is Date {
  return value instanceof Date || Object.prototype.toString.call(value) === '[object Date]';
}

const MAP_MARK = Symbol.for('stackfleet.sandbox.xmlMap');

/** Marks an object to be written as an AWS query map (`<entry><key>..</key><value>..</value></entry>`). */
export function xmlMap(values: Record<string, string>): Record<string, string> {
  return Object.defineProperty({ ...values }, MAP_MARK, { value: true, enumerable: false });
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return escapeXml(value);
  if (isDate(value)) return value.toISOString();
  return escapeXml(String(value));
}

/**
 * Writes the members of `value` as XML elements. Arrays become a wrapper element holding one
 * `listItem` element per entry (`member` for query, `item` for ec2). Every response of the query
 * and ec2 protocols goes through here (a DescribeStackEvents page is a few hundred elements), so
 * it appends to one string instead of building arrays of parts.
 */
export function toXml(value: unknown, listItem: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object' || isDate(value)) return scalar(value);
  const record = value as Record<string | symbol, unknown>;
  let out = '';
  if (record[MAP_MARK]) {
    for (const k of Object.keys(record)) {
      out += `<entry><key>${escapeXml(k)}</key><value>${scalar(record[k])}</value></entry>`;
    }
    return out;
  }
  for (const k of Object.keys(record)) {
    const v = record[k];
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) {
      out += `<${k}>`;
      for (const item of v) out += `<${listItem}>${toXml(item, listItem)}</${listItem}>`;
      out += `</${k}>`;
    } else {
      out += `<${k}>${toXml(v, listItem)}</${k}>`;
    }
  }
  return out;
}

/** A parsed XML element: name, text, children. */
export interface XmlElement {
  name: string;
  text: string;
  children: XmlElement[];
}

/** Thrown for request bodies that are not well-formed XML (answered as `MalformedXML`). */
export class MalformedXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedXmlError';
  }
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    switch (e) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default:
        return String.fromCodePoint(
          e.startsWith('#x') ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)),
        );
    }
  });
}

/** Parses a small XML document (no DTDs, no CDATA needed) into elements; namespaces are dropped. */
export function parseXml(text: string): XmlElement {
  const source = text.replace(/<\?xml[^>]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '');
  const tokenRe = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
  const root: XmlElement = { name: '#document', text: '', children: [] };
  const stack: XmlElement[] = [root];
  let consumed = 0;
  for (let m = tokenRe.exec(source); m; m = tokenRe.exec(source)) {
    if (m.index !== consumed) throw new MalformedXmlError(`Unexpected character at offset ${consumed}`);
    consumed = m.index + m[0].length;
    const top = stack[stack.length - 1] as XmlElement;
    if (m[5] !== undefined) {
      top.text += unescapeXml(m[5]);
      continue;
    }
    const name = (m[2] ?? '').replace(/^.*:/, '');
    if (m[1]) {
      if (top.name !== name)
        throw new MalformedXmlError(`Closing tag </${name}> does not match <${top.name}>`);
      stack.pop();
      continue;
    }
    const element: XmlElement = { name, text: '', children: [] };
    top.children.push(element);
    if (!m[4]) stack.push(element);
  }
  if (consumed !== source.length) throw new MalformedXmlError(`Unexpected character at offset ${consumed}`);
  if (stack.length !== 1)
    throw new MalformedXmlError(`Element <${stack[stack.length - 1]?.name}> is not closed`);
  const elements = root.children;
  if (elements.length !== 1 || !elements[0])
    throw new MalformedXmlError('The document must have exactly one root element');
  return elements[0];
}

/** Text of the first descendant element called `name` (or undefined). */
export function childText(element: XmlElement, name: string): string | undefined {
  for (const child of element.children) {
    if (child.name === name) return child.text.trim();
    const nested = childText(child, name);
    if (nested !== undefined) return nested;
  }
  return undefined;
}

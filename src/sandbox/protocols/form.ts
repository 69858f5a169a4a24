/**
 * Decoding of the form-encoded bodies of the query and ec2 protocols. Flattened names
 * (`Tags.member.1.Key`, `Filter.1.Value.2`, `Attributes.entry.1.key`) become the nested
 * arrays and objects the operations read, so no operation parses the wire format itself.
 */

type Tree = { [key: string]: Tree | string };

/** Parses `a=1&b.c=2` (form body or query string) into flat key/value pairs. */
export function parseForm(body: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (body === '') return out;
  for (const [k, v] of new URLSearchParams(body)) out.push([k, v]);
  return out;
}

function isIndex(key: string): boolean {
  return key.length > 0 && key.length < 10 && /^\d+$/.test(key);
}

function normalise(node: Tree | string): unknown {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  if (keys.length > 0 && keys.every(isIndex)) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => normalise(node[String(k)] as Tree | string));
  }
  if (keys.length === 1 && (keys[0] === 'member' || keys[0] === 'item')) {
    const inner = normalise(node[keys[0]] as Tree | string);
    if (Array.isArray(inner)) return inner;
  }
  if (keys.length === 1 && keys[0] === 'entry') {
    const entries = normalise(node.entry as Tree | string);
    if (Array.isArray(entries)) {
      const map: Record<string, unknown> = {};
      for (const e of entries as Array<Record<string, unknown>>) {
        const key = e.key ?? e.Name ?? e.Key;
        if (typeof key === 'string') map[key] = e.value ?? e.Value;
      }
      return map;
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = normalise(node[k] as Tree | string);
  return out;
}

/** Nests flattened form pairs into params. `Action` and `Version` are returned apart. */
export function nestForm(pairs: Array<[string, string]>): Record<string, unknown> {
  const root: Tree = {};
  for (const [name, value] of pairs) {
    const path = name.split('.');
    let node: Tree = root;
    for (let i = 0; i < path.length - 1; i++) {
      const segment = path[i] as string;
      let next = node[segment];
      if (next === undefined || typeof next === 'string') {
        next = {};
        node[segment] = next;
      }
      node = next;
    }
    const last = path[path.length - 1] as string;
    if (typeof node[last] !== 'object') node[last] = value;
  }
  return normalise(root) as Record<string, unknown>;
}

/**
 * jsonpath-plus, called as a function with `wrap: false`, returns a scalar result by throwing and
 * catching an Error (its "NewError"), and aws-local-stepfunctions evaluates every path that way:
 * the stack traces were the engine's largest single cost at 10,000 targets. This replaces the
 * module's `JSONPath` export (which the package looks up on every call) with a wrapper that
 * evaluates through an instance instead: same parser, same evaluation, same results, no throw.
 * The package always asks for `{ path, json, wrap: false }`; for that shape one instance is kept
 * and reused (evaluation is synchronous and resets its per-call state), so a path costs no
 * construction of an instance and its option defaults either. Installed once, on first import
 * of the engine.
 */
type JsonPathFn = ((opts: unknown, ...rest: unknown[]) => unknown) & {
  prototype: { evaluate(args: unknown): unknown };
  stackfleetFast?: boolean;
};

const jsonpathPlus = require('jsonpath-plus') as { JSONPath: JsonPathFn };

type Evaluator = { evaluate(args: unknown): unknown };

/** Exactly `{ path, json, wrap: false }`, the options aws-local-stepfunctions passes. */
function isPlainUnwrappedQuery(o: Record<string, unknown>): boolean {
  let keys = 0;
  for (const key in o) {
    if (key !== 'path' && key !== 'json' && key !== 'wrap') return false;
    keys++;
  }
  return keys === 3 && o.wrap === false;
}

export function installFastJsonPath(): void {
  const original = jsonpathPlus.JSONPath;
  if (original.stackfleetFast) return;
  let unwrapped: Evaluator | undefined;
  let evaluating = false;
  const fast = function (this: unknown, opts: unknown, ...rest: unknown[]): unknown {
    const o = opts as Record<string, unknown> | null;
    if (
      new.target ||
      o === null ||
      typeof o !== 'object' ||
      !('json' in o) ||
      o.autostart === false ||
      rest.length > 0
    ) {
      return new.target ? Reflect.construct(original, [opts, ...rest], new.target) : original(opts, ...rest);
    }
    if (!evaluating && isPlainUnwrappedQuery(o)) {
      unwrapped ??= Reflect.construct(original, [{ wrap: false, autostart: false }]) as Evaluator;
      evaluating = true;
      try {
        return unwrapped.evaluate({ path: o.path, json: o.json });
      } finally {
        evaluating = false;
      }
    }
    const instance = Reflect.construct(original, [{ ...o, autostart: false }]) as Evaluator;
    return instance.evaluate({ path: o.path, json: o.json });
  } as unknown as JsonPathFn;
  Object.setPrototypeOf(fast, original);
  fast.prototype = original.prototype;
  fast.stackfleetFast = true;
  jsonpathPlus.JSONPath = fast;
}

installFastJsonPath();

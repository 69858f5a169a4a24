/**
 * aws-local-stepfunctions, with its intrinsic-function escaping made to match AWS.
 *
 * The package removes every backslash from every string an intrinsic returns (a shortcut for
 * unescaping `\'` and `\{` in literals), so `States.JsonToString` of a value holding a quote or
 * a newline yields invalid JSON and `States.Format` drops backslashes from path values. AWS
 * unescapes only the literals written in the definition. This loads the package's CommonJS
 * build with three small source edits that do that: literal arguments are unescaped (`\'`,
 * `\\`), `States.Format` skips escaped braces and then unescapes them, results are left alone.
 * If the package's source ever differs from what the edits expect, the unmodified package is
 * used (and the difference shows up in the engine's intrinsic tests), never a half-patched one.
 *
 * One more edit is about cost, not behaviour: the package deep-copies the input of every state
 * with `Object.fromEntries(Object.entries(...).map(...))`, three arrays per object copied, which
 * was the engine's largest self time at 10,000 targets. The replacement copies the same own
 * enumerable keys with plain loops. It is applied only where the source matches, on its own.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as Package from 'aws-local-stepfunctions';

type PackageExports = typeof Package;

const EDITS: Array<[string, string]> = [
  [
    // results: no blanket backslash removal
    '    if (typeof result === "string") {\n      result = result.replaceAll("\\\\", "");\n    }\n',
    '',
  ],
  [
    // literal arguments: unescape \' and \\ (brace escapes are States.Format's business)
    '      return arg.slice(1, lastSingleQuote);',
    '      return arg.slice(1, lastSingleQuote).replace(/\\\\([\'\\\\])/g, "$1");',
  ],
  [
    '    const placeholdersNumber = templateStr.match(/\\{\\}/g)?.length ?? 0;',
    '    const placeholdersNumber = templateStr.match(/(?<!\\\\)\\{\\}/g)?.length ?? 0;',
  ],
  [
    '    return templateStr.replace(/\\{\\}/g, () => placeholderValues[i++]);',
    '    return templateStr.replace(/(?<!\\\\)\\{\\}/g, () => String(placeholderValues[i++])).replace(/\\\\([{}])/g, "$1");',
  ],
];

const CLONE_JSON: [string, string] = [
  [
    'function cloneJSON(value) {',
    '  if (value === null || typeof value !== "object") return value;',
    '  if (Array.isArray(value)) return value.map(cloneJSON);',
    '  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneJSON(v)]));',
    '}',
  ].join('\n'),
  [
    'function cloneJSON(value) {',
    '  if (value === null || typeof value !== "object") return value;',
    '  if (Array.isArray(value)) {',
    '    const copy = new Array(value.length);',
    '    for (let i = 0; i < value.length; i++) copy[i] = cloneJSON(value[i]);',
    '    return copy;',
    '  }',
    '  const copy = {};',
    '  for (const k of Object.keys(value)) {',
    '    if (k === "__proto__") Object.defineProperty(copy, k, { value: cloneJSON(value[k]), writable: true, enumerable: true, configurable: true });',
    '    else copy[k] = cloneJSON(value[k]);',
    '  }',
    '  return copy;',
    '}',
  ].join('\n'),
];

/**
 * Callback tasks time out in the engine's own timers (src/engine/task-tokens.ts), and AWS's
 * `States.TaskFailed` wildcard must still skip those timeouts: the package tells a timeout from
 * other errors by `instanceof` its StatesTimeoutError, which it does not export. Appending an
 * export is all this edit does. The two below make a Retrier or Catcher on `States.Timeout` match
 * `States.HeartbeatTimeout` too, since AWS defines States.Timeout as "a Task state either ran
 * longer than the TimeoutSeconds value, or failed to send a heartbeat for a period longer than
 * the HeartbeatSeconds value" (Step Functions Developer Guide, concepts-error-handling).
 */
const TIMEOUT_EXPORT = '\nmodule.exports.StatesTimeoutError = StatesTimeoutError;\n';
const HEARTBEAT_MATCHES: Array<[string, string]> = [
  [
    'const isErrorMatch = retrierError === error.name;',
    'const isErrorMatch = retrierError === error.name || (retrierError === "States.Timeout" && error.name === "States.HeartbeatTimeout");',
  ],
  [
    'const isErrorMatch = catcherError === error.name;',
    'const isErrorMatch = catcherError === error.name || (catcherError === "States.Timeout" && error.name === "States.HeartbeatTimeout");',
  ],
];

/** Whether a Retrier or Catcher on States.Timeout also matches States.HeartbeatTimeout (the package's source was as expected). */
export let heartbeatTimeoutMatchesTimeout = false;

/** Whether the package's state input copy is the loop version (false: its source was not as expected). */
export let fastCloneJson = false;

/** Whether the AWS-faithful escaping is in force (false: the package's source was not as expected). */
export let intrinsicEscapingPatched = false;

function load(): PackageExports {
  const file = require.resolve('aws-local-stepfunctions');
  let source = readFileSync(file, 'utf8');
  for (const [from, to] of EDITS) {
    if (!source.includes(from)) {
      return require('aws-local-stepfunctions') as PackageExports;
    }
    source = source.replace(from, to);
  }
  if (source.includes(CLONE_JSON[0])) {
    source = source.replace(CLONE_JSON[0], CLONE_JSON[1]);
    fastCloneJson = true;
  }
  if (HEARTBEAT_MATCHES.every(([from]) => source.includes(from))) {
    for (const [from, to] of HEARTBEAT_MATCHES) source = source.replace(from, to);
    heartbeatTimeoutMatchesTimeout = true;
  }
  source += TIMEOUT_EXPORT;
  const mod = { exports: {} as PackageExports };
  // The module's own `require` is ours, so under jest its dependencies (jsonpath-plus, p-limit)
  // come from the same registry as everything else, shims included.
  const compiled = new Function('exports', 'require', 'module', '__filename', '__dirname', source);
  compiled(mod.exports, require, mod, file, path.dirname(file));
  intrinsicEscapingPatched = true;
  return mod.exports;
}

const pkg = load();

export const StateMachine = pkg.StateMachine;
/**
 * The package's `States.Timeout` error class when its source was loaded with the edits above;
 * undefined otherwise (callback timeouts are then plain errors named States.Timeout, which the
 * `States.TaskFailed` wildcard would wrongly match).
 */
export const StatesTimeoutError = (pkg as unknown as { StatesTimeoutError?: new () => Error })
  .StatesTimeoutError;
export type StateMachine = Package.StateMachine;
export const ExecutionError = pkg.ExecutionError;

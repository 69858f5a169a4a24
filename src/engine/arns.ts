/**
 * Step Functions ARNs and names, built and checked the way AWS does, so that what the
 * local engine hands out is indistinguishable from what a caller gets from AWS.
 */
import { EngineError } from './errors';

/** Characters AWS refuses in state machine and execution names (besides whitespace and controls). */
const FORBIDDEN_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: AWS refuses control characters in names, that is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/u;

/**
 * Validates an execution or state machine name with AWS's rules: 1-80 characters, no whitespace,
 * no `< > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /`, no control characters.
 * Throws `InvalidName` naming the field and the value received.
 */
export function assertValidName(field: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length < 1 || name.length > 80) {
    const length = typeof name === 'string' ? name.length : 0;
    throw new EngineError(
      'InvalidName',
      `${field} must be between 1 and 80 characters. Received: ${JSON.stringify(name)} (${length} characters)`,
    );
  }
  const bad = FORBIDDEN_NAME_CHARS.exec(name) ?? CONTROL_CHARS.exec(name);
  if (bad) {
    throw new EngineError(
      'InvalidName',
      `${field} must not contain whitespace, control characters or any of < > { } [ ] ? * " # % \\ ^ | ~ \` $ & , ; : /. Received: ${JSON.stringify(name)} (found ${JSON.stringify(bad[0])})`,
    );
  }
}

/** `arn:aws:states:<region>:<account>:stateMachine:<name>` */
export function stateMachineArn(region: string, accountId: string, name: string): string {
  return `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
}

/** `arn:aws:states:<region>:<account>:execution:<stateMachine>:<name>` */
export function executionArn(stateMachine: string, name: string): string {
  const p = parseStateMachineArn(stateMachine);
  return `arn:aws:states:${p.region}:${p.accountId}:execution:${p.name}:${name}`;
}

/** `arn:aws:states:<region>:<account>:mapRun:<stateMachine>/<label>:<id>` */
export function mapRunArn(stateMachine: string, label: string, id: string): string {
  const p = parseStateMachineArn(stateMachine);
  return `arn:aws:states:${p.region}:${p.accountId}:mapRun:${p.name}/${label}:${id}`;
}

/** A map run child: `arn:aws:states:<region>:<account>:execution:<stateMachine>/<label>:<uuid>`. */
export function mapRunChildExecutionArn(stateMachine: string, label: string, id: string): string {
  const p = parseStateMachineArn(stateMachine);
  return `arn:aws:states:${p.region}:${p.accountId}:execution:${p.name}/${label}:${id}`;
}

/** The pseudo state machine ARN AWS reports for map run children (`...:stateMachine:<sm>/<label>`). */
export function mapRunStateMachineArn(stateMachine: string, label: string): string {
  return `${stateMachine}/${label}`;
}

export interface ParsedStateMachineArn {
  region: string;
  accountId: string;
  name: string;
}

/** Parses a state machine ARN; throws `InvalidArn` with the value received. */
export function parseStateMachineArn(arn: string): ParsedStateMachineArn {
  const m = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([^:]+)$/.exec(arn);
  if (!m)
    throw new EngineError(
      'InvalidArn',
      `Invalid Arn: 'stateMachineArn' must be a state machine ARN. Received: ${arn}`,
    );
  return { region: m[1] as string, accountId: m[2] as string, name: m[3] as string };
}

/** Parses an execution ARN (named or map run child). */
export function parseExecutionArn(arn: string): {
  region: string;
  accountId: string;
  stateMachineName: string;
  name: string;
} {
  const m = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):execution:([^:]+):([^:]+)$/.exec(arn);
  if (!m)
    throw new EngineError(
      'InvalidArn',
      `Invalid Arn: 'executionArn' must be an execution ARN. Received: ${arn}`,
    );
  return {
    region: m[1] as string,
    accountId: m[2] as string,
    stateMachineName: m[3] as string,
    name: m[4] as string,
  };
}

/** Deterministic UUID-shaped ids (v4 layout) from a counter and a seed: stable across runs of a scenario. */
export function deterministicUuid(seed: string, n: number): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ n;
  const s = `${seed}#${n}`;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 16777619) >>> 0;
    h2 = Math.imul(h2 ^ c, 2246822507) >>> 0;
  }
  const a = h1.toString(16).padStart(8, '0');
  const b = h2.toString(16).padStart(8, '0');
  const c = Math.imul(h1 ^ h2, 3266489909 + n)
    .toString(16)
    .replace('-', '')
    .padStart(8, '0')
    .slice(-8);
  const d = (Math.imul(h2 + n, 668265263) >>> 0).toString(16).padStart(8, '0');
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${(8 + (h1 & 3)).toString(16)}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

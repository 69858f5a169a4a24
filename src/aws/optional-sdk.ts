/**
 * SDK client packages the tamper response needs that this checkout may not have installed yet
 * (@aws-sdk/client-cloudtrail, -config-service, -iam, -dynamodb). They are loaded when first used,
 * so everything else builds and runs without them, and a missing one fails the step that needs it
 * with `SdkClientMissing`, naming the package to add: the state machine alerts that reason. Once
 * the packages are dependencies these can become ordinary imports; the clients are made with the
 * same transport and credentials as every other (`awsClients.custom`).
 */
import { StackFleetError } from '../core/errors';

export class SdkClientMissingError extends StackFleetError {
  constructor(
    readonly packageName: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${packageName} is not installed: add it to package.json dependencies (npm install ${packageName}).`,
      options,
    );
    this.name = 'SdkClientMissing';
  }
}

/** A command class of an SDK client package. */
export type CommandClass = new (input: Record<string, unknown>) => object;

/** What the tamper functions use of a client package: its client class and command classes by name. */
export interface SdkModule {
  readonly [exported: string]: unknown;
}

const loaded = new Map<string, SdkModule>();

/** Loads an SDK client package by name; throws SdkClientMissingError when it is not installed. */
export function loadSdk(packageName: string): SdkModule {
  const hit = loaded.get(packageName);
  if (hit) return hit;
  let mod: SdkModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(packageName) as SdkModule;
  } catch (error) {
    throw new SdkClientMissingError(packageName, { cause: error });
  }
  loaded.set(packageName, mod);
  return mod;
}

/** A command class exported by a loaded package (throws, naming both, when it has none). */
export function commandOf(mod: SdkModule, packageName: string, name: string): CommandClass {
  const command = mod[name];
  if (typeof command !== 'function') throw new SdkClientMissingError(`${packageName} (export ${name})`);
  return command as CommandClass;
}

/**
 * A principal of the world calling a sandbox operation from inside the sandbox: EventBridge
 * starting an execution with a target's role, a scenario's scheduled "user stops the trail", the
 * CLI's `sandbox tamper`. The call is authorized exactly as a request from the wire is
 * (`actionMappingFor` -> `iam.authorize`, src/sandbox/sandbox.ts `handle()`); only the signature
 * and the wire encoding are skipped, because no client sent bytes. The service registry is found
 * through the world (`world.extensions.services`, set by `Sandbox.register`).
 */
import { settleDue } from './cfn/settle-due';
import { actionMappingFor } from './iam/actions/index';
import { DENIAL_SHAPES, operationIam, principalOf } from './iam/authorize';
import {
  AwsError,
  type Caller,
  type OperationContext,
  type SandboxWorld,
  type ServiceEmulator,
} from './types';
import { own } from './world';

/** Key of the service registry in `world.extensions`. */
export const SERVICES_EXTENSION = 'services';

let internalCounter = 0;

/** The emulators registered on the world's sandbox, by signing name. */
export function registeredServices(world: SandboxWorld): Map<string, ServiceEmulator> {
  let services = world.extensions[SERVICES_EXTENSION] as Map<string, ServiceEmulator> | undefined;
  if (!services) {
    services = new Map();
    world.extensions[SERVICES_EXTENSION] = services;
  }
  return services;
}

export interface InternalCall {
  caller: Caller;
  /** Signing name: `states`, `cloudtrail`, `events` ... */
  service: string;
  operation: string;
  /** Params as the service's codec would decode them from the wire. */
  params: Record<string, unknown>;
  region: string;
  /** What CloudTrail records as the caller's agent and address. @default 'sandbox' / '127.0.0.1' */
  userAgent?: string;
  sourceIp?: string;
}

/** Calls an operation as `caller`, authorized as from the wire; throws the operation's AwsError. */
export async function callInternal(world: SandboxWorld, call: InternalCall): Promise<unknown> {
  const service = registeredServices(world).get(call.service);
  const operation = service ? own(service.operations, call.operation) : undefined;
  if (!service || !operation) {
    throw new AwsError(
      'UnknownOperationException',
      `not implemented in the sandbox: ${call.service}.${call.operation}`,
    );
  }
  const now = world.now();
  settleDue(world as Parameters<typeof settleDue>[0], now);
  const facts = { region: call.region, now, secureTransport: true };
  const iam = operationIam(
    world,
    principalOf(world, call.caller),
    facts,
    DENIAL_SHAPES[call.service] ?? { code: 'AccessDenied', status: 403 },
  );
  const mapping = actionMappingFor(call.service, call.operation);
  if (!mapping)
    throw new Error(`no IAM mapping for ${call.service}.${call.operation} (src/sandbox/iam/actions/)`);
  const specs = mapping(call.params, { world, caller: call.caller, region: call.region });
  if (specs !== 'self') iam.authorize(specs);
  internalCounter += 1;
  const ctx: OperationContext = {
    caller: call.caller,
    region: call.region,
    now: () => world.now(),
    world,
    requestId: `1e7e0a1c-0000-4000-8000-${internalCounter.toString(16).padStart(12, '0')}`,
    iam,
    userAgent: call.userAgent ?? 'sandbox',
    sourceIp: call.sourceIp ?? '127.0.0.1',
  };
  return operation(call.params, ctx);
}

/**
 * The seam between the sandbox core and a wire protocol: decode a verified request into an
 * operation name and plain params, encode a result or an `AwsError` back onto the wire.
 */
import type { AwsError, SandboxRequest, SandboxResponse, ServiceEmulator } from '../types';

export interface DecodedCall {
  operation: string;
  // biome-ignore lint/suspicious/noExplicitAny: params are untyped until the operation checks them
  params: Record<string, any>;
  /** Content type of the answer when the protocol has variants (JSON 1.0 vs 1.1). */
  contentType?: string;
}

export interface ProtocolCodec {
  decode(request: SandboxRequest, service: ServiceEmulator): DecodedCall;
  encodeResult(
    result: unknown,
    call: DecodedCall,
    service: ServiceEmulator,
    requestId: string,
  ): SandboxResponse;
  encodeError(error: AwsError, requestId: string, request: SandboxRequest): SandboxResponse;
}

/** Per-protocol spelling of the errors the core raises itself (auth, throttling, unknown operation). */
export interface ProtocolErrorCodes {
  unknownKey: { code: string; status: number };
  expired: { code: string; status: number };
  badSignature: { code: string; status: number };
  throttled: { code: string; status: number; message: string };
  unknownOperation: { code: string; status: number };
  missingAuth: { code: string; status: number };
  malformed: { code: string; status: number };
}

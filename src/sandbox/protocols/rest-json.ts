/**
 * The restJson1 protocol (Lambda): the operation comes from the method and the path (each service
 * routes its own, `ServiceEmulator.route`), operations answer with status, headers and a body of
 * their own, and errors are `{"Type","message"}` with the code in `x-amzn-ErrorType`, which is
 * where the SDK's restJson1 deserializer looks for it first.
 */
import { AwsError, type SandboxRequest, type SandboxResponse, type ServiceEmulator } from '../types';
import type { DecodedCall, ProtocolCodec, ProtocolErrorCodes } from './codec';
import type { RestResult } from './rest-xml';

export const restJsonErrorCodes: ProtocolErrorCodes = {
  unknownKey: { code: 'UnrecognizedClientException', status: 403 },
  expired: { code: 'ExpiredTokenException', status: 403 },
  badSignature: { code: 'InvalidSignatureException', status: 403 },
  throttled: { code: 'TooManyRequestsException', status: 429, message: 'Rate exceeded' },
  unknownOperation: { code: 'UnknownOperationException', status: 404 },
  missingAuth: { code: 'MissingAuthenticationTokenException', status: 403 },
  malformed: { code: 'SerializationException', status: 400 },
};

/** Decodes a path segment, refusing malformed percent-encoding as the service would. */
export function pathLabel(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AwsError(
      'InvalidParameterValueException',
      `The path segment is not URL-encoded. Received: ${segment}`,
    );
  }
}

export const restJsonCodec: ProtocolCodec = {
  decode(request: SandboxRequest, service: ServiceEmulator): DecodedCall {
    const call = service.route?.(request);
    if (!call) {
      throw new AwsError(
        restJsonErrorCodes.unknownOperation.code,
        `not implemented in the sandbox: ${request.method.toUpperCase()} ${request.path}`,
        restJsonErrorCodes.unknownOperation.status,
      );
    }
    return call;
  },
  encodeResult(
    result: unknown,
    _call: DecodedCall,
    _service: ServiceEmulator,
    requestId: string,
  ): SandboxResponse {
    const r = (result ?? {}) as RestResult;
    return {
      statusCode: r.statusCode ?? 200,
      headers: { 'x-amzn-requestid': requestId, ...(r.headers ?? {}) },
      body: r.body ?? '',
    };
  },
  encodeError(error: AwsError, requestId: string): SandboxResponse {
    return {
      statusCode: error.statusCode,
      headers: {
        'x-amzn-requestid': requestId,
        'x-amzn-errortype': error.code,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        Type: error.faultType === 'Receiver' ? 'Service' : 'User',
        message: error.message,
      }),
    };
  },
};

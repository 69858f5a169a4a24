/**
 * The awsJson 1.0/1.1 protocols (Organizations, Step Functions): `X-Amz-Target: Prefix.Operation`,
 * JSON bodies, timestamps as epoch seconds, errors as `{"__type","message"}`.
 */
import { AwsError, type SandboxRequest, type SandboxResponse, type ServiceEmulator } from '../types';
import type { DecodedCall, ProtocolCodec, ProtocolErrorCodes } from './codec';
import { isDate } from './xml';

export const jsonErrorCodes: ProtocolErrorCodes = {
  unknownKey: { code: 'UnrecognizedClientException', status: 400 },
  expired: { code: 'ExpiredTokenException', status: 400 },
  badSignature: { code: 'InvalidSignatureException', status: 400 },
  throttled: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  unknownOperation: { code: 'UnknownOperationException', status: 400 },
  missingAuth: { code: 'MissingAuthenticationTokenException', status: 400 },
  malformed: { code: 'SerializationException', status: 400 },
};

/**
 * An error with members of its own besides `message`, as AWS's JSON errors carry them (an
 * Organizations ConstraintViolationException's `Reason`); the SDK reads them onto the exception.
 */
export class AwsErrorWithFields extends AwsError {
  constructor(
    code: string,
    message: string,
    readonly fields: Record<string, string>,
    statusCode = 400,
  ) {
    super(code, message, statusCode);
  }
}

function contentType(request: SandboxRequest): string {
  const requested = request.headers['content-type'] ?? '';
  return requested.startsWith('application/x-amz-json-1.0')
    ? 'application/x-amz-json-1.0'
    : 'application/x-amz-json-1.1';
}

/** Dates go on the wire as epoch seconds, as the JSON protocols define timestamps. */
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  if (isDate(original)) return original.getTime() / 1000;
  return value;
}

export const jsonCodec: ProtocolCodec = {
  decode(request: SandboxRequest, service: ServiceEmulator): DecodedCall {
    const target = request.headers['x-amz-target'] ?? '';
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot);
    const operation = target.slice(dot + 1);
    const known =
      !service.targetPrefix ||
      prefix === service.targetPrefix ||
      (service.targetPrefixAliases ?? []).includes(prefix);
    if (dot < 0 || operation === '' || !known) {
      throw new AwsError(
        'UnknownOperationException',
        `Unknown X-Amz-Target. Received: ${target || '(none)'}`,
        400,
      );
    }
    const text = request.body.toString('utf8').trim();
    let params: Record<string, unknown> = {};
    if (text !== '') {
      try {
        params = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new AwsError(
          'SerializationException',
          'Start of structure or map found where not expected.',
          400,
        );
      }
      if (params === null || typeof params !== 'object' || Array.isArray(params)) {
        throw new AwsError('SerializationException', 'The request body must be a JSON object.', 400);
      }
    }
    return { operation, params, contentType: contentType(request) };
  },
  encodeResult(
    result: unknown,
    call: DecodedCall,
    _service: ServiceEmulator,
    requestId: string,
  ): SandboxResponse {
    return {
      statusCode: 200,
      headers: {
        'content-type': call.contentType ?? 'application/x-amz-json-1.1',
        'x-amzn-requestid': requestId,
      },
      body: result === undefined || result === null ? '{}' : JSON.stringify(result, replacer),
    };
  },
  encodeError(error: AwsError, requestId: string, request: SandboxRequest): SandboxResponse {
    return {
      statusCode: error.statusCode,
      headers: {
        'content-type': contentType(request),
        'x-amzn-requestid': requestId,
        'x-amzn-errortype': error.code,
      },
      body: JSON.stringify({
        __type: error.code,
        message: error.message,
        ...(error instanceof AwsErrorWithFields ? error.fields : {}),
      }),
    };
  },
};

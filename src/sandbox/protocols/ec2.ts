/**
 * The ec2 query protocol: form-encoded like awsQuery but lists are `Name.N` and responses have
 * no Result wrapper, use `<item>` lists and lower-camel element names (the operation returns
 * wire names such as `regionInfo`), and errors are `<Response><Errors><Error>`.
 */
import type { AwsError, SandboxResponse, ServiceEmulator } from '../types';
import type { DecodedCall, ProtocolCodec, ProtocolErrorCodes } from './codec';
import { decodeFormRequest } from './query';
import { escapeXml, toXml } from './xml';

const DEFAULT_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export const ec2ErrorCodes: ProtocolErrorCodes = {
  unknownKey: { code: 'AuthFailure', status: 401 },
  expired: { code: 'RequestExpired', status: 400 },
  badSignature: { code: 'SignatureDoesNotMatch', status: 403 },
  throttled: { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' },
  unknownOperation: { code: 'InvalidAction', status: 400 },
  missingAuth: { code: 'MissingAuthenticationToken', status: 401 },
  malformed: { code: 'MalformedQueryString', status: 400 },
};

export const ec2Codec: ProtocolCodec = {
  decode: decodeFormRequest,
  encodeResult(
    result: unknown,
    call: DecodedCall,
    service: ServiceEmulator,
    requestId: string,
  ): SandboxResponse {
    const op = call.operation;
    return {
      statusCode: 200,
      headers: { 'content-type': 'text/xml;charset=UTF-8' },
      body: `<${op}Response xmlns="${service.xmlNamespace ?? DEFAULT_NS}"><requestId>${requestId}</requestId>${toXml(result, 'item')}</${op}Response>`,
    };
  },
  encodeError(error: AwsError, requestId: string): SandboxResponse {
    return {
      statusCode: error.statusCode,
      headers: { 'content-type': 'text/xml;charset=UTF-8' },
      body: `<Response><Errors><Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    };
  },
};

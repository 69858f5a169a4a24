/**
 * The awsQuery protocol (STS, CloudFormation, SNS): form-encoded `Action`/`Version` requests,
 * `<XResponse><XResult>` answers with `<member>` lists, `<ErrorResponse>` errors.
 */
import { AwsError, type SandboxRequest, type SandboxResponse, type ServiceEmulator } from '../types';
import type { DecodedCall, ProtocolCodec, ProtocolErrorCodes } from './codec';
import { nestForm, parseForm } from './form';
import { escapeXml, toXml } from './xml';

const XML_HEADERS = { 'content-type': 'text/xml' };

/** Reads `Action` and the params from the body (POST) or query string (GET). */
export function decodeFormRequest(request: SandboxRequest): DecodedCall {
  const pairs: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(request.query)) {
    if (Array.isArray(v)) for (const item of v) pairs.push([k, item]);
    else pairs.push([k, v ?? '']);
  }
  if (request.body.length > 0) pairs.push(...parseForm(request.body.toString('utf8')));
  const params = nestForm(pairs);
  const action = params.Action;
  if (typeof action !== 'string' || action === '') {
    throw new AwsError('MissingAction', 'Missing Action', 400);
  }
  delete params.Action;
  delete params.Version;
  return { operation: action, params };
}

export const queryErrorCodes: ProtocolErrorCodes = {
  unknownKey: { code: 'InvalidClientTokenId', status: 403 },
  expired: { code: 'ExpiredToken', status: 400 },
  badSignature: { code: 'SignatureDoesNotMatch', status: 403 },
  throttled: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  unknownOperation: { code: 'InvalidAction', status: 400 },
  missingAuth: { code: 'MissingAuthenticationToken', status: 403 },
  malformed: { code: 'MalformedQueryString', status: 400 },
};

export const queryCodec: ProtocolCodec = {
  decode: decodeFormRequest,
  encodeResult(
    result: unknown,
    call: DecodedCall,
    service: ServiceEmulator,
    requestId: string,
  ): SandboxResponse {
    const op = call.operation;
    const ns = service.xmlNamespace ? ` xmlns="${service.xmlNamespace}"` : '';
    const inner =
      result === undefined || result === null ? '' : `<${op}Result>${toXml(result, 'member')}</${op}Result>`;
    return {
      statusCode: 200,
      headers: { ...XML_HEADERS, 'x-amzn-requestid': requestId },
      body: `<${op}Response${ns}>${inner}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${op}Response>`,
    };
  },
  encodeError(error: AwsError, requestId: string): SandboxResponse {
    return {
      statusCode: error.statusCode,
      headers: { ...XML_HEADERS, 'x-amzn-requestid': requestId },
      body: `<ErrorResponse><Error><Type>${error.faultType}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    };
  },
};

/**
 * The sandbox's identity for the local engine (src/engine/identity.ts): Step Functions assumes each
 * state machine's role (states.amazonaws.com, with aws:SourceAccount and aws:SourceArn = the state
 * machine, as the Step Functions Developer Guide's cross-service confused deputy section says it
 * sends), every call the engine makes for an execution is authorized for that role session, and
 * Lambda runs each deployed function with its execution role (lambda.amazonaws.com assumes it).
 */
import type { AwsCredentialIdentity } from '@smithy/types';
import type { DeployedFunction, EngineIdentity, IdentityDenial } from '../../engine/identity';
import { handlerForFunctionId } from '../../engine/lambda-binding';
import type { StoredStateMachine } from '../../engine/types';
import { findFunction } from '../services/lambda-state';
import { assumeRoleAsService, type ServiceSession } from '../services/sts';
import type { Caller } from '../types';
import type { World } from '../world';
import { decide, principalOf } from './authorize';
import { denialMessage } from './messages';
import type { Decision } from './types';

/** Sessions are renewed this long before they expire (as the SDK's credential providers do). */
const RENEW_BEFORE_MS = 5 * 60_000;

interface Held {
  session: ServiceSession;
  credentials: AwsCredentialIdentity;
  caller: Caller;
}

function callerOf(session: ServiceSession): Caller {
  const [, , , , accountId = '', rest = ''] = session.arn.split(':');
  const [, roleName = '', sessionName = ''] = rest.split('/');
  return { accountId, accessKeyId: session.accessKeyId, arn: session.arn, roleName, sessionName };
}

function held(session: ServiceSession): Held {
  return {
    session,
    credentials: {
      accessKeyId: session.accessKeyId,
      secretAccessKey: session.secretAccessKey,
      sessionToken: session.sessionToken,
      expiration: new Date(session.expiration),
    },
    caller: { ...callerOf(session), issuedAt: session.expiration - 3600_000 },
  };
}

function accountOfArn(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:[^:]+:[^:]*:(\d{12}):/.exec(arn)?.[1];
}

/** The engine identity of a sandbox world. */
export function sandboxEngineIdentity(world: World): EngineIdentity {
  const machines = new Map<string, Held>();
  const functions = new Map<string, Held>();

  const fresh = (h: Held | undefined): h is Held =>
    h !== undefined && h.session.expiration - RENEW_BEFORE_MS > world.now();

  const machineSession = (sm: StoredStateMachine): Held | IdentityDenial => {
    const known = machines.get(sm.stateMachineArn);
    if (fresh(known) && known.session.arn.includes(`/${roleNameOf(sm.roleArn)}/`)) return known;
    const account = accountOfArn(sm.stateMachineArn) ?? '';
    const answer = assumeRoleAsService(world, {
      service: 'states.amazonaws.com',
      roleArn: sm.roleArn,
      sessionName: sessionNameOf(sm.name),
      now: world.now(),
      context: { 'aws:SourceAccount': account, 'aws:SourceArn': sm.stateMachineArn },
    });
    if (answer instanceof Error) {
      // What Step Functions reports when it cannot assume the role (StartExecution then fails).
      return {
        error: 'States.Runtime',
        cause: `Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role. (${answer.message})`,
      };
    }
    const h = held(answer);
    machines.set(sm.stateMachineArn, h);
    return h;
  };

  return {
    stateMachineCredentials(sm) {
      const h = machineSession(sm);
      return 'error' in h ? h : h.credentials;
    },
    authorize(sm, _executionArn, action, resource) {
      const h = machineSession(sm);
      if ('error' in h) return h;
      const who = principalOf(world, h.caller);
      const region = sm.stateMachineArn.split(':')[3] ?? 'us-east-1';
      const spec: Parameters<typeof decide>[2] = { action, resource };
      const owner = accountOfArn(resource);
      if (owner !== undefined) spec.resourceAccountId = owner;
      const { decision, request } = decide(world, who, spec, { region, now: world.now() });
      if (decision.effect === 'Allow') return undefined;
      return { error: 'AccessDenied', cause: denialCause(request.principal.arn, action, resource, decision) };
    },
    deployedFunction(functionArn): DeployedFunction | IdentityDenial {
      const record = findFunction(world, functionArn);
      if (!record) {
        return {
          error: 'Lambda.ResourceNotFoundException',
          cause: `Function not found: ${functionArn} (Service: Lambda, Status Code: 404)`,
        };
      }
      const handler = record.handlerId === undefined ? undefined : handlerForFunctionId(record.handlerId);
      if (!handler) {
        return {
          error: 'Lambda.ServiceException',
          cause: `The sandbox cannot run the code of ${functionArn}: it is not one of stackfleet's functions (src/core/functions.ts).`,
        };
      }
      let h = functions.get(record.arn);
      if (!fresh(h) || !h.session.arn.includes(`/${roleNameOf(record.roleArn)}/`)) {
        const answer = assumeRoleAsService(world, {
          service: 'lambda.amazonaws.com',
          roleArn: record.roleArn,
          sessionName: sessionNameOf(record.name),
          now: world.now(),
        });
        if (answer instanceof Error) {
          // Lambda's answer when the execution role cannot be assumed (Lambda Developer Guide, troubleshooting-invocation).
          return {
            error: 'Lambda.AWSLambdaException',
            cause: `The role defined for the function cannot be assumed by Lambda. (Service: Lambda, Status Code: 403, Error Code: AccessDeniedException) ${answer.message}`,
          };
        }
        h = held(answer);
        functions.set(record.arn, h);
      }
      return {
        handler,
        credentials: h.credentials,
        owner: record.arn,
        environment: { AWS_REGION: record.region, ...record.environment },
      };
    },
  };
}

function denialCause(principalArn: string, action: string, resource: string, decision: Decision): string {
  return (
    denialMessage(
      { principal: { kind: 'role-session', arn: principalArn }, action, resource, context: {} },
      decision,
    ) ?? 'Access Denied'
  );
}

function roleNameOf(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}

/** Role session names are 2-64 of [\w+=,.@-]. */
function sessionNameOf(name: string): string {
  const clean = name.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  return clean.length >= 2 ? clean : `${clean}--`;
}

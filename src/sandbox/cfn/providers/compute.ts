/**
 * AWS::Lambda::Function and AWS::StepFunctions::StateMachine: both pass their execution role to
 * their service (iam:PassRole with iam:PassedToService lambda.amazonaws.com / states.amazonaws.com,
 * IAM User Guide, id_roles_use_passrole), and both take effect: a function is registered for the
 * local engine (src/sandbox/services/lambda-registry.ts) and a state machine is created in the
 * local engine with its resolved definition and substitutions.
 */
import type { AuthorizationSpec } from '../../iam/authorize';
import { handlerIdOf } from '../../services/lambda-handlers';
import {
  deleteFunction,
  deleteFunctionPermission,
  putFunction,
  putFunctionPermission,
} from '../../services/lambda-state';
import { engineFor } from '../../services/stepfunctions';
import type { PlanView } from '../plan-view';
import { passRole, type ResourceProvider, str, tagContext } from './types';

function functionArnOf(accountId: string, region: string, name: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
}

export const functionProvider: ResourceProvider = {
  type: 'AWS::Lambda::Function',
  service: 'Lambda',
  deniedStatus: 403,
  calls(phase, props, ref) {
    const arn = functionArnOf(ref.accountId, ref.region, ref.physicalId);
    if (phase === 'delete') return [{ action: 'lambda:DeleteFunction', resource: arn }];
    const tags = tagContext(props.Tags);
    return [
      phase === 'create'
        ? { action: 'lambda:CreateFunction', resource: arn, context: tags }
        : { action: 'lambda:UpdateFunctionConfiguration', resource: arn },
      ...(Object.keys(tags).length > 0
        ? [{ action: 'lambda:TagResource', resource: arn, context: tags }]
        : []),
      ...passRole(str(props.Role), 'lambda.amazonaws.com'),
    ];
  },
  apply(props, ref) {
    const env = (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const handlerId = handlerIdOf({
      ...(ref.metadataPath ? { cdkPath: ref.metadataPath } : {}),
      ...(str(props.Description) ? { description: str(props.Description) as string } : {}),
      logicalId: ref.logicalId,
    });
    putFunction(ref.world, {
      name: ref.physicalId,
      arn: functionArnOf(ref.accountId, ref.region, ref.physicalId),
      accountId: ref.accountId,
      region: ref.region,
      roleArn: str(props.Role) ?? '',
      ...(handlerId ? { handlerId } : {}),
      environment: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])),
      ...(str(props.Runtime) ? { runtime: str(props.Runtime) as string } : {}),
      // Lambda's defaults: 3 seconds, 128 MB (Lambda Developer Guide, configuration-function-common).
      timeoutSeconds: props.Timeout === undefined ? 3 : Number(props.Timeout),
      memorySize: props.MemorySize === undefined ? 128 : Number(props.MemorySize),
      managedBy: { stackId: ref.stackId, logicalId: ref.logicalId },
    });
  },
  remove(_props, ref) {
    deleteFunction(ref.world, functionArnOf(ref.accountId, ref.region, ref.physicalId));
  },
  reads(_props, ref) {
    return [
      { action: 'lambda:GetFunction', resource: functionArnOf(ref.accountId, ref.region, ref.physicalId) },
    ];
  },
};

function objectRead(view: PlanView | undefined, bucket: string, key: string): AuthorizationSpec {
  const b = view?.bucket(bucket);
  return {
    action: 's3:GetObject',
    resource: `arn:aws:s3:::${bucket}/${key}`,
    ...(b ? { resourceAccountId: b.owner, resourcePolicyMode: 'standard' as const } : {}),
    ...(b?.policy !== undefined ? { resourcePolicy: b.policy } : {}),
  };
}

/** The definition with `${Name}` substitutions filled (Step Functions' DefinitionSubstitutions). */
export function substituteDefinition(
  definition: string,
  substitutions: Record<string, unknown> | undefined,
): string {
  if (!substitutions) return definition;
  return definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) =>
    name in substitutions ? String(substitutions[name]) : whole,
  );
}

function definitionOf(
  props: Record<string, unknown>,
  ref: { world: import('../../types').SandboxWorld },
): string | undefined {
  const subs = props.DefinitionSubstitutions as Record<string, unknown> | undefined;
  if (typeof props.DefinitionString === 'string') return substituteDefinition(props.DefinitionString, subs);
  if (props.Definition !== undefined) return substituteDefinition(JSON.stringify(props.Definition), subs);
  const location = props.DefinitionS3Location as
    | { Bucket?: unknown; Key?: unknown; Version?: unknown }
    | undefined;
  if (location && typeof location.Bucket === 'string' && typeof location.Key === 'string') {
    const object = ref.world.readObject(
      location.Bucket,
      location.Key,
      typeof location.Version === 'string' ? location.Version : undefined,
    );
    return object ? substituteDefinition(object.body.toString('utf8'), subs) : undefined;
  }
  return undefined;
}

export const stateMachineProvider: ResourceProvider = {
  type: 'AWS::StepFunctions::StateMachine',
  service: 'Sfn',
  deniedStatus: 400,
  calls(phase, props, ref, _previous, view) {
    const arn = ref.physicalId;
    if (phase === 'delete') return [{ action: 'states:DeleteStateMachine', resource: arn }];
    // A DefinitionS3Location is read by the handler with the acting principal (s3:GetObject; the
    // resource schema's create permissions list it).
    const location = props.DefinitionS3Location as { Bucket?: unknown; Key?: unknown } | undefined;
    const read =
      location && typeof location.Bucket === 'string' && typeof location.Key === 'string'
        ? [objectRead(view, location.Bucket, location.Key)]
        : [];
    return [
      {
        action: phase === 'create' ? 'states:CreateStateMachine' : 'states:UpdateStateMachine',
        resource: arn,
        context: tagContext(props.Tags),
      },
      ...passRole(str(props.RoleArn), 'states.amazonaws.com'),
      ...read,
    ];
  },
  apply(props, ref) {
    const definition = definitionOf(props, ref);
    const roleArn = str(props.RoleArn);
    // A definition the sandbox cannot read (a CDK asset bucket that does not exist here) stays unknown.
    if (definition === undefined || !roleArn) return;
    const engine = engineFor(ref.world);
    const name = ref.physicalId.split(':').pop() ?? ref.physicalId;
    const existing = engine
      .listStateMachines(ref.accountId, ref.region)
      .find((sm) => sm.stateMachineArn === ref.physicalId);
    if (existing) engine.updateStateMachine(ref.physicalId, { definition, roleArn });
    else
      engine.createStateMachine({ name, definition, roleArn, region: ref.region, accountId: ref.accountId });
  },
  reads(_props, ref) {
    return [{ action: 'states:DescribeStateMachine', resource: ref.physicalId }];
  },
};

/** A Permission's function as an ARN (FunctionName takes a name, a full or a partial ARN). */
function permissionFunctionArn(props: Record<string, unknown>, accountId: string, region: string): string {
  const name = str(props.FunctionName) ?? '';
  if (name.startsWith('arn:')) return name.split(':').slice(0, 7).join(':');
  return functionArnOf(accountId, region, name.split(':').pop() ?? name);
}

/** Permission's Principal: a service, an account id, an ARN or `*`. */
function permissionPrincipal(principal: string): unknown {
  if (principal === '*') return '*';
  if (/^\d{12}$/.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  if (principal.startsWith('arn:')) return { AWS: principal };
  return { Service: principal };
}

/**
 * AWS::Lambda::Permission: a statement of the function's resource-based policy (AddPermission),
 * what lets a service such as EventBridge invoke it (EventBridge User Guide, eb-use-resource-based:
 * "lambda:InvokeFunction" for events.amazonaws.com, with the rule as AWS:SourceArn).
 */
export const permissionProvider: ResourceProvider = {
  type: 'AWS::Lambda::Permission',
  service: 'Lambda',
  deniedStatus: 403,
  deleteNeedsProperties: true,
  calls(phase, props, ref) {
    const arn = permissionFunctionArn(props, ref.accountId, ref.region);
    return [
      { action: phase === 'delete' ? 'lambda:RemovePermission' : 'lambda:AddPermission', resource: arn },
    ];
  },
  apply(props, ref) {
    const principal = str(props.Principal) ?? '';
    const conditions: Record<string, Record<string, string>> = {};
    if (str(props.SourceArn)) conditions.ArnLike = { 'AWS:SourceArn': str(props.SourceArn) as string };
    if (str(props.SourceAccount))
      conditions.StringEquals = { 'AWS:SourceAccount': str(props.SourceAccount) as string };
    const statement = {
      Effect: 'Allow',
      Principal: permissionPrincipal(principal),
      Action: str(props.Action) ?? 'lambda:InvokeFunction',
      Resource: permissionFunctionArn(props, ref.accountId, ref.region),
      ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
    };
    putFunctionPermission(ref.world, statement.Resource, ref.physicalId, JSON.stringify(statement));
  },
  remove(props, ref) {
    deleteFunctionPermission(
      ref.world,
      permissionFunctionArn(props, ref.accountId, ref.region),
      ref.physicalId,
    );
  },
};

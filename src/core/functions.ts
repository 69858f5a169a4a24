/**
 * The single list of Lambda functions and definition substitutions. The CDK app deploys
 * from it and the local engine binds Task resources from it, so the two cannot drift.
 */
export const lambdaFunctions = [
  { id: 'deploy-stack', entry: 'functions/deploy-stack.ts', placeholder: 'DeployStackFunctionArn' },
  { id: 'check-stack', entry: 'functions/check-stack.ts', placeholder: 'CheckStackFunctionArn' },
  {
    id: 'validate-rollout',
    entry: 'functions/validate-rollout.ts',
    placeholder: 'ValidateRolloutFunctionArn',
  },
  { id: 'plan-targets', entry: 'functions/plan-targets.ts', placeholder: 'PlanTargetsFunctionArn' },
  {
    id: 'summarize-rollout',
    entry: 'functions/summarize-rollout.ts',
    placeholder: 'SummarizeRolloutFunctionArn',
  },
  // Preview and drift modes (issue 6): preview-target and drift-target; they assume the execution role like deploy-stack.
  { id: 'preview-changes', entry: 'functions/preview-changes.ts', placeholder: 'PreviewChangesFunctionArn' },
  { id: 'detect-drift', entry: 'functions/detect-drift.ts', placeholder: 'DetectDriftFunctionArn' },
  { id: 'repair-drift', entry: 'functions/repair-drift.ts', placeholder: 'RepairDriftFunctionArn' },
  // Stack events (issue 19): "Wait for stack event" files its task token; the admin bus rule's
  // target answers it when the forwarded Stack Status Change event comes.
  {
    id: 'register-stack-wait',
    entry: 'functions/register-stack-wait.ts',
    placeholder: 'RegisterStackWaitFunctionArn',
  },
  {
    id: 'match-stack-event',
    entry: 'functions/match-stack-event.ts',
    placeholder: 'MatchStackEventFunctionArn',
  },
  // The tamper response (issue 16): respond-to-tampering's Task states.
  {
    id: 'read-tamper-event',
    entry: 'functions/read-tamper-event.ts',
    placeholder: 'ReadTamperEventFunctionArn',
  },
  { id: 'restore-logging', entry: 'functions/restore-logging.ts', placeholder: 'RestoreLoggingFunctionArn' },
  { id: 'record-incident', entry: 'functions/record-incident.ts', placeholder: 'RecordIncidentFunctionArn' },
  {
    id: 'contain-principal',
    entry: 'functions/contain-principal.ts',
    placeholder: 'ContainPrincipalFunctionArn',
  },
  { id: 'alert-tampering', entry: 'functions/alert-tampering.ts', placeholder: 'AlertTamperingFunctionArn' },
  // The stacks form (issue 17): walk-lane's "Next stack" reads dependencies' results and outputs.
  { id: 'next-stack', entry: 'functions/next-stack.ts', placeholder: 'NextStackFunctionArn' },
] as const;

export type LambdaFunctionId = (typeof lambdaFunctions)[number]['id'];

/**
 * The per-target state machine of each rollout mode. The rollout picks one once (Validate input)
 * and starts it for every target, so no target pays a state transition to route by mode. Each
 * placeholder is also the name of the admin stack output that holds the ARN.
 */
export const targetStateMachineFiles = [
  {
    id: 'deploy-target',
    mode: 'deploy',
    file: 'statemachines/deploy-target.asl.json',
    placeholder: 'DeployTargetStateMachineArn',
  },
  {
    id: 'preview-target',
    mode: 'preview',
    file: 'statemachines/preview-target.asl.json',
    placeholder: 'PreviewTargetStateMachineArn',
  },
  {
    id: 'drift-target',
    mode: 'drift',
    file: 'statemachines/drift-target.asl.json',
    placeholder: 'DriftTargetStateMachineArn',
  },
] as const;

/**
 * The stacks form (issue 17): walks one lane of a target's stack graph, starting the mode's
 * per-stack machine (one of `targetStateMachineFiles`, named in its input) for each stack.
 * `startsAtRunTime` lists the machines it may start without naming them in its definition.
 */
export const graphStateMachineFile = {
  id: 'walk-lane',
  file: 'statemachines/walk-lane.asl.json',
  placeholder: 'WalkLaneStateMachineArn',
  startsAtRunTime: targetStateMachineFiles.map((m) => m.placeholder),
} as const;

/** State machine files, in deployment order (the rollout needs the per-target machines' ARNs). */
export const stateMachineFiles = [
  ...targetStateMachineFiles,
  graphStateMachineFile,
  { id: 'rollout', file: 'statemachines/rollout.asl.json', placeholder: 'RolloutStateMachineArn' },
] as const;

/**
 * The tamper response (issue 16): started by the admin bus rule that receives the tampering events
 * the baselines forward, not by a rollout, so it is kept apart from `stateMachineFiles` (whose
 * machines a rollout starts). Deployed after them: it redeploys a baseline through deploy-target.
 * Besides function and state machine ARNs it uses `responsePlaceholders`.
 */
export const responseStateMachineFiles = [
  {
    id: 'respond-to-tampering',
    file: 'statemachines/respond-to-tampering.asl.json',
    placeholder: 'RespondToTamperingStateMachineArn',
  },
] as const;

/** The response's own substitutions (the admin stack fills them; see infra/lib/tamper-response.ts). */
export const responsePlaceholders = [
  'IncidentTableName',
  'ContainmentMode',
  'ContainmentAllowList',
  'ResponderRoleName',
  'BaselineStackName',
  'BaselineTemplateKey',
  'ExecutionRoleName',
] as const;

/** The role templates/tamper-responder.yaml makes in every member (its `RoleName`). */
export const TAMPER_RESPONDER_ROLE_NAME = 'StackFleetTamperResponder';

/** Substitutions that are not function or state machine ARNs. */
export const resourcePlaceholders = ['ArtifactBucketName', 'NotificationTopicArn'] as const;

/** Fills `${Name}` placeholders like CloudFormation's DefinitionSubstitutions; unknown ones are an error. */
export function substituteDefinition(definition: string, values: Record<string, string>): string {
  return definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new Error(
        `Definition substitution \${${name}} has no value. Received values for: ${Object.keys(values).join(', ')}`,
      );
    }
    return value;
  });
}

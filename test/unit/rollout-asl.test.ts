import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ErrorNames } from '../../src/core/errors';
import {
  lambdaFunctions,
  resourcePlaceholders,
  stateMachineFiles,
  substituteDefinition,
  targetStateMachineFiles,
} from '../../src/core/functions';
import { RolloutModes } from '../../src/core/rollout-input';

// asl-validator ships no type declarations.
const validator: (definition: unknown) => { isValid: boolean; errors: unknown[] } = require('asl-validator');

/**
 * The rollout state machine's promises, checked on the file itself: it is valid ASL, every state is
 * readable in the console, per-target data never passes through the parent's state, and the error
 * names it matches and raises exist.
 */

const file = path.resolve(__dirname, '../../statemachines/rollout.asl.json');
const raw = readFileSync(file, 'utf8');

// biome-ignore lint/suspicious/noExplicitAny: walking arbitrary ASL JSON
type Any = any;

const values: Record<string, string> = {
  ...Object.fromEntries(
    lambdaFunctions.map((f) => [
      f.placeholder,
      `arn:aws:lambda:eu-west-1:000000000001:function:stackfleet-${f.id}`,
    ]),
  ),
  ...Object.fromEntries(
    stateMachineFiles.map((s) => [
      s.placeholder,
      `arn:aws:states:eu-west-1:000000000001:stateMachine:${s.id}`,
    ]),
  ),
  ArtifactBucketName: 'stackfleet-artifacts',
  NotificationTopicArn: 'arn:aws:sns:eu-west-1:000000000001:stackfleet',
};
const definition: Any = JSON.parse(substituteDefinition(raw, values));

function allStates(states: Record<string, Any>): Array<[string, Any]> {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, Any],
    ...(state.ItemProcessor ? allStates(state.ItemProcessor.States) : []),
  ]);
}

describe('statemachines/rollout.asl.json', () => {
  test('asl-validator accepts it after substitution', () => {
    const result = validator(definition);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  test('uses only known placeholders', () => {
    const used = [...raw.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
    const known = [
      ...lambdaFunctions.map((f) => f.placeholder),
      ...stateMachineFiles.map((s) => s.placeholder),
      ...resourcePlaceholders,
    ] as string[];
    expect(used.filter((u) => !known.includes(u as string))).toEqual([]);
    expect(new Set(used)).toEqual(
      new Set([
        'ValidateRolloutFunctionArn',
        'PlanTargetsFunctionArn',
        'SummarizeRolloutFunctionArn',
        'DeployTargetStateMachineArn',
        'PreviewTargetStateMachineArn',
        'DriftTargetStateMachineArn',
        'WalkLaneStateMachineArn',
        'ArtifactBucketName',
        'NotificationTopicArn',
      ]),
    );
  });

  test('every state has a Comment and a readable name', () => {
    for (const [name, state] of allStates(definition.States)) {
      expect({ name, comment: typeof state.Comment === 'string' && state.Comment.length > 10 }).toEqual({
        name,
        comment: true,
      });
      expect(name).toMatch(/^[A-Z][a-z]+( [a-z?]+)*\??$/);
    }
  });

  test('is JSONPath: no JSONata anywhere', () => {
    expect(definition.QueryLanguage).toBe('JSONPath');
    expect(raw).not.toContain('{%');
  });

  test('every fan-out is a Distributed Map reading JSON Lines from S3 and writing results to S3', () => {
    for (const name of ['Deploy canaries', 'Deploy targets', 'Deploy canary lanes', 'Deploy target lanes']) {
      const map = definition.States[name];
      expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
      expect(map.ItemReader).toMatchObject({
        Resource: 'arn:aws:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSONL' },
        Parameters: { Bucket: 'stackfleet-artifacts' },
      });
      expect(map.ResultWriter).toMatchObject({
        Resource: 'arn:aws:states:::s3:putObject',
        Parameters: { Bucket: 'stackfleet-artifacts' },
      });
      expect(map.ItemSelector).toEqual({
        'target.$': '$$.Map.Item.Value',
        'deployment.$': '$.deployment',
        'targetStateMachineArn.$': '$.targetStateMachineArn',
      });
      expect(typeof map.Label).toBe('string');
      expect(map.MaxConcurrencyPath).toBe('$.plan.maxConcurrency');
    }
    expect(definition.States['Deploy canaries'].ToleratedFailureCount).toBe(0);
    expect(definition.States['Deploy canary lanes'].ToleratedFailureCount).toBe(0);
    for (const name of ['Deploy targets', 'Deploy target lanes']) {
      expect(definition.States[name]).toMatchObject({
        ToleratedFailureCountPath: '$.plan.toleratedFailureCount',
        ToleratedFailurePercentagePath: '$.plan.toleratedFailurePercentage',
      });
    }
  });

  test('the stacks form fans out lanes: each item walks one lane of a target as a named walk-lane execution', () => {
    for (const name of ['Deploy canary lanes', 'Deploy target lanes']) {
      const processor = definition.States[name].ItemProcessor;
      const task = processor.States[processor.StartAt];
      expect(task.Resource).toBe('arn:aws:states:::states:startExecution.sync:2');
      expect(task.Parameters['StateMachineArn.$']).toBe('$.targetStateMachineArn');
      expect(task.Parameters['Name.$']).toBe('$.target.executionName');
      expect(task.Parameters.Input).toEqual({
        'rolloutId.$': '$.deployment.rolloutId',
        'mode.$': '$.deployment.mode',
        'accountId.$': '$.target.accountId',
        'region.$': '$.target.region',
        'lane.$': '$.target.lane',
        'deployment.$': '$.deployment',
        'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id',
      });
    }
    // The planner's `graph` fact routes, once per rollout, to the lane fan-outs.
    expect(definition.States['Any canaries?'].Choices[0]).toEqual({
      And: [
        { Variable: '$.plan.canaryCount', NumericGreaterThan: 0 },
        { Variable: '$.plan.graph', BooleanEquals: true },
      ],
      Next: 'Deploy canary lanes',
    });
    expect(definition.States['Any targets?'].Choices[0].Next).toBe('Deploy target lanes');
    expect(definition.States['Deploy canary lanes'].Next).toBe('Any targets?');
    expect(definition.States['Deploy target lanes'].Next).toBe('Summarize');
  });

  test('Validate input is given the per-target machine of every mode, to pick one for the whole rollout', () => {
    const machines = definition.States['Validate input'].Parameters.targetStateMachines;
    // Every mode's, and the stacks form's lane walker (which starts the mode's machine per stack).
    expect(Object.keys(machines).sort()).toEqual([...Object.values(RolloutModes), 'graph'].sort());
    for (const sm of targetStateMachineFiles) expect(machines[sm.mode]).toBe(values[sm.placeholder]);
    expect(machines.graph).toBe(values.WalkLaneStateMachineArn);
    // The choice is made once: no Choice state in the parent or the item processor reads the mode.
    const byMode = allStates(definition.States).filter(([, s]) =>
      (s.Choices ?? []).some((c: Any) => JSON.stringify(c).includes('mode')),
    );
    expect(byMode).toEqual([]);
  });

  test('each item runs the chosen per-target workflow as a named, linked nested execution with the full child input', () => {
    // The one-template form's fan-outs (the stacks form's are checked above).
    for (const name of ['Deploy canaries', 'Deploy targets']) {
      const processor = definition.States[name].ItemProcessor;
      const task = processor.States[processor.StartAt];
      expect(task.Resource).toBe('arn:aws:states:::states:startExecution.sync:2');
      expect(task.Parameters).not.toHaveProperty('StateMachineArn');
      expect(task.Parameters['StateMachineArn.$']).toBe('$.targetStateMachineArn');
      expect(task.Parameters['Name.$']).toBe('$.target.executionName');
      const input = Object.keys(task.Parameters.Input).map((k) => k.replace(/\.\$$/, ''));
      expect(input.sort()).toEqual(
        [
          'rolloutId',
          'mode',
          'accountId',
          'region',
          'stackName',
          'templateUrl',
          'templateVersion',
          'parameters',
          'tags',
          'capabilities',
          'executionRoleName',
          'externalId',
          'timeoutSeconds',
          'repair',
          'stackEvents',
          'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID',
        ].sort(),
      );
      expect(task.Parameters.Input['AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$']).toBe('$$.Execution.Id');
      // Shared fields come from the validated deployment settings, per-target ones from the manifest line.
      for (const [key, value] of Object.entries(task.Parameters.Input as Record<string, unknown>)) {
        if (key.startsWith('AWS_')) continue;
        expect(String(value)).toMatch(/^\$\.(deployment|target)\./);
      }
      const retried = task.Retry.flatMap((r: Any) => r.ErrorEquals);
      expect(retried).toContain('StepFunctions.ExecutionLimitExceededException');
      expect(task.Retry.every((r: Any) => r.JitterStrategy === 'FULL')).toBe(true);
      // A failed deployment must not be retried by the parent: that is the child's job.
      expect(retried).not.toContain('States.TaskFailed');
      expect(retried).not.toContain('States.ALL');
    }
  });

  test('a planning failure or a fan-out that stops is caught and still summarized and notified', () => {
    for (const name of [
      'Plan targets',
      'Deploy canaries',
      'Deploy targets',
      'Deploy canary lanes',
      'Deploy target lanes',
    ]) {
      const catchers = definition.States[name].Catch;
      expect(catchers).toHaveLength(1);
      expect(catchers[0].ErrorEquals).toEqual(['States.ALL']);
      expect(catchers[0].Next).toBe('Summarize');
    }
    expect(definition.States.Summarize.Next).toBe('Notify');
    expect(definition.States.Notify.Resource).toBe('arn:aws:states:::sns:publish');
    expect(definition.States.Notify.Parameters.TopicArn).toBe(values.NotificationTopicArn);
    expect(definition.States.Notify.Next).toBe('Within tolerance?');
    // A plain path, not States.JsonToString: aws-local-stepfunctions 3 drops backslashes from
    // intrinsic results, which would corrupt JSON with quotes or newlines.
    expect(definition.States.Notify.Parameters['Message.$']).toBe('$.summary.text');
    expect(definition.States.Notify.Parameters.MessageAttributes.status['StringValue.$']).toBe(
      '$.summary.status',
    );
  });

  test('fails with error names from errors.ts and a readable cause', () => {
    const fails = Object.values(definition.States as Record<string, Any>).filter((s) => s.Type === 'Fail');
    expect(fails.map((f) => f.Error).sort()).toEqual(
      [
        ErrorNames.CanaryFailed,
        ErrorNames.InvalidInput,
        ErrorNames.PlanFailed,
        ErrorNames.RolloutFailed,
      ].sort(),
    );
    for (const f of fails) expect(f.CausePath).toBe('$.summary.text');
  });

  test('Lambda tasks retry the errors our functions raise for retrying, with full jitter', () => {
    for (const name of ['Validate input', 'Plan targets', 'Summarize']) {
      const retry = definition.States[name].Retry;
      const errors = retry.flatMap((r: Any) => r.ErrorEquals);
      expect(errors).toEqual(
        expect.arrayContaining([
          ErrorNames.Throttled,
          ErrorNames.TransientError,
          'Lambda.TooManyRequestsException',
        ]),
      );
      expect(errors).not.toContain(ErrorNames.InvalidInput);
      expect(retry.every((r: Any) => r.JitterStrategy === 'FULL')).toBe(true);
    }
  });

  test('the parent history is independent of the number of targets: no inline Map, no per-target state', () => {
    const states = allStates(definition.States);
    // Only the Distributed Maps iterate (over targets, or in the stacks form over lanes: the number of
    // stacks changes the items, not the parent's states), and they keep item results out of the parent.
    const maps = states.filter(([, s]) => s.Type === 'Map');
    expect(maps.map(([n]) => n).sort()).toEqual([
      'Deploy canaries',
      'Deploy canary lanes',
      'Deploy target lanes',
      'Deploy targets',
    ]);
    expect(maps.every(([, s]) => s.ResultWriter && !s.ItemsPath)).toBe(true);
    // Top-level states form a fixed path: at most one visit each.
    expect(Object.keys(definition.States)).toHaveLength(16);
  });
});

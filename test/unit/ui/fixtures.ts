/** ASL shaped like stackfleet's machines (the real files may differ; these pin the graph rules). */
export const deployTargetAsl = {
  Comment: 'Deploy one target',
  StartAt: 'Deploy stack',
  States: {
    'Deploy stack': {
      Type: 'Task',
      Comment: 'Create or update',
      Resource: 'arn:aws:lambda:eu-west-1:111111111111:function:deploy-stack',
      Retry: [{ ErrorEquals: ['Throttled', 'TransientError'], MaxAttempts: 6 }],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Target failed', ResultPath: '$.error' }],
      Next: 'Wait for stack',
    },
    'Wait for stack': {
      Type: 'Wait',
      Comment: 'Adaptive',
      SecondsPath: '$.waitSeconds',
      Next: 'Check stack',
    },
    'Check stack': {
      Type: 'Task',
      Comment: 'Classify',
      Resource: 'arn:aws:lambda:eu-west-1:111111111111:function:check-stack',
      Catch: [{ ErrorEquals: ['StackFailed'], Next: 'Target failed' }],
      Next: 'Stack settled?',
    },
    'Stack settled?': {
      Type: 'Choice',
      Comment: 'Loop until settled',
      Choices: [
        { Variable: '$.state', StringEquals: 'IN_PROGRESS', Next: 'Wait for stack' },
        { Variable: '$.state', StringEquals: 'FAILED', Next: 'Target failed' },
      ],
      Default: 'Target deployed',
    },
    'Target failed': { Type: 'Fail', Comment: 'Failed', Error: 'StackFailed' },
    'Target deployed': { Type: 'Succeed', Comment: 'Done' },
  },
};

export const rolloutAsl = {
  Comment: 'Rollout',
  StartAt: 'Validate rollout',
  States: {
    'Validate rollout': { Type: 'Task', Resource: 'arn:validate', Next: 'Plan targets' },
    'Plan targets': { Type: 'Task', Resource: 'arn:plan', Next: 'Deploy to targets' },
    'Deploy to targets': {
      Type: 'Map',
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' } },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'Deploy target',
        States: {
          'Deploy target': {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Record failure' }],
            End: true,
          },
          'Record failure': { Type: 'Pass', End: true },
        },
      },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Summarize rollout' }],
      Next: 'Summarize rollout',
    },
    'Summarize rollout': { Type: 'Task', Resource: 'arn:summarize', Next: 'Notify' },
    Notify: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', End: true },
  },
};

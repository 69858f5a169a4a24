import { type CommandSpec, exitCodeLines, type OptionSpec } from './options';

/** Options shared by the commands that start a rollout (rollout, preview, drift). */
const rolloutOptions: Record<string, OptionSpec> = {
  config: {
    type: 'string',
    value: 'FILE',
    description:
      'Rollout config (YAML). Default on the sandbox: examples/rollout.yaml (the demo), or with --template/--stack-name examples/one-stack.yaml.',
  },
  template: {
    type: 'string',
    value: 'FILE|S3URL',
    description:
      'Template: a local file (published first) or s3://bucket/key?versionId=. The one-template form only.',
  },
  accounts: {
    type: 'string',
    value: 'IDS',
    multiple: true,
    description:
      "Deploy to exactly these account ids (comma-separated). Replaces the config's accounts and organizationalUnits.",
  },
  ous: {
    type: 'string',
    value: 'IDS',
    multiple: true,
    description:
      "Deploy to the accounts under these OUs, sub-OUs included. Replaces the config's accounts and organizationalUnits.",
  },
  regions: {
    type: 'string',
    value: 'REGIONS',
    multiple: true,
    description:
      "Deploy to exactly these regions, or ALL_ENABLED for every region enabled in each account. Replaces the config's regions.",
  },
  'exclude-accounts': {
    type: 'string',
    value: 'IDS',
    multiple: true,
    description: "Leave these accounts out. Replaces the config's excludeAccounts.",
  },
  'exclude-regions': {
    type: 'string',
    value: 'REGIONS',
    multiple: true,
    description: "Leave these regions out. Replaces the config's excludeRegions.",
  },
  'max-concurrency': {
    type: 'string',
    value: 'N',
    description:
      'At most N targets at once (with stacks in the config: N stacks in flight across the rollout).',
  },
  'failure-tolerance-count': { type: 'string', value: 'N', description: 'Tolerate up to N failed targets.' },
  'failure-tolerance-percent': {
    type: 'string',
    value: 'P',
    description: 'Tolerate up to P% failed targets (a whole percentage, 0-100).',
  },
  'stack-name': {
    type: 'string',
    value: 'NAME',
    description: 'Stack name in every target. The one-template form only.',
  },
  'external-id': { type: 'string', value: 'ID', description: 'ExternalId the execution roles require.' },
  'rollout-id': {
    type: 'string',
    value: 'ID',
    description: 'Use this rollout id (default: ro-<date>-<time>-<random>).',
  },
  'no-follow': {
    type: 'boolean',
    description:
      'Start the rollout and print its execution ARN without the live view (on AWS it returns at once; the built-in sandbox and --local-engine run it in this process, so it returns at its end).',
  },
  'local-engine': {
    type: 'boolean',
    description:
      "Run the state machines on this machine against the AWS the SDK points at, invoking the admin stack's functions there.",
  },
  'topic-arn': {
    type: 'string',
    value: 'ARN',
    description:
      "With --local-engine: SNS topic for the summary (default: the admin stack's NotificationTopicArn).",
  },
  'artifact-bucket': {
    type: 'string',
    value: 'BUCKET',
    description:
      "With --local-engine: bucket for templates, manifests and results (the admin functions and the targets' execution roles must be let in, as the admin stack's bucket does).",
  },
};

/** The config file's two forms (shown in each rollout command's help). */
const CONFIG_FORMS =
  'The config holds one template (template:, stackName:) or a graph of stacks, each deployed in every\n' +
  'target it reaches, after its dependencies there have succeeded (the demo, examples/rollout.yaml):\n' +
  '  stacks:\n' +
  '    - { name: logging, stackName: sf-logging, template: stacks/logging.yaml }\n' +
  '    - name: config\n' +
  '      stackName: sf-config\n' +
  '      template: stacks/config.yaml\n' +
  '      dependsOn: [logging]              # fromStack parameters count as dependencies too\n' +
  '      parameters: { BucketName: { fromStack: logging, output: BucketName } }\n' +
  "      regions: [us-east-1]              # optional: narrows the rollout's targets\n" +
  '  maxStacksPerTarget: 3                 # stacks of one account and region in flight at once\n' +
  'A stack whose dependency failed in a target is BLOCKED there; the rest of that target goes on.\n' +
  'The summary groups outcomes by stack, with each target counted by its worst stack.';

/** How target flags combine with the config's `targets` (shown in each rollout command's help). */
const TARGET_FLAGS_RULE =
  "Target flags replace that part of the config's targets, never add to it: --accounts and --ous\n" +
  'together replace accounts, organizationalUnits and includeManagementAccount; --regions,\n' +
  '--exclude-accounts and --exclude-regions replace regions, excludeAccounts and excludeRegions.\n' +
  'Before anything starts, stderr names the backend, the admin account and region, and the\n' +
  'resolved selection; every target, region, parameter and the template are checked first.';

export const commandSpecs: Record<string, CommandSpec> = {
  rollout: {
    name: 'rollout',
    summary: 'start a rollout of the baseline (one stack or a graph of stacks) and follow it to the end',
    usage: 'stackfleet rollout [--config FILE] [flags]',
    details:
      'Creates or updates the stack in every targeted account x region through the rollout state machine.\n' +
      'On the built-in sandbox cloud (the default) it runs in simulated time; --aws or --profile runs it against AWS.\n' +
      'Progress goes to stderr; the summary (or --json document) to stdout.\n\n' +
      `${CONFIG_FORMS}\n\n${TARGET_FLAGS_RULE}`,
    options: rolloutOptions,
  },
  preview: {
    name: 'preview',
    summary: 'show the changes a rollout would make in every target, changing nothing',
    usage: 'stackfleet preview [--config FILE] [flags]',
    details:
      'Creates a change set per target, reports its changes, and deletes it. Nothing changes in any target.\n' +
      'Every target is previewed, whatever the failure tolerance; the summary says which could not be and why.\n\n' +
      `${CONFIG_FORMS}\n\n${TARGET_FLAGS_RULE}`,
    options: rolloutOptions,
  },
  drift: {
    name: 'drift',
    summary: 'detect drift in every target and repair it (converging missing or outdated stacks)',
    usage: 'stackfleet drift [--config FILE] [--no-repair] [flags]',
    details:
      'Stacks that are missing, failed, or differ from the request (template version, parameters, tags) are\n' +
      'deployed; drifted stacks are repaired with drift-aware change sets. With --no-repair nothing is changed,\n' +
      'ever: outcomes are IN_SYNC, DRIFTED, OUTDATED, MISSING or INOPERABLE.\n\n' +
      `${CONFIG_FORMS}\n\n${TARGET_FLAGS_RULE}`,
    options: {
      ...rolloutOptions,
      'no-repair': {
        type: 'boolean',
        description: 'Report drift and differences without changing anything in any target.',
      },
      'fail-on-drift': {
        type: 'boolean',
        description:
          'Exit 4 when any target differs from the request (drifted, outdated, missing), repaired or not.',
      },
    },
  },
  status: {
    name: 'status',
    summary: 'show where a running or past rollout stands, or follow it live (--follow)',
    usage: 'stackfleet status [ROLLOUT_ID] [--follow] [--json]',
    details:
      'Without an id, shows the most recent rollout. --follow draws the live view of a running rollout until it\n' +
      'ends and then prints its summary, from any terminal: it reads only the Step Functions API (AWS, a served\n' +
      'sandbox with --aws and AWS_ENDPOINT_URL, or the local engine). Ctrl-C stops following, not the rollout.',
    options: {
      follow: {
        type: 'boolean',
        description: 'Follow a running rollout to its end (the live view on stderr).',
      },
      'no-follow': { type: 'boolean', description: 'Show where it stands now and return (the default).' },
      'local-engine': {
        type: 'boolean',
        description: 'Read the rollouts the local engine ran (see rollout --local-engine).',
      },
      'artifact-bucket': {
        type: 'string',
        value: 'BUCKET',
        description: 'With --local-engine: the bucket the rollout used (its summary is there).',
      },
    },
    positionals: ['ROLLOUT_ID'],
  },
  list: {
    name: 'list',
    summary: 'list rollouts, newest first: mode, status, target counts, start and duration',
    usage: 'stackfleet list [--max N] [--json]',
    details:
      "Counts are the summary's outcomes; for a running or stopped rollout (no summary), its targets by state.",
    options: {
      max: { type: 'string', value: 'N', description: `At most N rollouts (default 20, up to 1000).` },
      'local-engine': {
        type: 'boolean',
        description: 'List the rollouts the local engine ran (see rollout --local-engine).',
      },
      'artifact-bucket': {
        type: 'string',
        value: 'BUCKET',
        description: 'With --local-engine: the bucket the rollouts used.',
      },
    },
  },
  stop: {
    name: 'stop',
    summary: 'stop a running rollout and its running target executions',
    usage: 'stackfleet stop ROLLOUT_ID [--reason TEXT]',
    details:
      'StopExecution of the rollout, then of each of its target executions still running. Stack operations\n' +
      'already started are not cancelled: CloudFormation finishes them; the output lists those targets.\n' +
      'status, list and the summary then show the rollout as STOPPED, by whom and why.',
    options: {
      reason: { type: 'string', value: 'TEXT', description: 'Why it is stopped (shown with the rollout).' },
    },
    positionals: ['ROLLOUT_ID'],
  },
  publish: {
    name: 'publish',
    summary: 'upload a template to the artifact bucket (versioned) and validate it',
    usage: 'stackfleet publish FILE [--key KEY] [--bucket BUCKET]',
    options: {
      key: { type: 'string', value: 'KEY', description: 'Object key (default templates/<file name>).' },
      bucket: { type: 'string', value: 'BUCKET', description: 'Bucket (default: the artifact bucket).' },
    },
    positionals: ['FILE'],
  },
  incidents: {
    name: 'incidents',
    summary: 'list the tampering incidents the response recorded, per principal',
    usage: 'stackfleet incidents [--json]',
    details:
      "Reads the admin stack's incident table (DynamoDB): one line per principal with its incident count,\n" +
      'last event, account, region and time, most incidents first.',
    options: {},
  },
  sandbox: {
    name: 'sandbox',
    summary: 'run the sandbox cloud on loopback, reset its saved state, or rehearse tampering in it',
    usage:
      'stackfleet sandbox serve [--port N] [--speed K] [--scenario FILE] | stackfleet sandbox reset |\n' +
      '       stackfleet sandbox tamper --account ID [--region R] [--as root|USER] [--action ACTION] [--trail NAME]',
    details:
      'serve: the emulator on http://127.0.0.1:N for other tools (AWS_ENDPOINT_URL=http://127.0.0.1:N,\n' +
      'credentials test/test), prepared first: members bootstrapped, the admin stack deployed;\n' +
      'its clock runs K times faster than real time.\n' +
      'reset: forget every stack, bucket and execution of the sandbox and start over.\n' +
      "tamper: a principal (the account's root, or an IAM user of the scenario's accessKeys) calls\n" +
      'CloudTrail on the baseline trail (or Config on the recorder in place); the event takes the real\n' +
      'path to respond-to-tampering, and\n' +
      'the command prints what the response did (its alert). Roll the baseline out first.',
    options: {
      account: { type: 'string', value: 'ID', description: 'tamper: the member account.' },
      region: { type: 'string', value: 'REGION', description: 'tamper: the region (default us-east-1).' },
      as: {
        type: 'string',
        value: 'PRINCIPAL',
        description: "tamper: root (default) or a scenario user's name.",
      },
      action: {
        type: 'string',
        value: 'ACTION',
        description:
          'tamper: StopLogging (default), DeleteTrail, UpdateTrail, PutEventSelectors,\n' +
          'PutInsightSelectors, StopConfigurationRecorder, DeleteConfigurationRecorder or\n' +
          'DeleteDeliveryChannel.',
      },
      trail: {
        type: 'string',
        value: 'NAME',
        description:
          'tamper: the trail, recorder or delivery channel (default StackFleet-baseline, or the one in place).',
      },
      port: {
        type: 'string',
        value: 'N',
        description: 'Port to listen on (default 4566; 0 = any free port).',
      },
      speed: { type: 'string', value: 'K', description: 'Clock speed-up (default 1).' },
    },
    positionals: ['ACTION'],
  },
  ui: {
    name: 'ui',
    summary: 'watch a rollout as a picture: state machine graphs and an accounts x regions matrix',
    usage: 'stackfleet ui [ROLLOUT_ID] [--port N] [--export FILE.html]',
    details: 'Serves a page on 127.0.0.1 that reads the Step Functions API through this process.',
    options: {
      port: { type: 'string', value: 'N', description: 'Port (default: any free port).' },
      'local-engine': {
        type: 'boolean',
        description: 'Show the rollouts the local engine ran (see rollout --local-engine).',
      },
      'artifact-bucket': {
        type: 'string',
        value: 'BUCKET',
        description: 'With --local-engine: the bucket the rollouts used.',
      },
      export: {
        type: 'string',
        value: 'FILE',
        description: 'Write a self-contained HTML page of a finished rollout.',
      },
    },
    positionals: ['ROLLOUT_ID'],
  },
};

export function mainHelp(): string {
  const width = Math.max(...Object.keys(commandSpecs).map((n) => n.length)) + 2;
  return [
    'stackfleet — roll a CloudFormation baseline out to every account and region of an AWS organisation',
    '',
    'Usage: stackfleet <command> [options]',
    '',
    'Commands:',
    ...Object.values(commandSpecs).map((s) => `  ${s.name.padEnd(width)}${s.summary}`),
    '',
    "Run `stackfleet <command> --help` for a command's options.",
    '',
    ...exitCodeLines(),
  ].join('\n');
}

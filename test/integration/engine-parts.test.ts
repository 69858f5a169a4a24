/**
 * The engine's pure parts, table-driven: AWS's name rules, ItemReader parsing, the ResultWriter
 * layout, the failure-tolerance rule and the in-memory rewrite of definitions. (No sandbox
 * needed; they live beside the engine's integration tests because the engine owns them.)
 */
import { assertValidName, deterministicUuid, executionArn, parseExecutionArn } from '../../src/engine/arns';
import {
  classifyResource,
  DISTRIBUTED_MAP_RESOURCE,
  LOCAL_MAX_TIMEOUT_SECONDS,
  prepareDefinition,
} from '../../src/engine/definition';
import { exceedsTolerance } from '../../src/engine/distributed-map';
import { EngineError } from '../../src/engine/errors';
import { parseItems, splitCsvLine } from '../../src/engine/item-reader';
import { buildResultFiles } from '../../src/engine/result-writer';

describe('execution names', () => {
  it.each([
    ['111122223333-eu-west-1-8a25378a', true],
    ['a'.repeat(80), true],
    ['a'.repeat(81), false],
    ['', false],
    ['with space', false],
    ['tab\there', false],
    ['colon:name', false],
    ['slash/name', false],
    ['quote"name', false],
    ['dollar$', false],
    ['percent%', false],
    ['control\u0001', false],
    ['unicode-ü-ok', true],
  ])('%j valid: %s', (name, valid) => {
    const check = () => assertValidName('name', name);
    if (valid) expect(check).not.toThrow();
    else expect(check).toThrow(EngineError);
  });

  it('names the value received', () => {
    expect(() => assertValidName('name', 'bad name')).toThrow('Received: "bad name"');
  });

  it('builds and parses execution ARNs like AWS', () => {
    const arn = executionArn('arn:aws:states:eu-west-1:111122223333:stateMachine:stackfleet-rollout', 'r-1');
    expect(arn).toBe('arn:aws:states:eu-west-1:111122223333:execution:stackfleet-rollout:r-1');
    expect(parseExecutionArn(arn)).toEqual({
      region: 'eu-west-1',
      accountId: '111122223333',
      stateMachineName: 'stackfleet-rollout',
      name: 'r-1',
    });
  });

  it('makes stable, distinct, UUID-shaped ids', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => deterministicUuid('seed', i));
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicUuid('seed', 7)).toBe(ids[7]);
    expect(deterministicUuid('other', 7)).not.toBe(ids[7]);
  });
});

describe('ItemReader parsing', () => {
  it.each([
    ['JSON array', '[{"a":1},{"a":2}]', { InputType: 'JSON' }, [{ a: 1 }, { a: 2 }]],
    ['JSON Lines with blank lines', '{"a":1}\n\n{"a":2}\r\n', { InputType: 'JSONL' }, [{ a: 1 }, { a: 2 }]],
    [
      'CSV with header row',
      'account,region\n111,eu-west-1\n222,"us-east-1"\n',
      { InputType: 'CSV' },
      [
        { account: '111', region: 'eu-west-1' },
        { account: '222', region: 'us-east-1' },
      ],
    ],
    [
      'CSV with given headers',
      '111|eu-west-1',
      {
        InputType: 'CSV',
        CSVHeaderLocation: 'GIVEN',
        CSVHeaders: ['account', 'region'],
        CSVDelimiter: 'PIPE',
      },
      [{ account: '111', region: 'eu-west-1' }],
    ],
    ['MaxItems', '[1,2,3,4]', { InputType: 'JSON', MaxItems: 2 }, [1, 2]],
  ] as const)('%s', (_label, body, config, expected) => {
    expect(parseItems(body, config as never)).toEqual(expected);
  });

  it.each([
    ['not an array', '{"a":1}', { InputType: 'JSON' }, /must contain a JSON array/],
    ['a bad JSONL line', '{"a":1}\n{oops', { InputType: 'JSONL' }, /line 2 is not valid JSON/],
    ['an unsupported type', 'x', { InputType: 'MANIFEST' }, /Received: MANIFEST/],
  ] as const)('refuses %s, saying where', (_label, body, config, message) => {
    expect(() => parseItems(body, config as never)).toThrow(message);
  });

  it('splits quoted CSV cells with commas and doubled quotes', () => {
    expect(splitCsvLine('a,"b,c","say ""hi"""')).toEqual(['a', 'b,c', 'say "hi"']);
  });
});

describe('ResultWriter files', () => {
  const mapRunArn =
    'arn:aws:states:eu-west-1:111122223333:mapRun:stackfleet-rollout/Targets:0f0e0d0c-0000-4000-8000-000000000001';
  const entry = { Input: '{}', InputDetails: { Included: true }, Status: 'SUCCEEDED', Output: '{}' };

  it('writes only non-empty status files and a manifest listing them with sizes', () => {
    const files = buildResultFiles({
      bucket: 'b',
      prefix: 'rollouts/r1/results/',
      mapRunArn,
      succeeded: [entry],
      failed: [],
      pending: [],
    });
    const base = 'rollouts/r1/results/0f0e0d0c-0000-4000-8000-000000000001';
    expect(files.manifestKey).toBe(`${base}/manifest.json`);
    expect(files.files.map((f) => f.key)).toEqual([`${base}/SUCCEEDED_0.json`, `${base}/manifest.json`]);
    const manifest = JSON.parse(files.files[1]?.body as string);
    expect(manifest).toEqual({
      DestinationBucket: 'b',
      MapRunArn: mapRunArn,
      ResultFiles: {
        FAILED: [],
        PENDING: [],
        SUCCEEDED: [
          { Key: `${base}/SUCCEEDED_0.json`, Size: Buffer.byteLength(files.files[0]?.body as string) },
        ],
      },
    });
  });

  it('puts results at the bucket root when there is no prefix', () => {
    const files = buildResultFiles({ bucket: 'b', mapRunArn, succeeded: [], failed: [entry], pending: [] });
    expect(files.manifestKey).toBe('0f0e0d0c-0000-4000-8000-000000000001/manifest.json');
  });
});

describe('failure tolerance', () => {
  it.each([
    [0, 10, undefined, undefined, false],
    [1, 10, undefined, undefined, true],
    [2, 10, 2, undefined, false],
    [3, 10, 2, undefined, true],
    [1, 4, undefined, 25, false],
    [2, 4, undefined, 25, true],
    [3, 10, 5, 20, true],
    [2, 10, 5, 20, false],
    [1, 10, 0, 100, true],
  ])(
    '%i failed of %i with count %s / percent %s -> exceeded %s',
    (failures, total, count, percent, exceeded) => {
      expect(exceedsTolerance(failures, total, count, percent)).toBe(exceeded);
    },
  );
});

describe('definition rewrite', () => {
  const definition = JSON.stringify({
    StartAt: 'Fan out',
    States: {
      'Fan out': {
        Type: 'Map',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Deploy',
          States: {
            Deploy: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2', End: true },
          },
        },
        ResultPath: '$',
        Next: 'Notify',
      },
      Notify: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', TimeoutSeconds: 30, End: true },
    },
  });

  it('turns a Distributed Map into an engine Task, gives Tasks AWS default timeouts, keeps explicit ones', () => {
    const prepared = prepareDefinition(definition);
    expect(prepared.text).toBe(definition);
    expect(prepared.tasks.get('Fan out')?.task.kind).toBe('distributedMap');
    expect(prepared.tasks.get('Fan out')?.resource).toBe(DISTRIBUTED_MAP_RESOURCE);
    expect(prepared.tasks.get('Notify')?.timeoutSeconds).toBe(30);
    expect(prepared.displayTypes.get('Fan out')).toBe('Map');
    const processor = prepared.distributedMaps.get('Fan out')?.processor;
    expect(processor?.tasks.get('Deploy')?.timeoutSeconds).toBe(LOCAL_MAX_TIMEOUT_SECONDS);
    expect(processor?.tasks.get('Deploy')?.task).toEqual({ kind: 'startExecution', mode: 'sync2' });
    expect(prepareDefinition(definition)).toBe(prepared);
  });

  it.each([
    ['arn:aws:lambda:eu-west-1:111122223333:function:stackfleet-deploy-stack', 'lambda'],
    ['arn:aws:lambda:eu-west-1:111122223333:function:stackfleet-deploy-stack:live', 'lambda'],
    ['arn:aws:states:::lambda:invoke', 'lambdaInvoke'],
    ['arn:aws:states:::sns:publish', 'snsPublish'],
    ['arn:aws:states:::dynamodb:putItem', 'unsupported'],
  ])('classifies %s as %s', (resource, kind) => {
    expect(classifyResource(resource).kind).toBe(kind);
  });

  it('refuses a definition whose transitions point nowhere, naming the state', () => {
    const broken = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } });
    expect(() => prepareDefinition(broken)).toThrow(/Nowhere/);
  });
});

describe('intrinsic functions escape like AWS', () => {
  it('keeps JsonToString output valid JSON and unescapes only literals in States.Format', async () => {
    const { StateMachine, intrinsicEscapingPatched } = await import('../../src/engine/local-stepfunctions');
    expect(intrinsicEscapingPatched).toBe(true);
    const machine = new StateMachine(
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Pass',
            Parameters: {
              'json.$': 'States.JsonToString($.v)',
              'format.$': "States.Format('it\\'s {} \\{literal\\}', $.v.s)",
            },
            End: true,
          },
        },
      },
      { validationOptions: { noValidate: true } },
    );
    const value = { s: 'say "hi"\nC:\\path' };
    const out = (await machine.run({ v: value }).result) as { json: string; format: string };
    expect(JSON.parse(out.json)).toEqual(value);
    expect(out.format).toBe(`it's ${value.s} {literal}`);
  });
});

describe('state input copies', () => {
  it('a state sees its own copy of the input: arrays, nested objects and a __proto__ key survive', async () => {
    const { StateMachine, fastCloneJson } = await import('../../src/engine/local-stepfunctions');
    expect(fastCloneJson).toBe(true);
    const machine = new StateMachine(
      {
        StartAt: 'Keep',
        States: {
          Keep: { Type: 'Pass', ResultPath: '$.added', Result: { n: 1 }, Next: 'Again' },
          Again: { Type: 'Pass', ResultPath: '$.again', Result: [1, { x: null }], End: true },
        },
      },
      { validationOptions: { noValidate: true } },
    );
    const input = JSON.parse('{"list":[1,"a",{"b":[true,null]}],"__proto__":{"polluted":true},"n":0}');
    const out = (await machine.run(input).result) as Record<string, unknown>;
    expect(out).toEqual({
      ...JSON.parse('{"list":[1,"a",{"b":[true,null]}],"__proto__":{"polluted":true},"n":0}'),
      added: { n: 1 },
      again: [1, { x: null }],
    });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(input).toEqual(
      JSON.parse('{"list":[1,"a",{"b":[true,null]}],"__proto__":{"polluted":true},"n":0}'),
    );
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('JSONPath as the engine evaluates it', () => {
  it('answers each query from its own document, one after another', async () => {
    await import('../../src/engine/jsonpath-shim');
    const { JSONPath } = require('jsonpath-plus') as {
      JSONPath: (opts: { path: string; json: unknown; wrap: boolean }) => unknown;
    };
    const q = (path: string, json: unknown) => JSONPath({ path, json, wrap: false });
    const doc = { a: { b: 1 }, list: [{ x: 1 }, { x: 2 }], s: 'text' };
    expect(q('$.a.b', doc)).toBe(1);
    expect(q('$.list[*].x', doc)).toEqual([1, 2]);
    expect(q('$.s', doc)).toBe('text');
    expect(q('$.missing', doc)).toBeUndefined();
    expect(q('$', doc)).toBe(doc);
    expect(q('$.a.b', { a: { b: 'other' } })).toBe('other');
    expect(q('$.a', null)).toBeUndefined();
    expect(q('$.list[1]', doc)).toEqual({ x: 2 });
  });
});

import {
  matchStackEvent,
  registerStackWait,
  type StackWaitOutcome,
  type StackWaitStore,
  type StoredRecord,
  type TaskCallbacks,
} from '../../src/aws/stack-waits';
import {
  isFinal,
  parseStackStatusEvent,
  stackWaitKey,
  type WaiterRecord,
  waiterTarget,
} from '../../src/core/stack-waits';
import type { TargetProgress } from '../../src/core/target-progress';

const STACK_ID =
  'arn:aws:cloudformation:eu-west-1:123456789012:stack/stackfleet-baseline/0a1b2c3d-1111-2222-3333-444455556666';
const TOKEN = 'sf-create-ro-1-123456789012-eu-west-1';
const NOW = new Date('2026-12-02T01:00:00Z');

/** An in-memory store with S3's conditional semantics (etag per version). */
function memoryStore() {
  const objects = new Map<string, StoredRecord>();
  let version = 0;
  const store: StackWaitStore = {
    async get(key) {
      const found = objects.get(key);
      return found ? { record: structuredClone(found.record), etag: found.etag } : undefined;
    },
    async create(key, record) {
      if (objects.has(key)) return false;
      objects.set(key, { record: structuredClone(record), etag: `"v${++version}"` });
      return true;
    },
    async replace(key, record, etag) {
      if (objects.get(key)?.etag !== etag) return false;
      objects.set(key, { record: structuredClone(record), etag: `"v${++version}"` });
      return true;
    },
    async remove(key, etag) {
      if (objects.get(key)?.etag === etag) objects.delete(key);
    },
  };
  return { store, objects };
}

function callbacks(answer: 'sent' | 'closed' = 'sent') {
  const sent: Array<{ token: string; outcome: StackWaitOutcome }> = [];
  const cb: TaskCallbacks = {
    async send(token, outcome) {
      sent.push({ token, outcome });
      return answer;
    },
  };
  return { cb, sent };
}

function waiter(taskToken = 'task-token-1', expiresAt = '2026-12-02T02:00:00Z'): WaiterRecord {
  const progress: TargetProgress = {
    status: 'IN_PROGRESS',
    accountId: '123456789012',
    region: 'eu-west-1',
    stackName: 'stackfleet-baseline',
    startedAt: '2026-12-02T00:58:00Z',
    stackId: STACK_ID,
    operation: 'CREATE',
    clientRequestToken: TOKEN,
    operationStartedAt: '2026-12-02T00:58:00Z',
    checks: 0,
    waitSeconds: 60,
    reason: 'Creating',
  };
  return { kind: 'waiter', taskToken, expiresAt, registeredAt: NOW.toISOString(), target: {}, progress };
}

function statusEvent(status: string, token = TOKEN, reason = '') {
  return {
    version: '0',
    id: 'e-1',
    'detail-type': 'CloudFormation Stack Status Change',
    source: 'aws.cloudformation',
    account: '123456789012',
    region: 'eu-west-1',
    time: '2026-12-02T00:59:30Z',
    resources: [STACK_ID],
    detail: {
      'stack-id': STACK_ID,
      'status-details': { status, 'status-reason': reason },
      'client-request-token': token,
    },
  };
}

const succeed = async (): Promise<StackWaitOutcome> => ({ kind: 'success', output: { status: 'SUCCEEDED' } });

describe('stackWaitKey: one key per stack operation', () => {
  it('names account, region, stack, stack uuid and the operation token', () => {
    expect(stackWaitKey(STACK_ID, TOKEN)).toBe(
      `stack-waits/123456789012/eu-west-1/stackfleet-baseline/0a1b2c3d-1111-2222-3333-444455556666/${TOKEN}.json`,
    );
  });
  it('gives another operation of the same stack another key', () => {
    expect(stackWaitKey(STACK_ID, 'sf-update-ro-2')).not.toBe(stackWaitKey(STACK_ID, TOKEN));
  });
  it.each([
    [
      'a stack name instead of its id',
      'stackfleet-baseline',
      TOKEN,
      'stackId must be a CloudFormation stack ARN. Received: stackfleet-baseline',
    ],
    [
      'a token with a slash',
      STACK_ID,
      'a/b',
      'clientRequestToken must be 1-128 of [a-zA-Z0-9-]. Received: a/b',
    ],
    ['an empty token', STACK_ID, '', 'clientRequestToken must be 1-128 of [a-zA-Z0-9-]. Received: '],
  ])('refuses %s', (_name, stackId, token, message) => {
    expect(() => stackWaitKey(stackId, token)).toThrow(message);
  });
});

describe('parseStackStatusEvent: the fields of CloudFormation event-detail-stack-status-change', () => {
  it('reads stack id, status, reason, token and time', () => {
    const facts = parseStackStatusEvent(
      statusEvent('CREATE_FAILED', TOKEN, 'The following resource(s) failed'),
    );
    expect(facts).toEqual({
      stackId: STACK_ID,
      status: 'CREATE_FAILED',
      reason: 'The following resource(s) failed',
      clientRequestToken: TOKEN,
      time: '2026-12-02T00:59:30Z',
      phase: 'failed',
    });
    expect(isFinal(facts)).toBe(true);
  });
  it('an in-progress status is not final', () => {
    expect(isFinal(parseStackStatusEvent(statusEvent('UPDATE_IN_PROGRESS')))).toBe(false);
  });
  it.each([
    [
      'another source',
      { source: 'aws.s3' },
      'source must be that of a CloudFormation Stack Status Change event. Received: "aws.s3"',
    ],
    [
      'a drift event',
      { 'detail-type': 'CloudFormation Drift Detection Status Change' },
      'detail-type must be',
    ],
    [
      'no stack id',
      { detail: { 'status-details': { status: 'CREATE_COMPLETE' } } },
      'detail.stack-id must be',
    ],
    ['no status', { detail: { 'stack-id': STACK_ID } }, 'detail.status-details.status must be'],
  ])('refuses %s, naming the field', (_name, change, message) => {
    expect(() => parseStackStatusEvent({ ...statusEvent('CREATE_COMPLETE'), ...change })).toThrow(message);
  });
});

describe('waiterTarget keeps what the matcher needs and nothing else', () => {
  it('drops parameters and tags', () => {
    const kept = waiterTarget({
      accountId: '123456789012',
      stackName: 's',
      parameters: { Secret: 'x' },
      tags: {},
    });
    expect(kept).toEqual({ accountId: '123456789012', stackName: 's' });
  });
});

describe('registerStackWait and matchStackEvent meet in the store', () => {
  const key = stackWaitKey(STACK_ID, TOKEN);

  it('an event after the registration completes the task and removes the waiter', async () => {
    const { store, objects } = memoryStore();
    const { cb, sent } = callbacks();
    expect(await registerStackWait(store, waiter(), NOW)).toEqual({ registered: true, key, replaced: false });
    const result = await matchStackEvent(
      store,
      cb,
      parseStackStatusEvent(statusEvent('CREATE_COMPLETE')),
      NOW,
      succeed,
    );
    expect(result).toEqual({ result: 'completed', key, outcome: 'success' });
    expect(sent.map((s) => s.token)).toEqual(['task-token-1']);
    expect(objects.has(key)).toBe(false);
  });

  it('an event before the registration is kept, and the registration finds it instead of waiting', async () => {
    const { store, objects } = memoryStore();
    const { cb, sent } = callbacks();
    const kept = await matchStackEvent(
      store,
      cb,
      parseStackStatusEvent(statusEvent('CREATE_COMPLETE')),
      NOW,
      succeed,
    );
    expect(kept).toMatchObject({ result: 'kept', why: 'nobody waits for this operation yet' });
    const registered = await registerStackWait(store, waiter(), NOW);
    expect(registered).toMatchObject({ registered: false, eventFirst: { status: 'CREATE_COMPLETE' } });
    expect(sent).toEqual([]);
    expect(objects.has(key)).toBe(false);
  });

  it('a duplicate event after completion is kept for nobody and sends nothing twice', async () => {
    const { store } = memoryStore();
    const { cb, sent } = callbacks();
    await registerStackWait(store, waiter(), NOW);
    const facts = parseStackStatusEvent(statusEvent('CREATE_COMPLETE'));
    await matchStackEvent(store, cb, facts, NOW, succeed);
    await matchStackEvent(store, cb, facts, NOW, succeed);
    expect(await matchStackEvent(store, cb, facts, NOW, succeed)).toEqual({ result: 'duplicate', key });
    expect(sent).toHaveLength(1);
  });

  it("an event of an older operation does not touch this operation's waiter", async () => {
    const { store, objects } = memoryStore();
    const { cb, sent } = callbacks();
    await registerStackWait(store, waiter(), NOW);
    await matchStackEvent(
      store,
      cb,
      parseStackStatusEvent(statusEvent('UPDATE_COMPLETE', 'sf-update-ro-0')),
      NOW,
      succeed,
    );
    expect(sent).toEqual([]);
    expect(objects.get(key)?.record.kind).toBe('waiter');
  });

  it('an event without a ClientRequestToken is ignored', async () => {
    const { store, objects } = memoryStore();
    const { cb } = callbacks();
    const result = await matchStackEvent(
      store,
      cb,
      parseStackStatusEvent(statusEvent('CREATE_COMPLETE', '')),
      NOW,
      succeed,
    );
    expect(result.result).toBe('ignored');
    expect(objects.size).toBe(0);
  });

  it("an event whose waiter's task already timed out is kept for the task's next wait", async () => {
    const { store, objects } = memoryStore();
    const { cb } = callbacks('closed');
    await registerStackWait(store, waiter(), NOW);
    const result = await matchStackEvent(
      store,
      cb,
      parseStackStatusEvent(statusEvent('CREATE_COMPLETE')),
      NOW,
      succeed,
    );
    expect(result).toMatchObject({ result: 'kept', why: "the waiter's task had already closed" });
    expect(objects.get(key)?.record).toMatchObject({ kind: 'event', status: 'CREATE_COMPLETE' });
    const again = await registerStackWait(store, waiter('task-token-2'), NOW);
    expect(again.registered).toBe(false);
  });

  it('an expired waiter is replaced by the event, a newer waiter replaces an older one', async () => {
    const { store, objects } = memoryStore();
    const { cb, sent } = callbacks();
    await registerStackWait(store, waiter('old', '2026-12-02T00:00:00Z'), NOW);
    expect(await registerStackWait(store, waiter('new'), NOW)).toEqual({
      registered: true,
      key,
      replaced: true,
    });
    expect(objects.get(key)?.record).toMatchObject({ kind: 'waiter', taskToken: 'new' });
    await matchStackEvent(store, cb, parseStackStatusEvent(statusEvent('CREATE_COMPLETE')), NOW, succeed);
    expect(sent.map((s) => s.token)).toEqual(['new']);
  });

  it('an expired event is not taken for this registration', async () => {
    const { store } = memoryStore();
    const { cb } = callbacks();
    await matchStackEvent(store, cb, parseStackStatusEvent(statusEvent('CREATE_COMPLETE')), NOW, succeed);
    const muchLater = new Date(NOW.getTime() + 2 * 3600 * 1000);
    expect(await registerStackWait(store, waiter('t', '2026-12-02T05:00:00Z'), muchLater)).toMatchObject({
      registered: true,
      replaced: true,
    });
  });
});

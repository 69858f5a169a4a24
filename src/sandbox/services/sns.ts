/**
 * SNS: topics and published messages. Messages are kept in the world state (not delivered) so
 * tests and people can read what a rollout announced; `readSnsMessages` is the way to read them.
 */

import { xmlMap } from '../protocols/xml';
import { AwsError, type OperationContext, type ServiceEmulator } from '../types';
import { own, setOwn } from '../world';

/** A message as published. */
export interface SnsMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  /** Virtual epoch ms. */
  publishedAt: number;
  /** Account that published. */
  publisher: string;
  attributes?: Record<string, string>;
}

export interface SnsState {
  counter: number;
  topics: Record<
    string,
    { name: string; owner: string; region: string; createdAt: number; attributes: Record<string, string> }
  >;
  messages: SnsMessage[];
}

/** Messages kept in SNS state that could be a lot; the oldest are dropped past this. */
const MAX_MESSAGES = 10_000;

export function snsState(world: { section<T extends object>(name: string, init: () => T): T }): SnsState {
  return world.section<SnsState>('sns', () => ({ counter: 0, topics: {}, messages: [] }));
}

/** Messages published to a topic (or all topics), oldest first. */
export function readSnsMessages(
  world: { section<T extends object>(name: string, init: () => T): T },
  topicArn?: string,
): SnsMessage[] {
  const messages = snsState(world).messages;
  return topicArn === undefined ? [...messages] : messages.filter((m) => m.topicArn === topicArn);
}

function topicName(value: unknown): string {
  const name = String(value ?? '');
  if (!/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(name)) {
    throw new AwsError('InvalidParameter', `Invalid parameter: Topic Name. Received: ${name}`);
  }
  return name;
}

function findTopic(state: SnsState, arn: unknown) {
  const topic = typeof arn === 'string' ? own(state.topics, arn) : undefined;
  if (!topic) throw new AwsError('NotFound', 'Topic does not exist', 404);
  return topic;
}

/**
 * Keeps a message published to a topic (by Publish, or by a service such as EventBridge delivering
 * to a topic target, which authorizes on its own) and returns its MessageId.
 */
export function recordSnsMessage(
  world: { section<T extends object>(name: string, init: () => T): T; now(): number },
  input: {
    topicArn: string;
    message: string;
    publisher: string;
    subject?: string;
    attributes?: Record<string, string>;
  },
): string {
  const state = snsState(world);
  state.counter += 1;
  const hex = state.counter.toString(16).padStart(12, '0');
  const messageId = `5a7d1e0c-0000-4000-8000-${hex}`;
  const record: SnsMessage = {
    messageId,
    topicArn: input.topicArn,
    message: input.message,
    publishedAt: world.now(),
    publisher: input.publisher,
  };
  if (input.subject !== undefined) record.subject = input.subject;
  if (input.attributes !== undefined) record.attributes = input.attributes;
  state.messages.push(record);
  if (state.messages.length > MAX_MESSAGES) state.messages.splice(0, state.messages.length - MAX_MESSAGES);
  return messageId;
}

export function createSnsService(): ServiceEmulator {
  return {
    signingName: 'sns',
    protocol: 'query',
    xmlNamespace: 'http://sns.amazonaws.com/doc/2010-03-31/',
    operations: {
      CreateTopic(p, ctx: OperationContext) {
        const name = topicName(p.Name);
        const arn = `arn:aws:sns:${ctx.region}:${ctx.caller.accountId}:${name}`;
        const state = snsState(ctx.world);
        if (!own(state.topics, arn)) {
          const attributes: Record<string, string> = {};
          if (p.Attributes && typeof p.Attributes === 'object') {
            for (const [k, v] of Object.entries(p.Attributes as Record<string, unknown>))
              attributes[k] = String(v);
          }
          setOwn(state.topics, arn, {
            name,
            owner: ctx.caller.accountId,
            region: ctx.region,
            createdAt: ctx.now(),
            attributes,
          });
        }
        return { TopicArn: arn };
      },
      DeleteTopic(p, ctx) {
        const state = snsState(ctx.world);
        if (typeof p.TopicArn === 'string') delete state.topics[p.TopicArn];
        return {};
      },
      ListTopics(p, ctx) {
        const state = snsState(ctx.world);
        const arns = Object.keys(state.topics)
          .filter((arn) => {
            const t = state.topics[arn];
            return t?.owner === ctx.caller.accountId && t.region === ctx.region;
          })
          .sort();
        const start = p.NextToken ? Number(Buffer.from(String(p.NextToken), 'base64').toString('utf8')) : 0;
        if (!Number.isInteger(start) || start < 0)
          throw new AwsError('InvalidParameter', 'Invalid parameter: NextToken');
        const slice = arns.slice(start, start + 100);
        const next =
          start + 100 < arns.length ? Buffer.from(String(start + 100)).toString('base64') : undefined;
        return { Topics: slice.map((TopicArn) => ({ TopicArn })), NextToken: next };
      },
      GetTopicAttributes(p, ctx) {
        const state = snsState(ctx.world);
        const topic = findTopic(state, p.TopicArn);
        return {
          Attributes: xmlMap({
            ...topic.attributes,
            TopicArn: String(p.TopicArn),
            Owner: topic.owner,
            SubscriptionsConfirmed: '0',
            SubscriptionsPending: '0',
          }),
        };
      },
      Publish(p, ctx) {
        const state = snsState(ctx.world);
        const arn = p.TopicArn ?? p.TargetArn;
        const topic = findTopic(state, arn);
        if (topic.owner !== ctx.caller.accountId) {
          throw new AwsError(
            'AuthorizationError',
            `User: ${ctx.caller.arn} is not authorized to perform: SNS:Publish on resource: ${String(arn)}`,
            403,
          );
        }
        const message = p.Message;
        if (typeof message !== 'string' || message === '')
          throw new AwsError('InvalidParameter', 'Invalid parameter: Empty message');
        if (Buffer.byteLength(message) > 262_144) {
          throw new AwsError('InvalidParameter', 'Invalid parameter: Message too long');
        }
        const attributes: Record<string, string> = {};
        if (p.MessageAttributes && typeof p.MessageAttributes === 'object') {
          for (const [k, v] of Object.entries(
            p.MessageAttributes as Record<string, { StringValue?: string }>,
          )) {
            if (v && typeof v.StringValue === 'string') attributes[k] = v.StringValue;
          }
        }
        const messageId = recordSnsMessage(ctx.world, {
          topicArn: String(arn),
          message,
          publisher: ctx.caller.accountId,
          ...(typeof p.Subject === 'string' ? { subject: p.Subject } : {}),
          ...(p.MessageAttributes && typeof p.MessageAttributes === 'object' ? { attributes } : {}),
        });
        return { MessageId: messageId };
      },
    },
  };
}

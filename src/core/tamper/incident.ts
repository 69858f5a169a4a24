/**
 * The incident record in DynamoDB (the admin account's table, keyed by principal) and the
 * conditional write that makes a duplicate delivery count once: one UpdateItem adds the event id
 * to a string set and the count by one, on the condition that the set does not hold the id yet
 * (DynamoDB Developer Guide, Expressions.ConditionExpressions; ADD on a number is atomic, so two
 * different events for the same principal at once both count). A ConditionalCheckFailedException
 * means this event was already recorded: the response ends there.
 */
import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { TamperEvent } from './read-event';

export const INCIDENT_KEY = 'principal';

export function incidentUpdate(table: string, event: TamperEvent, nowIso: string): UpdateItemCommandInput {
  const entry = {
    M: {
      eventId: { S: event.eventId },
      eventName: { S: event.eventName },
      account: { S: event.account },
      region: { S: event.region },
      eventTime: { S: event.eventTime },
      recordedAt: { S: nowIso },
    },
  };
  return {
    TableName: table,
    Key: { [INCIDENT_KEY]: { S: event.principal.key } },
    UpdateExpression:
      'ADD incidentCount :one, eventIds :ids SET principalLabel = :label, principalKind = :kind, lastEventName = :name, lastAccount = :account, lastRegion = :region, lastSeen = :now, history = list_append(if_not_exists(history, :empty), :entry)',
    ConditionExpression: 'attribute_not_exists(eventIds) OR NOT contains(eventIds, :id)',
    ExpressionAttributeValues: {
      ':one': { N: '1' },
      ':ids': { SS: [event.eventId] },
      ':id': { S: event.eventId },
      ':label': { S: event.principal.label },
      ':kind': { S: event.principal.kind },
      ':name': { S: event.eventName },
      ':account': { S: event.account },
      ':region': { S: event.region },
      ':now': { S: nowIso },
      ':empty': { L: [] },
      ':entry': { L: [entry] },
    },
    ReturnValues: 'ALL_NEW',
  };
}

/** One incident as `stackfleet incidents` lists it. */
export interface IncidentSummary {
  principal: string;
  label: string;
  kind: string;
  count: number;
  lastEventName: string;
  lastAccount: string;
  lastRegion: string;
  lastSeen: string;
}

type Attr = { S?: string; N?: string };

/** Reads an item of the table (DynamoDB's attribute-value shape) into a summary. */
export function incidentOf(item: Record<string, Attr>): IncidentSummary {
  const s = (k: string) => item[k]?.S ?? '';
  return {
    principal: s(INCIDENT_KEY),
    label: s('principalLabel'),
    kind: s('principalKind'),
    count: Number(item.incidentCount?.N ?? 0),
    lastEventName: s('lastEventName'),
    lastAccount: s('lastAccount'),
    lastRegion: s('lastRegion'),
    lastSeen: s('lastSeen'),
  };
}

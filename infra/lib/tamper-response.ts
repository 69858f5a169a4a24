import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { INCIDENT_KEY } from '../../src/core/tamper/incident';

/**
 * The CloudTrail and Config calls that count as tampering (issue 16): the baseline forwards them
 * from every target to this account's default bus, and the rule below starts the response.
 */
export const TamperingEventNames = {
  cloudtrail: ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'PutInsightSelectors'],
  config: ['StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel'],
} as const;

export interface IncidentStoreProps {
  /** @default RemovalPolicy.RETAIN: incidents are audit evidence */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The incident table (keyed by principal, see src/core/tamper/incident.ts) with point-in-time
 * recovery and a customer managed key of its own: incidents are evidence, and only the recorder
 * (and an operator listing them) should read them.
 */
export class IncidentStore extends Construct {
  readonly table: dynamodb.Table;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: IncidentStoreProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, 'Key', {
      description: 'stackfleet tamper incidents',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: INCIDENT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
  }
}

/**
 * The rule on the default bus that starts respond-to-tampering for every forwarded tampering event
 * (the bus policy that lets the organisation put them is the admin stack's). The response alerts
 * with one readable message, so the raw event is not sent to the topic as well.
 */
export function addTamperResponseRule(scope: Construct, machine: sfn.IStateMachine): events.Rule {
  const rule = new events.Rule(scope, 'CloudTrailTamperingInOrganization', {
    description:
      'CloudTrail or Config stopped, deleted or changed in a target account (forwarded by the baseline): respond.',
    eventPattern: {
      source: ['aws.cloudtrail', 'aws.config'],
      detailType: ['AWS API Call via CloudTrail'],
      detail: { eventName: [...TamperingEventNames.cloudtrail, ...TamperingEventNames.config] },
    },
  });
  // EventBridge delivers at least once and retries; the response counts a duplicate once.
  rule.addTarget(new eventsTargets.SfnStateMachine(machine, { retryAttempts: 8 }));
  return rule;
}

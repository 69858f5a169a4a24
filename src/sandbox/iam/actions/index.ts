/**
 * The IAM mapping of every sandbox operation, by signing name. An operation without a mapping is
 * a sandbox bug (it would otherwise be allowed to anyone): the request path refuses it loudly, and
 * a unit test checks that every registered operation has one.
 */
import { cloudFormationActions } from './cloudformation';
import { cloudTrailActions, configActions } from './cloudtrail';
import { dynamoDbActions } from './dynamodb';
import { ec2Actions } from './ec2';
import { eventsActions } from './events';
import { iamActions } from './iam';
import { lambdaActions } from './lambda';
import { organizationsActions } from './organizations';
import { s3Actions } from './s3';
import { snsActions } from './sns';
import { statesActions } from './states';
import { stsActions } from './sts';
import type { ActionMapping, ServiceActions } from './types';

export type { ActionEnv, ActionMapping, ServiceActions } from './types';

const BY_SERVICE: Record<string, ServiceActions> = {
  sts: stsActions,
  s3: s3Actions,
  sns: snsActions,
  ec2: ec2Actions,
  organizations: organizationsActions,
  states: statesActions,
  cloudformation: cloudFormationActions,
  lambda: lambdaActions,
  events: eventsActions,
  cloudtrail: cloudTrailActions,
  config: configActions,
  iam: iamActions,
  dynamodb: dynamoDbActions,
};

/** Adds (or replaces) the mapping of a service, for emulators registered outside the defaults. */
export function registerServiceActions(signingName: string, actions: ServiceActions): void {
  BY_SERVICE[signingName] = { ...(BY_SERVICE[signingName] ?? {}), ...actions };
}

/** The mapping of an operation, or undefined when the sandbox has none. */
export function actionMappingFor(signingName: string, operation: string): ActionMapping | undefined {
  const service = BY_SERVICE[signingName];
  return service && Object.hasOwn(service, operation) ? service[operation] : undefined;
}

import * as logs from 'aws-cdk-lib/aws-logs';
import { CONTAINMENT_MODES, type ContainmentMode } from '../../src/core/tamper/containment';
import type { StackFleetAdminStackProps } from './admin-stack';

/**
 * Maps CDK context (`-c key=value`, strings) onto the stack's props, so `cdk deploy` and the
 * deploy script configure the same things. Bad values name the context key and the value.
 */
export function adminStackPropsFromContext(get: (key: string) => unknown): {
  stackName: string;
  props: StackFleetAdminStackProps;
} {
  const text = (key: string): string | undefined => {
    const value = get(key);
    if (value === undefined || value === null || value === '') return undefined;
    return String(value);
  };
  const props: {
    -readonly [K in keyof StackFleetAdminStackProps]: StackFleetAdminStackProps[K];
  } = {};
  const organizationId = text('organizationId');
  if (organizationId) props.organizationId = organizationId;
  const rootId = text('organizationRootId');
  if (rootId) props.organizationRootId = rootId;
  const roleName = text('executionRoleName');
  if (roleName) props.executionRoleName = roleName;
  const externalId = text('externalId');
  if (externalId) props.externalId = externalId;
  const containment = text('containment');
  if (containment !== undefined) {
    if (!(CONTAINMENT_MODES as readonly string[]).includes(containment)) {
      throw new Error(
        `context containment must be one of ${CONTAINMENT_MODES.join(', ')}. Received: ${containment}`,
      );
    }
    props.containment = containment as ContainmentMode;
  }
  const email = text('notificationEmail');
  if (email) props.notificationEmail = email;

  const enabled = text('driftScheduleEnabled');
  if (enabled !== undefined && enabled !== 'true' && enabled !== 'false') {
    throw new Error(`context driftScheduleEnabled must be true or false. Received: ${enabled}`);
  }
  const expression = text('driftSchedule');
  props.driftSchedule = {
    enabled: enabled === 'true',
    ...(expression ? { expression } : {}),
  };

  const retention = text('logRetentionDays');
  if (retention !== undefined) {
    const days = Number(retention);
    const allowed = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
    if (!allowed.includes(days)) {
      throw new Error(
        `context logRetentionDays must be one of ${allowed.join(', ')}. Received: ${retention}`,
      );
    }
    props.logRetention = days as logs.RetentionDays;
  }
  return { stackName: text('stackName') ?? 'StackFleetAdmin', props };
}

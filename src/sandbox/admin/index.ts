/**
 * Everything a new sandbox world needs before stackfleet can run in it, done the way an operator
 * does it on AWS: member accounts bootstrapped with templates/execution-role.yaml, the admin stack
 * deployed from the CDK app. Runs through the real SDK clients (src/aws/clients.ts must point at
 * the sandbox) and under the sandbox's clock; a world that is already prepared is only read.
 */
import { awsClients } from '../../aws/clients';
import type { ProvisionedAdmin } from '../../engine/provision';
import type { SandboxWorld } from '../types';
import { bootstrapMemberAccounts } from './bootstrap';
import { applyScenarioPatches } from './patches';
import { provisionAdminStack } from './provision';

export { BOOTSTRAP_STACK_NAME } from './bootstrap';

export interface PrepareOptions {
  /** The admin account (default: the scenario's admin account, else the management account). */
  adminAccountId?: string;
  region: string;
  /** Credentials of the management account's root (for the bootstrap). */
  managementCredentials: { accessKeyId: string; secretAccessKey: string };
}

interface PreparedMarker {
  bootstrapped: boolean;
}

/** Bootstraps the members once per world, then deploys or reuses the admin stack. */
export async function prepareSandbox(
  world: SandboxWorld,
  options: PrepareOptions,
): Promise<ProvisionedAdmin> {
  const scenario = world.scenario;
  const adminAccountId =
    options.adminAccountId ?? scenario.adminAccountId ?? scenario.organization.managementAccountId;
  // The scenario's injected throttling is weather for the rollout it rehearses; the operator's setup
  // (bootstrap, `cdk deploy`) happened before, and the tools that did it retry until they are through.
  const { faults } = scenario;
  const throttle = Object.getOwnPropertyDescriptor(faults, 'throttle');
  if (throttle) delete faults.throttle;
  try {
    const marker = world.section<PreparedMarker>('prepared', () => ({ bootstrapped: false }));
    if (!marker.bootstrapped) {
      await bootstrapMemberAccounts(world, {
        adminAccountId,
        region: options.region,
        managementCredentials: options.managementCredentials,
      });
      marker.bootstrapped = true;
    }
    const admin = await provisionAdminStack(
      world,
      {
        cloudFormation: awsClients.cloudFormation({ region: options.region }),
        s3: awsClients.s3({ region: options.region }),
      },
      {
        accountId: adminAccountId,
        region: options.region,
        organizationId: scenario.organization.id,
        organizationRootId: scenario.organization.rootId,
        executionRoleName: scenario.executionRoleName,
        ...(scenario.tamperResponse?.containment ? { containment: scenario.tamperResponse.containment } : {}),
      },
    );
    applyScenarioPatches(world, admin);
    return admin;
  } finally {
    if (throttle) Object.defineProperty(faults, 'throttle', throttle);
  }
}

/**
 * The sandbox's CloudFormation service (query protocol, API version 2010-05-15), per account
 * (the signing caller's) and region. Operations are thin: each builds the call's environment,
 * counts the call for the benchmarks, refuses regions not enabled for the account the way AWS
 * does, and hands over to the logic in `src/sandbox/cfn/`.
 */
import * as changeSets from '../cfn/changesets';
import { type OpEnv, opEnv } from '../cfn/common';
import * as drift from '../cfn/drift';
import * as quotas from '../cfn/quotas';
import '../cfn/effects';
import * as stacks from '../cfn/stack-ops';
import * as stackReads from '../cfn/stack-reads';
import * as templates from '../cfn/template-ops';
import { AwsError, type Operation, type OperationContext, type ServiceEmulator } from '../types';

type Handler = (env: OpEnv, params: Record<string, unknown>) => unknown;

const HANDLERS: Record<string, Handler> = {
  CreateStack: stacks.createStack,
  UpdateStack: stacks.updateStack,
  DeleteStack: stacks.deleteStack,
  DescribeStacks: stackReads.describeStacks,
  ListStacks: stackReads.listStacks,
  DescribeStackEvents: stackReads.describeStackEvents,
  DescribeStackResources: stackReads.describeStackResources,
  DescribeStackResource: stackReads.describeStackResource,
  ListStackResources: stackReads.listStackResources,
  ContinueUpdateRollback: stacks.continueUpdateRollback,
  UpdateTerminationProtection: stacks.updateTerminationProtection,
  ValidateTemplate: templates.validateTemplate,
  GetTemplate: stackReads.getTemplate,
  GetTemplateSummary: templates.getTemplateSummary,
  CreateChangeSet: changeSets.createChangeSet,
  DescribeChangeSet: changeSets.describeChangeSet,
  ExecuteChangeSet: changeSets.executeChangeSet,
  DeleteChangeSet: changeSets.deleteChangeSet,
  ListChangeSets: changeSets.listChangeSets,
  DetectStackDrift: drift.detectStackDrift,
  DescribeStackDriftDetectionStatus: drift.describeStackDriftDetectionStatus,
  DescribeStackResourceDrifts: drift.describeStackResourceDrifts,
  DetectStackResourceDrift: drift.detectStackResourceDrift,
  DescribeAccountLimits: quotas.describeAccountLimits,
};

function wrap(handler: Handler): Operation {
  return (params: Record<string, unknown> | undefined, ctx: OperationContext) => {
    if (!ctx.world.isRegionEnabled(ctx.caller.accountId, ctx.region)) {
      // AWS answers calls into an opt-in region the account has not enabled as an unknown token.
      throw new AwsError(
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
        403,
      );
    }
    return handler(opEnv(ctx), params ?? {});
  };
}

/** The CloudFormation emulator registered by `services/index.ts`. */
export function createCloudFormationService(): ServiceEmulator {
  const operations: Record<string, Operation> = {};
  for (const [name, handler] of Object.entries(HANDLERS)) operations[name] = wrap(handler);
  return {
    signingName: 'cloudformation',
    protocol: 'query',
    xmlNamespace: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
    operations,
  };
}

export { deleteStackOutOfBand, forceStackStatus, injectResourceFailure, markDrifted } from '../cfn/faults';
export { settleDue } from '../cfn/settle-due';

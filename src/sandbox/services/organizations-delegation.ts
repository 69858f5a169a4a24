/**
 * Organizations delegation: trusted service access, delegated administrators and the
 * resource-based delegation policy, with the API Reference's rules and errors (only the
 * management account changes them; a registration needs service access first, a member account,
 * an active one, and not a duplicate).
 */
import { AwsErrorWithFields } from '../protocols/json';
import { AwsError, type Operation } from '../types';
import {
  accountShape,
  DELEGATABLE_SERVICE_PRINCIPALS,
  managementWorld,
  organizationsState,
  page,
  readerWorld,
  requiredParam,
} from './organizations-common';

const ACCOUNT_ID = /^\d{12}$/;
const SERVICE_PRINCIPAL = /^[\w+=,.@-]*$/;

function constraint(reason: string, message: string): AwsError {
  return new AwsErrorWithFields('ConstraintViolationException', message, { Reason: reason });
}

function recognised(principal: string): string {
  if (!DELEGATABLE_SERVICE_PRINCIPALS.includes(principal)) {
    throw new AwsErrorWithFields(
      'InvalidInputException',
      `You specified a service principal that isn't recognized. Received: ${principal}`,
      { Reason: 'UNRECOGNIZED_SERVICE_PRINCIPAL' },
    );
  }
  return principal;
}

function accountNotFound(): AwsError {
  return new AwsError('AccountNotFoundException', "You specified an account that doesn't exist.");
}

export const delegationOperations: Record<string, Operation> = {
  EnableAWSServiceAccess(p, ctx) {
    managementWorld(ctx);
    const principal = recognised(requiredParam(p, 'ServicePrincipal', SERVICE_PRINCIPAL));
    const state = organizationsState(ctx.world);
    state.enabledServices[principal] ??= ctx.now();
    return {};
  },
  DisableAWSServiceAccess(p, ctx) {
    managementWorld(ctx);
    const principal = recognised(requiredParam(p, 'ServicePrincipal', SERVICE_PRINCIPAL));
    delete organizationsState(ctx.world).enabledServices[principal];
    return {};
  },
  ListAWSServiceAccessForOrganization(p, ctx) {
    readerWorld(ctx, 'ListAWSServiceAccessForOrganization');
    const enabled = Object.entries(organizationsState(ctx.world).enabledServices)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([ServicePrincipal, at]) => ({ ServicePrincipal, DateEnabled: new Date(at) }));
    const { page: items, NextToken } = page(enabled, p, 'ListAWSServiceAccessForOrganization');
    return { EnabledServicePrincipals: items, NextToken };
  },
  RegisterDelegatedAdministrator(p, ctx) {
    const world = managementWorld(ctx);
    const accountId = requiredParam(p, 'AccountId', ACCOUNT_ID);
    const principal = recognised(requiredParam(p, 'ServicePrincipal', SERVICE_PRINCIPAL));
    const account = world.accounts.get(accountId);
    if (!account) throw accountNotFound();
    if (accountId === world.managementAccountId) {
      throw constraint(
        'CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR',
        'You cannot register management account/yourself as delegated administrator for your organization.',
      );
    }
    if (account.status === 'SUSPENDED') {
      throw constraint(
        'CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR',
        `You cannot register a suspended account as a delegated administrator. Received: ${accountId}`,
      );
    }
    const state = organizationsState(world);
    if (state.enabledServices[principal] === undefined) {
      throw constraint(
        'SERVICE_ACCESS_NOT_ENABLED',
        `You attempted to register a delegated administrator before you enabled service access. Call the EnableAWSServiceAccess API first. Received: ${principal}`,
      );
    }
    if (
      state.delegatedAdministrators.some((d) => d.accountId === accountId && d.servicePrincipal === principal)
    ) {
      throw new AwsError(
        'AccountAlreadyRegisteredException',
        `The specified account is already a delegated administrator for this AWS service. Received: ${accountId}, ${principal}`,
      );
    }
    state.delegatedAdministrators.push({
      accountId,
      servicePrincipal: principal,
      delegationEnabledDate: ctx.now(),
    });
    return {};
  },
  DeregisterDelegatedAdministrator(p, ctx) {
    const world = managementWorld(ctx);
    const accountId = requiredParam(p, 'AccountId', ACCOUNT_ID);
    const principal = recognised(requiredParam(p, 'ServicePrincipal', SERVICE_PRINCIPAL));
    if (!world.accounts.get(accountId)) throw accountNotFound();
    const state = organizationsState(world);
    const index = state.delegatedAdministrators.findIndex(
      (d) => d.accountId === accountId && d.servicePrincipal === principal,
    );
    if (index < 0) {
      throw new AwsError(
        'AccountNotRegisteredException',
        `The specified account is not a delegated administrator for this AWS service. Received: ${accountId}, ${principal}`,
      );
    }
    state.delegatedAdministrators.splice(index, 1);
    return {};
  },
  ListDelegatedAdministrators(p, ctx) {
    const world = readerWorld(ctx, 'ListDelegatedAdministrators');
    const filter = p.ServicePrincipal === undefined ? undefined : String(p.ServicePrincipal);
    const records = organizationsState(world).delegatedAdministrators.filter(
      (d) => filter === undefined || d.servicePrincipal === filter,
    );
    // One entry per account, dated by its first registration.
    const byAccount = new Map<string, number>();
    for (const d of records)
      byAccount.set(
        d.accountId,
        Math.min(byAccount.get(d.accountId) ?? d.delegationEnabledDate, d.delegationEnabledDate),
      );
    const admins = [...byAccount.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([id, at]) => {
        const account = world.accounts.get(id);
        return account ? [{ ...accountShape(world, account), DelegationEnabledDate: new Date(at) }] : [];
      });
    const { page: items, NextToken } = page(admins, p, `ListDelegatedAdministrators:${filter ?? ''}`);
    return { DelegatedAdministrators: items, NextToken };
  },
  ListDelegatedServicesForAccount(p, ctx) {
    const world = readerWorld(ctx, 'ListDelegatedServicesForAccount');
    const accountId = requiredParam(p, 'AccountId', ACCOUNT_ID);
    if (!world.accounts.get(accountId)) throw accountNotFound();
    const services = organizationsState(world)
      .delegatedAdministrators.filter((d) => d.accountId === accountId)
      .map((d) => ({
        ServicePrincipal: d.servicePrincipal,
        DelegationEnabledDate: new Date(d.delegationEnabledDate),
      }));
    if (services.length === 0) {
      throw new AwsError(
        'AccountNotRegisteredException',
        `The specified account is not a delegated administrator for this AWS service. Received: ${accountId}`,
      );
    }
    const { page: items, NextToken } = page(services, p, `ListDelegatedServicesForAccount:${accountId}`);
    return { DelegatedServices: items, NextToken };
  },
  PutResourcePolicy(p, ctx) {
    const world = managementWorld(ctx);
    const content = typeof p.Content === 'string' ? p.Content : '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      parsed = undefined;
    }
    const statements = (parsed as { Statement?: unknown } | undefined)?.Statement;
    if (parsed === null || typeof parsed !== 'object' || statements === undefined) {
      throw new AwsError(
        'MalformedPolicyDocumentException',
        `The provided policy document doesn't meet the requirements of the specified policy type. Received: ${content.slice(0, 80) || '(none)'}`,
      );
    }
    const state = organizationsState(world);
    const id = state.resourcePolicy?.id ?? `rp-${world.scenario.organization.id.slice(2, 10)}`;
    state.resourcePolicy = { id, content };
    return {
      ResourcePolicy: resourcePolicyShape(
        world.managementAccountId,
        world.scenario.organization.id,
        id,
        content,
      ),
    };
  },
  DescribeResourcePolicy(_p, ctx) {
    const world = readerWorld(ctx, 'DescribeResourcePolicy');
    const policy = organizationsState(world).resourcePolicy;
    if (!policy) {
      throw new AwsError(
        'ResourcePolicyNotFoundException',
        "We can't find a resource policy request with the parameter that you specified.",
      );
    }
    return {
      ResourcePolicy: resourcePolicyShape(
        world.managementAccountId,
        world.scenario.organization.id,
        policy.id,
        policy.content,
      ),
    };
  },
  DeleteResourcePolicy(_p, ctx) {
    const world = managementWorld(ctx);
    const state = organizationsState(world);
    if (!state.resourcePolicy) {
      throw new AwsError(
        'ResourcePolicyNotFoundException',
        "We can't find a resource policy request with the parameter that you specified.",
      );
    }
    delete state.resourcePolicy;
    return {};
  },
};

function resourcePolicyShape(management: string, orgId: string, id: string, content: string) {
  return {
    ResourcePolicySummary: {
      Id: id,
      Arn: `arn:aws:organizations::${management}:resourcepolicy/${orgId}/${id}`,
    },
    Content: content,
  };
}

/**
 * STS operations -> IAM. AssumeRole authorizes inside the operation (the role's trust policy, the
 * caller's identity policies and sts:SetSourceIdentity / sts:TagSession when asked for); the
 * request path has nothing to check first. GetCallerIdentity needs no permission (STS API
 * reference, GetCallerIdentity: "No permissions are required to perform this operation").
 */
import type { ServiceActions } from './types';

export const stsActions: ServiceActions = {
  AssumeRole: () => 'self',
  GetCallerIdentity: () => [],
  // The federated user's ARN is the resource (IAM User Guide, id_credentials_temp_control-access_getfederationtoken).
  GetFederationToken: (params, env) => [
    {
      action: 'sts:GetFederationToken',
      resource: `arn:aws:sts::${env.caller.accountId}:federated-user/${String(params.Name ?? '')}`,
    },
  ],
};

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
};

/**
 * The contract of a resource provider: for one CloudFormation resource type, the API calls its
 * handler makes (as AuthorizationSpecs for the acting principal), the service's own rules that are
 * not IAM (CloudTrail checking its bucket, KMS's key policy lockout check), the effect on the
 * sandbox's service state once the stack settles, and the reads drift detection makes.
 *
 * The call lists follow the resource schemas' handler permissions (CloudFormation resource
 * provider schemas, `handlers.create.permissions`), narrowed to the calls the given properties
 * imply: a bucket without BucketEncryption makes no PutEncryptionConfiguration call.
 */
import type { AuthorizationSpec } from '../../iam/authorize';
import type { SandboxWorld } from '../../types';
import type { Acting } from '../iam-env';
import type { PlanView } from '../plan-view';

export type HandlerPhase = 'create' | 'update' | 'delete';

/** Where a resource lives and what it is called. */
export interface ResourceRef {
  world: SandboxWorld;
  accountId: string;
  region: string;
  stackId: string;
  stackName: string;
  logicalId: string;
  physicalId: string;
  now: number;
  /** The resource's `aws:cdk:path` metadata, when the template has it. */
  metadataPath?: string;
}

/** A failure of a handler as CloudFormation reports it (HandlerErrorCode and the service's error). */
export interface HandlerFailure {
  /** The service's message, e.g. "Incorrect S3 bucket policy is detected for bucket: b". */
  message: string;
  /** The SDK's service name in `(Service: <name>, ...)`: Iam, S3, Kms, CloudTrail ... */
  service: string;
  status: number;
  /** CloudFormation's HandlerErrorCode: AccessDenied, InvalidRequest, AlreadyExists ... */
  handlerErrorCode: string;
  /** Prefix CloudFormation puts before InvalidRequest messages ("Invalid request provided: "). */
  prefix?: string;
}

/** What undoes an effect later (kept in memory only while a stack settles). */
export interface ResourceProvider {
  type: string;
  /** The service's SDK name for messages (`Iam`, `S3` ...). */
  service: string;
  /** HTTP status of the service's access denials. */
  deniedStatus: number;
  /** Calls the handler makes; `props` are the resolved properties (previous ones for updates when known). */
  calls?(
    phase: HandlerPhase,
    props: Record<string, unknown>,
    ref: ResourceRef,
    previous?: Record<string, unknown>,
    view?: PlanView,
  ): AuthorizationSpec[];
  /** Whether `calls` for deletes need the properties (else only the physical id is given). */
  deleteNeedsProperties?: boolean;
  /** Service rules beyond IAM, evaluated with what exists (the world plus the stack's completed resources). */
  rules?(
    phase: HandlerPhase,
    props: Record<string, unknown>,
    ref: ResourceRef,
    view: PlanView,
    actor: Acting,
  ): HandlerFailure | undefined;
  /** Makes the sandbox's service state hold the resource (create or update). */
  apply?(props: Record<string, unknown>, ref: ResourceRef, previous?: Record<string, unknown>): void;
  /** Removes the resource from the service state (stack deleted it, or it was replaced). */
  remove?(props: Record<string, unknown>, ref: ResourceRef): void;
  /** Order of effects: lower first on apply, last on remove (roles before their policies). */
  priority?: number;
  /** The read calls drift detection makes for the resource. */
  reads?(props: Record<string, unknown>, ref: ResourceRef): AuthorizationSpec[];
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function list<T = unknown>(value: unknown): T[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as T[];
}

/** JSON text of a policy property (templates give objects; some give JSON strings). */
export function policyText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** `aws:RequestTag/*` and `aws:TagKeys` of a CloudFormation `Tags` list (or map). */
export function tagContext(tags: unknown): Record<string, string | string[]> {
  const pairs: Array<[string, string]> = Array.isArray(tags)
    ? (tags as Array<{ Key?: unknown; Value?: unknown }>).map((t) => [String(t.Key), String(t.Value ?? '')])
    : tags && typeof tags === 'object'
      ? Object.entries(tags as Record<string, unknown>).map(([k, v]) => [k, String(v)])
      : [];
  if (pairs.length === 0) return {};
  const out: Record<string, string | string[]> = { 'aws:TagKeys': pairs.map(([k]) => k) };
  for (const [k, v] of pairs) out[`aws:RequestTag/${k}`] = v;
  return out;
}

/**
 * `aws:ResourceTag/<key>` for calls on a resource that carries these tags (a key the same handler
 * just created with them, or one updated in place).
 */
export function resourceTagContext(tags: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tagMap(tags))) out[`aws:ResourceTag/${k}`] = v;
  return out;
}

export function tagMap(tags: unknown): Record<string, string> {
  if (Array.isArray(tags)) {
    return Object.fromEntries(
      (tags as Array<{ Key?: unknown; Value?: unknown }>).map((t) => [String(t.Key), String(t.Value ?? '')]),
    );
  }
  if (tags && typeof tags === 'object') {
    return Object.fromEntries(
      Object.entries(tags as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    );
  }
  return {};
}

/** `iam:PassRole` as a service's CreateX makes it (IAM User Guide, id_roles_use_passrole). */
export function passRole(roleArn: string | undefined, service: string): AuthorizationSpec[] {
  if (!roleArn) return [];
  return [{ action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': service } }];
}

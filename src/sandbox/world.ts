/**
 * The sandbox's shared world: the scenario, the persisted state every service keeps its section
 * in, the clock, seeded randomness, and the organisation look-ups several services need.
 */
import { isVirtualTimeActive, realNow } from './clock';
import type { Scenario, ScenarioAccount } from './scenario-types';
import type { SandboxMetrics, SandboxWorld } from './types';

/** A 32-bit hash (murmur3 finaliser over FNV-1a) so `random(key)` is stable across runs and machines. */
function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Metrics with the count of calls answered with a throttling error, per `service.Operation`. */
export interface WorldMetrics extends SandboxMetrics {
  throttled: Record<string, number>;
}

/** Reads an S3 object out of the persisted state; set by the S3 service module. */
export type ObjectReader = (
  state: Record<string, unknown>,
  bucket: string,
  key: string,
  versionId?: string,
) => { body: Buffer; versionId: string } | undefined;

export class World implements SandboxWorld {
  readonly metrics: WorldMetrics = { calls: {}, cloudFormationCallsByTarget: {}, throttled: {} };
  readonly extensions: Record<string, unknown> = {};
  readonly accounts: ReadonlyMap<string, ScenarioAccount>;
  /** Virtual time never goes back behind this (the persisted clock of earlier commands). */
  private offset: number;
  private objectReader: ObjectReader | undefined;
  private readonly seed: number;

  constructor(
    readonly scenario: Scenario,
    readonly state: Record<string, unknown>,
    persistedNow = 0,
  ) {
    this.accounts = new Map(scenario.organization.accounts.map((a) => [a.id, a]));
    this.offset = Math.max(0, persistedNow - realNow());
    this.seed = scenario.seed >>> 0;
  }

  section<T extends object>(service: string, init: () => T): T {
    let value = this.state[service] as T | undefined;
    if (value === undefined) {
      value = init();
      this.state[service] = value;
    }
    return value;
  }

  /**
   * Virtual now. Under a virtual or scaled clock that is `Date.now()` (the fake clock, started
   * from `sandbox.now()`); otherwise real time shifted so it never goes behind the persisted clock.
   */
  now(): number {
    return isVirtualTimeActive() ? Date.now() : Date.now() + this.offset;
  }

  /**
   * Moves virtual time forward by `ms` outside a virtual clock (a "later that day" for tests and
   * `sandbox` commands: sessions expire, stacks settle). Under a virtual clock, wait instead.
   */
  advance(ms: number): void {
    if (isVirtualTimeActive())
      throw new Error('advance() is for real-time sandboxes; under virtual time, await a timer instead');
    if (!(ms >= 0)) throw new Error(`advance() takes a non-negative number of milliseconds. Received: ${ms}`);
    this.offset += ms;
  }

  random(key: string): number {
    return hash32(key, this.seed) / 4_294_967_296;
  }

  isMember(accountId: string): boolean {
    return this.accounts.has(accountId);
  }

  get managementAccountId(): string {
    return this.scenario.organization.managementAccountId;
  }

  isRegionEnabled(accountId: string, region: string): boolean {
    if (this.scenario.regions.includes(region)) return true;
    if (!this.scenario.optInRegions.includes(region)) return false;
    return this.accounts.get(accountId)?.optInRegionsEnabled?.includes(region) ?? false;
  }

  /** Whether the region exists at all in this sandbox (default or opt-in). */
  isKnownRegion(region: string): boolean {
    return this.scenario.regions.includes(region) || this.scenario.optInRegions.includes(region);
  }

  setObjectReader(reader: ObjectReader): void {
    this.objectReader = reader;
  }

  readObject(
    bucket: string,
    key: string,
    versionId?: string,
  ): { body: Buffer; versionId: string } | undefined {
    return this.objectReader?.(this.state, bucket, key, versionId);
  }

  /** Counts a call for metrics (`cloudformation.CreateStack`). */
  countCall(service: string, operation: string, accountId: string, region: string): void {
    const name = `${service}.${operation}`;
    this.metrics.calls[name] = (this.metrics.calls[name] ?? 0) + 1;
    if (service === 'cloudformation') {
      const target = `${accountId}/${region}`;
      this.metrics.cloudFormationCallsByTarget[target] =
        (this.metrics.cloudFormationCallsByTarget[target] ?? 0) + 1;
    }
  }
}

/**
 * Reads a record by a key that came off the wire. Plain `record[key]` would find inherited
 * members (`constructor`, `toString`, `__proto__`) for keys such as an S3 key named "constructor".
 */
export function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Writes a record by a key that came off the wire (`__proto__` included) as a plain own property. */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}

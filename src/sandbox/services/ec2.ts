/**
 * EC2 DescribeRegions: which regions exist and which are enabled for the calling account, so the
 * planner can leave opt-in regions out of accounts that have not enabled them.
 */
import { AwsError, type OperationContext, type ServiceEmulator } from '../types';
import type { World } from '../world';

function asList(value: unknown): string[] {
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

function describeRegions(params: Record<string, unknown>, ctx: OperationContext) {
  const world = ctx.world as World;
  const all = String(params.AllRegions ?? 'false') === 'true';
  const names = asList(params.RegionName);
  for (const name of names) {
    if (!world.isKnownRegion(name)) throw new AwsError('InvalidParameterValue', `Invalid region: ${name}`);
  }
  const filters = (Array.isArray(params.Filter) ? params.Filter : []) as Array<{
    Name?: string;
    Value?: unknown;
  }>;
  const regions = [...world.scenario.regions, ...world.scenario.optInRegions].map((region) => {
    const optIn = world.scenario.optInRegions.includes(region);
    const enabled = world.isRegionEnabled(ctx.caller.accountId, region);
    return {
      regionName: region,
      regionEndpoint: `ec2.${region}.amazonaws.com`,
      optInStatus: optIn ? (enabled ? 'opted-in' : 'not-opted-in') : 'opt-in-not-required',
      enabled,
    };
  });
  const selected = regions.filter((r) => {
    if (names.length > 0 ? !names.includes(r.regionName) : !all && !r.enabled) return false;
    for (const f of filters) {
      const values = asList(f.Value);
      if (f.Name === 'opt-in-status' && !values.includes(r.optInStatus)) return false;
      if (
        (f.Name === 'region-name' || f.Name === 'endpoint') &&
        !values.includes(f.Name === 'endpoint' ? r.regionEndpoint : r.regionName)
      )
        return false;
    }
    return true;
  });
  return { regionInfo: selected.map(({ enabled: _enabled, ...r }) => r) };
}

export function createEc2Service(): ServiceEmulator {
  return {
    signingName: 'ec2',
    protocol: 'ec2',
    xmlNamespace: 'http://ec2.amazonaws.com/doc/2016-11-15/',
    operations: { DescribeRegions: describeRegions },
  };
}

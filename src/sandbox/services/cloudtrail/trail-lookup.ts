/**
 * The trail a CloudTrail call names, as CloudTrail finds it (a name or an ARN; the trail's home
 * region or its multi-region shadow), and the home-region rule of the calls that change a trail.
 */
import { AwsError, type OperationContext } from '../../types';
import { findTrail, type TrailRecord } from './state';

export function nameOf(params: Record<string, unknown>, field = 'Name'): string {
  const value = params[field];
  if (typeof value !== 'string' || value === '')
    throw new AwsError(
      'InvalidTrailNameException',
      `${field} is required and must be a trail name or ARN. Received: ${String(value)}`,
    );
  return value;
}

export function trailOf(ctx: OperationContext, params: Record<string, unknown>, field = 'Name'): TrailRecord {
  const ref = nameOf(params, field);
  const trail = findTrail(ctx.world, ref, ctx.caller.accountId, ctx.region);
  if (!trail) {
    const arn = ref.startsWith('arn:')
      ? ref
      : `arn:aws:cloudtrail:${ctx.region}:${ctx.caller.accountId}:trail/${ref}`;
    throw new AwsError(
      'TrailNotFoundException',
      `Unknown trail: ${arn} for the user: ${ctx.caller.accountId}`,
    );
  }
  return trail;
}

export function inHomeRegion(ctx: OperationContext, trail: TrailRecord, operation: string): void {
  if (trail.homeRegion !== ctx.region)
    throw new AwsError(
      'InvalidHomeRegionException',
      `${operation} must be called from the Region in which the trail was created (${trail.homeRegion}). Received a call in: ${ctx.region}`,
    );
}

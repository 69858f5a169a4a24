/**
 * CloudTrail Insights on a trail (CloudTrail API Reference: PutInsightSelectors,
 * GetInsightSelectors). PutInsightSelectors turns Insights types on, or off with an empty list;
 * the valid types are ApiCallRateInsight and ApiErrorRateInsight (InvalidInsightSelectorsException
 * otherwise); ApiCallRateInsight needs a trail that logs write management events, ApiErrorRateInsight
 * one that logs management events (read or write). Like the trail's other changes it must be made
 * in the trail's home region, and it is recorded, so it reaches EventBridge as a tampering event.
 * GetInsightSelectors on a trail without Insights answers InsightNotEnabledException.
 */
import { AwsError, type OperationContext, type ServiceEmulator } from '../../types';
import { recordApiCall } from './record';
import type { TrailRecord } from './state';
import { inHomeRegion, trailOf } from './trail-lookup';

const INSIGHT_TYPES = new Set(['ApiCallRateInsight', 'ApiErrorRateInsight']);

/** Which management events the trail logs, from its basic event selectors (default: all). */
function managementEvents(trail: TrailRecord): { read: boolean; write: boolean } {
  if (!trail.eventSelectors) return { read: true, write: true };
  let selectors: unknown;
  try {
    selectors = JSON.parse(trail.eventSelectors);
  } catch {
    return { read: true, write: true };
  }
  const out = { read: false, write: false };
  for (const s of Array.isArray(selectors) ? selectors : []) {
    const selector = s as {
      IncludeManagementEvents?: boolean;
      ReadWriteType?: string;
      FieldSelectors?: unknown;
    };
    // Advanced selectors: not read here; they are taken as logging management events.
    if (selector.FieldSelectors !== undefined) return { read: true, write: true };
    if (selector.IncludeManagementEvents === false) continue;
    const rw = selector.ReadWriteType ?? 'All';
    if (rw === 'All' || rw === 'ReadOnly') out.read = true;
    if (rw === 'All' || rw === 'WriteOnly') out.write = true;
  }
  return out;
}

function selectorsOf(params: Record<string, unknown>): Array<{ InsightType: string }> {
  const raw = params.InsightSelectors;
  if (!Array.isArray(raw))
    throw new AwsError(
      'InvalidInsightSelectorsException',
      `InsightSelectors is required and must be a list. Received: ${JSON.stringify(raw) ?? 'undefined'}`,
    );
  return raw.map((s) => {
    const type = (s as { InsightType?: unknown })?.InsightType;
    if (typeof type !== 'string' || !INSIGHT_TYPES.has(type))
      throw new AwsError(
        'InvalidInsightSelectorsException',
        `InsightType must be ApiCallRateInsight or ApiErrorRateInsight. Received: ${String(type)}`,
      );
    return { InsightType: type };
  });
}

export const insightSelectorOperations: ServiceEmulator['operations'] = {
  PutInsightSelectors(params: Record<string, unknown>, ctx: OperationContext) {
    const trail = trailOf(ctx, params, 'TrailName');
    inHomeRegion(ctx, trail, 'PutInsightSelectors');
    const selectors = selectorsOf(params);
    const logged = managementEvents(trail);
    for (const { InsightType } of selectors) {
      if (InsightType === 'ApiCallRateInsight' && !logged.write)
        throw new AwsError(
          'InvalidInsightSelectorsException',
          `ApiCallRateInsight needs a trail that logs write management events; ${trail.name} does not.`,
        );
      if (InsightType === 'ApiErrorRateInsight' && !logged.read && !logged.write)
        throw new AwsError(
          'InvalidInsightSelectorsException',
          `ApiErrorRateInsight needs a trail that logs management events; ${trail.name} does not.`,
        );
    }
    recordApiCall(ctx, {
      eventSource: 'cloudtrail.amazonaws.com',
      eventName: 'PutInsightSelectors',
      requestParameters: { trailName: params.TrailName, insightSelectors: selectors },
    });
    trail.insightSelectors = selectors;
    return { TrailARN: trail.arn, InsightSelectors: selectors };
  },
  GetInsightSelectors(params: Record<string, unknown>, ctx: OperationContext) {
    const trail = trailOf(ctx, params, 'TrailName');
    if ((trail.insightSelectors ?? []).length === 0)
      throw new AwsError(
        'InsightNotEnabledException',
        `Trail ${trail.arn} does not have Insights enabled. Edit the trail settings to enable Insights, and then try the operation again.`,
      );
    return { TrailARN: trail.arn, InsightSelectors: trail.insightSelectors };
  },
};

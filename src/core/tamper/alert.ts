/**
 * The one readable alert of a tampering response: who, what, where, when, what was restored, what
 * was contained, and the incident count for that principal; steps that failed say what could not
 * be done and why. SNS subjects are at most 100 ASCII characters (SNS API Reference, Publish).
 */
import type { TamperEvent } from './read-event';

export interface AlertFacts {
  event: TamperEvent;
  /** What "Restore logging" did ("logging started again", "was already logging", "baseline redeployed ..."). */
  restored?: string;
  /** What "Contain the principal" did, or why nothing was contained. */
  contained?: string;
  /** Incidents recorded for the principal, this one included. */
  incidentCount?: number;
  /** Steps that failed, each with its reason. */
  failures?: Array<{ step: string; error: string; cause: string }>;
}

/**
 * What the response says it contained: the containment step's own words, or, when it did not
 * run on purpose (first offence, root, a stackfleet role, containment off), why nothing was.
 */
export function containedText(
  containment: { contained?: string | null } | undefined,
  decision: { action?: string; reason?: string } | undefined,
): string | undefined {
  if (containment?.contained) return containment.contained;
  return decision?.action === 'none' && decision.reason && decision.reason !== 'not recorded'
    ? `nothing: ${decision.reason}`
    : undefined;
}

export function composeAlert(facts: AlertFacts): { subject: string; message: string } {
  const { event } = facts;
  const failed = (facts.failures ?? []).length > 0;
  const subject =
    `${failed ? '[ACTION NEEDED] ' : ''}CloudTrail tampering: ${event.eventName} in ${event.account} ${event.region}`
      .replace(/[^\x20-\x7e]/g, '?')
      .slice(0, 100);
  const lines = [
    `Who:   ${event.principal.label}`,
    `What:  ${event.eventName} on ${event.target.kind}${event.target.name ? ` ${event.target.name}` : ''}`,
    `Where: account ${event.account}, region ${event.region}`,
    `When:  ${event.eventTime} from ${event.sourceIp} (${event.userAgent})`,
    `Restored:  ${facts.restored ?? 'nothing (see below)'}`,
    `Contained: ${facts.contained ?? 'nothing (see below)'}`,
    `Incidents for this principal: ${facts.incidentCount ?? 'unknown (not recorded)'}`,
  ];
  if (event.problems.length > 0)
    lines.push('', 'The event was not as expected:', ...event.problems.map((p) => `  - ${p}`));
  if (failed) {
    lines.push('', 'Could not be done:');
    for (const f of facts.failures ?? []) lines.push(`  - ${f.step}: ${f.error}: ${f.cause}`);
  }
  lines.push('', `Event id: ${event.eventId}`);
  return { subject, message: lines.join('\n') };
}

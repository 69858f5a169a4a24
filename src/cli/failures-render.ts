import { printable } from '../core/printable';
import type { TargetReport } from './render';

/**
 * Failed targets as a person reads them: targets that failed the same way are one group (the
 * error, the failed resource, the reason, a count and the targets), and the reason is wrapped,
 * never cut, so the advice at its end ("... check the role's trust policy and ExternalId") is
 * always there. Text from AWS goes through `printable` first.
 */

export interface FailureGroup {
  error: string;
  /** The stacks form: the stack that failed in each of these targets. */
  stack?: string;
  /** "ConfigRecorder (AWS::Config::ConfigurationRecorder) CREATE_FAILED", or undefined. */
  resource?: string;
  reason: string;
  targets: Array<{ accountId: string; region: string }>;
}

function resourceOf(t: TargetReport): string | undefined {
  const r = t.failedResource;
  if (!r?.logicalId) return undefined;
  return printable([`${r.logicalId} (${r.type ?? '?'})`, r.status].filter(Boolean).join(' '));
}

/**
 * The reason without the failed resource it starts with (the head line names the resource
 * already): "Trail (AWS::CloudTrail::Trail) CREATE_FAILED: Invalid request" -> "Invalid request".
 */
function reasonOf(t: TargetReport): string {
  let reason = printable(t.reason ?? t.failedResource?.statusReason ?? 'No reason recorded.').trim();
  const r = t.failedResource;
  if (r?.logicalId) {
    for (const prefix of [
      `${r.logicalId} (${r.type ?? '?'}) ${r.status ?? ''}`.trim(),
      `${r.logicalId} (${r.type ?? '?'})`,
      r.logicalId,
    ]) {
      if (reason.startsWith(prefix)) {
        const rest = reason.slice(prefix.length).replace(/^[\s:,-]+/, '');
        if (rest) reason = rest;
        break;
      }
    }
  }
  return reason;
}

/** Groups targets with the same error, resource and reason, largest group first. */
export function groupFailures(targets: readonly TargetReport[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const t of targets) {
    const error = printable(t.error ?? 'Failed');
    const resource = resourceOf(t);
    const reason = reasonOf(t);
    const stack = t.stack ? printable(t.stack) : undefined;
    const key = JSON.stringify([stack, error, resource, reason]);
    const group = groups.get(key) ?? {
      error,
      ...(stack ? { stack } : {}),
      ...(resource ? { resource } : {}),
      reason,
      targets: [],
    };
    group.targets.push({ accountId: t.accountId, region: t.region });
    groups.set(key, group);
  }
  return [...groups.values()].sort(
    (a, b) => b.targets.length - a.targets.length || a.error.localeCompare(b.error),
  );
}

/** Words of `text` on lines of at most `width` columns (a longer word gets a line of its own). */
export function wrap(text: string, width: number, indent = ''): string[] {
  const room = Math.max(20, width - indent.length);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > room) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** "in a, b, c" on lines of at most `width` columns, breaking only between items. */
export function wrapItems(items: readonly string[], width: number, indent = '', lead = 'in '): string[] {
  const room = Math.max(20, width - indent.length);
  const lines: string[] = [];
  let line = lead;
  items.forEach((item, i) => {
    const piece = `${item}${i < items.length - 1 ? ',' : ''}`;
    if (line.trim() && line !== lead && line.length + 1 + piece.length > room) {
      lines.push(indent + line);
      line = piece;
    } else {
      line = line === lead ? `${lead}${piece}` : `${line} ${piece}`;
    }
  });
  if (line.trim()) lines.push(indent + line);
  return lines;
}

export interface FailureRenderOptions {
  /** Terminal width for wrapping. @default 100 */
  readonly width?: number;
  /** Groups shown before "... and N more groups". @default 20 */
  readonly maxGroups?: number;
  /** Targets named per group before "+N more". @default 12 */
  readonly namedTargets?: number;
  /** Colours the error name (the caller's palette). */
  readonly paintError?: (text: string) => string;
}

/** The lines of the grouped failures (without a heading). */
export function renderFailureGroups(
  targets: readonly TargetReport[],
  options: FailureRenderOptions = {},
): string[] {
  const width = options.width ?? 100;
  const maxGroups = options.maxGroups ?? 20;
  const named = options.namedTargets ?? 12;
  const paintError = options.paintError ?? ((t: string) => t);
  const groups = groupFailures(targets);
  const lines: string[] = [];
  for (const group of groups.slice(0, maxGroups)) {
    const count = `${group.targets.length} target${group.targets.length === 1 ? '' : 's'}`;
    const stack = group.stack ? `, stack ${group.stack}` : '';
    lines.push(
      `  ${count}${stack}: ${paintError(group.error)}${group.resource ? ` in ${group.resource}` : ''}`,
    );
    lines.push(...wrap(group.reason, width, '    '));
    const names = group.targets
      .slice()
      .sort((a, b) => a.accountId.localeCompare(b.accountId) || a.region.localeCompare(b.region))
      .map((t) => `${t.accountId} ${t.region}`);
    const shown = names.slice(0, named);
    if (names.length > named) shown.push(`+${names.length - named} more (see --json)`);
    lines.push(...wrapItems(shown, width, '    '));
  }
  if (groups.length > maxGroups) {
    lines.push(
      `  ... and ${groups.length - maxGroups} more groups of failures (use --json for every target)`,
    );
  }
  return lines;
}

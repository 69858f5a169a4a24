/**
 * `stackfleet ui --export FILE.html`: one self-contained page of a finished rollout (data,
 * script and styles inlined; it makes no network request) to attach to a change ticket.
 */
import '../core/polyfills';
import { writeFile } from 'node:fs/promises';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { printableDeep } from '../core/printable';
import { DefinitionCache } from './definitions';
import { AccountDirectoryCache } from './directory';
import { pageScript, renderPageHtml } from './page-html';
import { RolloutTracker } from './rollout-data';
import type { PageConfig } from './server';
import { loadTargetDetail } from './target-detail';
import type { ExportBundleWire, TargetDetailWire } from './wire';

/** Failed targets whose full history an export carries; the matrix still shows every target. */
export const EXPORT_DETAIL_LIMIT = 200;

export interface ExportUiOptions {
  sfn: SFNClient;
  /** Reads the plan and summary.json from the artifact bucket (exact outcomes without a call per target). */
  s3?: S3Client;
  /** Account names and OU paths for the matrix; without it the export shows account ids. */
  organizations?: OrganizationsClient;
  rolloutExecutionArn: string;
  file: string;
}

/** Reads everything the page needs for one rollout into a single object. */
export async function buildExportBundle(
  sfn: SFNClient,
  rolloutExecutionArn: string,
  s3?: S3Client,
  organizations?: OrganizationsClient,
): Promise<ExportBundleWire> {
  const definitions = new DefinitionCache(sfn);
  const directory = new AccountDirectoryCache(organizations);
  const tracker = new RolloutTracker(sfn, rolloutExecutionArn, definitions, {
    detailBudget: 100000,
    directory: () => directory.get(),
    ...(s3 ? { s3 } : {}),
  });
  await tracker.refresh(true);
  const rollout = tracker.snapshot(0);
  const { rollout: rolloutGraph, target } = await definitions.forRollout(rolloutExecutionArn);
  const targets: Record<string, TargetDetailWire> = {};
  const prefix = rollout.targets.executionPrefix;
  for (const name of tracker.failedTargetNames().slice(0, EXPORT_DETAIL_LIMIT)) {
    targets[name] = await loadTargetDetail(sfn, prefix + name);
  }
  return {
    exportedAt: Date.now(),
    definitions: target ? { rollout: rolloutGraph, target } : { rollout: rolloutGraph },
    rollout,
    targets,
  };
}

/** Writes the self-contained HTML page of a rollout to `file`. */
export async function exportUiHtml(options: ExportUiOptions): Promise<void> {
  // Reasons, names and outputs came from AWS: the page shows them as text, and a person may
  // also read the file in a terminal, so they are made printable like everything the CLI prints.
  const data = printableDeep(
    await buildExportBundle(options.sfn, options.rolloutExecutionArn, options.s3, options.organizations),
  );
  const config: PageConfig = { mode: 'static', rolloutExecutionArn: options.rolloutExecutionArn, pollMs: 0 };
  const html = renderPageHtml({
    config,
    data,
    script: await pageScript(),
    title: `stackfleet rollout ${data.rollout.rollout.name}`,
  });
  await writeFile(options.file, html, 'utf8');
}

/**
 * The files a Distributed Map's ResultWriter puts in S3, in AWS's format:
 * `<Prefix>/<mapRunId>/manifest.json` plus `SUCCEEDED_0.json`, `FAILED_0.json`, `PENDING_0.json`
 * (each a JSON array of child execution records, written only when non-empty), so a
 * summarizer written against AWS reads the local results unchanged.
 */

/** One child record as AWS writes it. `Input`/`Output` are JSON strings. */
export interface ResultEntry {
  ExecutionArn?: string;
  Input: string;
  InputDetails: { Included: boolean };
  Name?: string;
  Output?: string;
  OutputDetails?: { Included: boolean };
  Error?: string;
  Cause?: string;
  RedriveCount?: number;
  RedriveStatus?: string;
  RedriveStatusReason?: string;
  StartDate?: string;
  StateMachineArn?: string;
  Status?: string;
  StopDate?: string;
}

export interface ResultFile {
  key: string;
  body: string;
}

export interface ResultFiles {
  manifestKey: string;
  files: ResultFile[];
}

/** Joins the prefix like AWS: no double slash, empty prefix means the bucket root. */
export function resultPrefix(prefix: string | undefined, mapRunId: string): string {
  const p = (prefix ?? '').replace(/\/+$/, '');
  return p ? `${p}/${mapRunId}` : mapRunId;
}

/** Builds every file of one map run's results; the manifest lists the others with their sizes. */
export function buildResultFiles(options: {
  bucket: string;
  prefix?: string;
  mapRunArn: string;
  succeeded: ResultEntry[];
  failed: ResultEntry[];
  pending: ResultEntry[];
}): ResultFiles {
  const mapRunId = options.mapRunArn.slice(options.mapRunArn.lastIndexOf(':') + 1);
  const base = resultPrefix(options.prefix, mapRunId);
  const files: ResultFile[] = [];
  const listed: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', Array<{ Key: string; Size: number }>> = {
    FAILED: [],
    PENDING: [],
    SUCCEEDED: [],
  };
  const groups = [
    ['SUCCEEDED', options.succeeded],
    ['FAILED', options.failed],
    ['PENDING', options.pending],
  ] as const;
  for (const [status, entries] of groups) {
    if (entries.length === 0) continue;
    const key = `${base}/${status}_0.json`;
    const body = JSON.stringify(entries);
    files.push({ key, body });
    listed[status].push({ Key: key, Size: Buffer.byteLength(body) });
  }
  const manifestKey = `${base}/manifest.json`;
  const manifest = { DestinationBucket: options.bucket, MapRunArn: options.mapRunArn, ResultFiles: listed };
  files.push({ key: manifestKey, body: JSON.stringify(manifest) });
  return { manifestKey, files };
}

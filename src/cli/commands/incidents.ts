import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { awsClients } from '../../aws/clients';
import { printable } from '../../core/printable';
import { type IncidentSummary, incidentOf } from '../../core/tamper/incident';
import { backendLine, openBackend } from '../backend';
import { CliError, ExitCodes } from '../exit-codes';
import type { Io } from '../main';
import type { ParsedCommand } from '../options';

/**
 * `incidents`: the tamper response's incident table (one item per principal, src/core/tamper/incident.ts),
 * most incidents first. Reads only: a Scan of the table as the caller (dynamodb:Scan and the table
 * key's kms:Decrypt), every page.
 */
export async function incidentsCommand(parsed: ParsedCommand, io: Io): Promise<number> {
  const backend = await openBackend(parsed.values, io.env, {
    access: 'read',
    command: 'stackfleet incidents',
    stderr: io.stderr,
  });
  const json = Boolean(parsed.values.json);
  try {
    io.stderr.write(`${await backendLine(backend)}\n`);
    const incidents = await backend.run(async () => {
      const admin = await backend.admin();
      if (!admin.incidentTableName)
        throw new CliError(
          'the admin stack has no output IncidentTableName: it was deployed before the tamper response. Deploy it again with `npm run deploy-admin`',
          ExitCodes.unreachable,
        );
      const out: IncidentSummary[] = [];
      let start: ScanCommandOutput['LastEvaluatedKey'];
      do {
        const page = await awsClients
          .dynamodb({ region: backend.region })
          .send(new ScanCommand({ TableName: admin.incidentTableName, ExclusiveStartKey: start }));
        for (const item of page.Items ?? []) out.push(incidentOf(item as never));
        start = page.LastEvaluatedKey;
      } while (start);
      return sortIncidents(out);
    });
    io.stdout.write(json ? `${JSON.stringify({ incidents }, null, 2)}\n` : renderIncidents(incidents));
    return ExitCodes.ok;
  } finally {
    await backend.close();
  }
}

/** Most incidents first, then the most recent. */
export function sortIncidents(incidents: IncidentSummary[]): IncidentSummary[] {
  return [...incidents].sort((a, b) => b.count - a.count || (a.lastSeen < b.lastSeen ? 1 : -1));
}

/** One line per principal, columns aligned. */
export function renderIncidents(incidents: IncidentSummary[]): string {
  if (incidents.length === 0) return 'No tampering incidents recorded.\n';
  const rows = [
    ['COUNT', 'PRINCIPAL', 'LAST EVENT', 'ACCOUNT', 'REGION', 'LAST SEEN'],
    ...incidents.map((i) => [
      String(i.count),
      printable(i.label || i.principal),
      printable(i.lastEventName),
      printable(i.lastAccount),
      printable(i.lastRegion),
      printable(i.lastSeen),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return `${rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('  ')).join('\n')}\n`;
}

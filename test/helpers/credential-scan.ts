/**
 * Looks for credential material where it must never be (issue 9, "Credentials never travel
 * through state input/output or logs"): every execution history (parent, map run children,
 * deploy-target children) read through the real SFNClient, every line the functions logged,
 * and any text a test adds. The secrets to look for are the ones the sandbox's STS actually
 * issued during the run, recorded by wrapping its AssumeRole operation, plus anything shaped
 * like an AWS access key id.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { sessionSecrets, stsState } from '../../src/sandbox/services/sts';
import type { OperationContext } from '../../src/sandbox/types';
import type { SandboxHarness } from './sandbox-harness';

/** Long-term (AKIA) and temporary (ASIA) access key ids: 4 letters then 16 of [A-Z0-9]. */
export const ACCESS_KEY_ID_PATTERN = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g;

/** One AssumeRole call the sandbox's STS answered (or refused). */
export interface AssumeRoleCall {
  callerAccountId: string;
  roleArn: string;
  roleSessionName?: string;
  externalId?: string;
  sourceIdentity?: string;
  /** The error code when refused. */
  error?: string;
  /** The credentials issued (success only). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
}

/**
 * Wraps the sandbox's STS AssumeRole so every call is recorded with its parameters and the keys
 * it issued. Returns the live list; `stop()` puts the original operation back.
 */
export function recordAssumeRole(sandbox: Sandbox): { calls: AssumeRoleCall[]; stop(): void } {
  const sts = sandbox.service('sts');
  const original = sts?.operations.AssumeRole;
  if (!sts || !original) throw new Error('the sandbox has no STS AssumeRole to record');
  const calls: AssumeRoleCall[] = [];
  sts.operations.AssumeRole = async (params: Record<string, unknown>, ctx: OperationContext) => {
    const call: AssumeRoleCall = {
      callerAccountId: ctx.caller.accountId,
      roleArn: String(params.RoleArn ?? ''),
    };
    if (params.RoleSessionName !== undefined) call.roleSessionName = String(params.RoleSessionName);
    if (params.ExternalId !== undefined) call.externalId = String(params.ExternalId);
    if (params.SourceIdentity !== undefined) call.sourceIdentity = String(params.SourceIdentity);
    calls.push(call);
    try {
      const result = (await original(params, ctx)) as {
        Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
      };
      call.credentials = {
        accessKeyId: result.Credentials.AccessKeyId,
        secretAccessKey: result.Credentials.SecretAccessKey,
        sessionToken: result.Credentials.SessionToken,
      };
      return result;
    } catch (error) {
      call.error = (error as { code?: string; name?: string }).code ?? (error as Error).name;
      throw error;
    }
  };
  return {
    calls,
    stop: () => {
      sts.operations.AssumeRole = original;
    },
  };
}

/**
 * Every secret value the sandbox's STS issued and still knows (its persisted sessions), plus
 * those recorded by `recordAssumeRole`: key ids, secret keys, session tokens.
 */
export function issuedSecrets(sandbox: Sandbox, recorded: readonly AssumeRoleCall[] = []): string[] {
  const out = new Set<string>();
  const seed = sandbox.world.scenario.seed;
  for (const accessKeyId of Object.keys(stsState(sandbox.world).sessions)) {
    const { secretAccessKey, sessionToken } = sessionSecrets(seed, accessKeyId);
    out.add(accessKeyId).add(secretAccessKey).add(sessionToken);
  }
  for (const call of recorded) {
    if (!call.credentials) continue;
    out
      .add(call.credentials.accessKeyId)
      .add(call.credentials.secretAccessKey)
      .add(call.credentials.sessionToken);
  }
  return [...out];
}

/** A place credential material was found, with a little context (the secret itself masked). */
export interface CredentialHit {
  where: string;
  what: string;
  context: string;
}

function mask(text: string, index: number, length: number): string {
  const from = Math.max(0, index - 40);
  return `${text.slice(from, index)}[${length} chars]${text.slice(index + length, index + length + 40)}`;
}

/** Finds any of `secrets`, and anything shaped like an access key id, in `text`. */
export function scanText(where: string, text: string, secrets: readonly string[]): CredentialHit[] {
  const hits: CredentialHit[] = [];
  for (const secret of secrets) {
    if (secret.length < 8) continue;
    const index = text.indexOf(secret);
    if (index >= 0)
      hits.push({ where, what: 'issued credential', context: mask(text, index, secret.length) });
  }
  for (const match of text.matchAll(ACCESS_KEY_ID_PATTERN)) {
    hits.push({ where, what: 'access key id', context: mask(text, match.index ?? 0, match[0].length) });
  }
  return hits;
}

/** Reads every page of an execution's history through the real SFNClient. */
async function historyOf(h: SandboxHarness, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await h.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * The text of every execution the engine ran (parent, map run children, deploy-target children):
 * DescribeExecution (input, output, error, cause) and the whole history, as the API returns them.
 */
export async function executionTexts(h: SandboxHarness): Promise<Array<{ where: string; text: string }>> {
  const arns = Object.keys(h.engine.store.executions);
  return h.virtual(async () => {
    const out: Array<{ where: string; text: string }> = [];
    for (const executionArn of arns) {
      const described = await h.sfn.send(new DescribeExecutionCommand({ executionArn }));
      const history = await historyOf(h, executionArn);
      out.push({ where: executionArn, text: JSON.stringify({ described, history }) });
    }
    return out;
  });
}

/** Captures everything written through `console` until `stop()`; the lines are kept, not printed. */
export function captureConsole(): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const originals = methods.map((m) => [m, console[m]] as const);
  for (const m of methods) {
    console[m] = (...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' '));
    };
  }
  return {
    lines,
    stop: () => {
      for (const [m, fn] of originals) console[m] = fn;
    },
  };
}

function safeJson(value: unknown): string {
  try {
    return value instanceof Error
      ? `${value.name}: ${value.message} ${value.stack ?? ''}`
      : JSON.stringify(value);
  } catch {
    return String(value);
  }
}

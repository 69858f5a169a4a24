/**
 * Errors of the sandbox's IAM. A malformed policy document is refused the way IAM refuses it:
 * `code` is IAM's error code and `awsMessage` IAM's own text ("Syntax errors in policy."), so the
 * service that stores the policy can answer exactly as AWS does; `message` adds where the
 * document came from, the field and the value received, for the person reading a test failure.
 */

/** Formats a received value for an error message, short enough to read in one line. */
export function describeReceived(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** A policy document IAM would refuse with `MalformedPolicyDocument` (or S3 with `MalformedPolicy`). */
export class MalformedPolicyDocumentError extends Error {
  /** IAM's error code. */
  readonly code = 'MalformedPolicyDocument';

  constructor(
    /** IAM's message, verbatim ("Syntax errors in policy.", "Policy document should not specify a principal."). */
    readonly awsMessage: string,
    /** Where the document came from (`role StackFleet-Execution trust policy`). */
    readonly where: string,
    /** The offending field (`Statement[1].Effect`). */
    readonly field: string,
    /** The value received for that field. */
    readonly received: unknown,
    /** What is wrong with it, in words. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `MalformedPolicyDocument: ${awsMessage} In ${where}: ${field} ${detail}. Received: ${describeReceived(received)}`,
      options,
    );
    this.name = 'MalformedPolicyDocumentError';
  }
}

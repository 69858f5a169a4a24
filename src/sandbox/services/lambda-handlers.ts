/**
 * Which of stackfleet's functions (`src/core/functions.ts`) a deployed Lambda function runs, from
 * the synthesized template, so the local engine can bind it to its in-process handler. The
 * functions themselves are in src/sandbox/services/lambda-state.ts.
 */
import { lambdaFunctions } from '../../core/functions';

const KNOWN_IDS = new Set<string>(lambdaFunctions.map((f) => f.id));

function kebab(pascal: string): string {
  return pascal.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/**
 * Which stackfleet function a synthesized `AWS::Lambda::Function` is: from its `aws:cdk:path`
 * metadata (`StackFleetAdmin/Functions/<PascalId>/Resource`), else its Description
 * (`stackfleet <id>`, what infra/lib/rollout-functions.ts writes), else its logical id
 * (`Functions<PascalId><hash>`). Undefined for functions that are not stackfleet's.
 */
export function handlerIdOf(input: {
  cdkPath?: string;
  description?: string;
  logicalId?: string;
}): string | undefined {
  const fromPath = input.cdkPath
    ? /\/Functions\/([A-Za-z0-9]+)\/Resource$/.exec(input.cdkPath)?.[1]
    : undefined;
  if (fromPath && KNOWN_IDS.has(kebab(fromPath))) return kebab(fromPath);
  const fromDescription = input.description
    ? /^stackfleet ([a-z0-9-]+)\b/.exec(input.description)?.[1]
    : undefined;
  if (fromDescription && KNOWN_IDS.has(fromDescription)) return fromDescription;
  const fromLogical = input.logicalId
    ? /^Functions([A-Z][A-Za-z0-9]*?)[0-9A-F]{8}$/.exec(input.logicalId)?.[1]
    : undefined;
  if (fromLogical && KNOWN_IDS.has(kebab(fromLogical))) return kebab(fromLogical);
  return undefined;
}

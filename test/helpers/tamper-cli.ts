/**
 * The world the tamper e2e tests drive through the CLI: a temporary folder with the sandbox's
 * state and a rollout config that deploys the baseline forwarding to the admin account
 * (111111111111, us-east-1) into the given members of the small scenario.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli-process';

export interface TamperCliWorld {
  dir: string;
  stateDir: string;
  /** The rollout config file (`--config`). */
  config: string;
}

export function tamperCliWorld(prefix: string, accounts: string[]): TamperCliWorld {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const config = join(dir, 'rollout.yaml');
  writeFileSync(
    config,
    [
      `template: ${join(ROOT, 'templates/baseline.yaml')}`,
      'stackName: stackfleet-baseline',
      'parameters: { HomeRegion: us-east-1, AdminAccountId: "111111111111", AdminRegion: us-east-1 }',
      'capabilities: [CAPABILITY_NAMED_IAM]',
      'executionRoleName: StackFleetExecution',
      'externalId: stackfleet-small-demo',
      `targets: { accounts: [${accounts.map((a) => `"${a}"`).join(', ')}], regions: [us-east-1] }`,
      '',
    ].join('\n'),
  );
  return { dir, stateDir: join(dir, 'state'), config };
}

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * The bootstrap role in every target account must allow each CloudFormation call the functions
 * make as that role, or a path works on the sandbox and fails on AWS (e.g. recreating a
 * ROLLBACK_COMPLETE stack needs UpdateTerminationProtection before DeleteStack).
 */
const ROOT = resolve(__dirname, '..', '..');

/** Every CloudFormation command the function code sends. */
function cloudFormationActionsUsed(): string[] {
  const actions = new Set<string>();
  for (const dir of ['functions', 'src/aws']) {
    for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(ROOT, dir, file), 'utf8');
      const imported = /import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-cloudformation'/g;
      for (const match of text.matchAll(imported)) {
        for (const name of (match[1] ?? '').split(',').map((s) => s.trim().replace(/^type\s+/, ''))) {
          const command = /^([A-Z][A-Za-z]+)Command$/.exec(name);
          if (command && text.includes(`new ${name}(`)) actions.add(`cloudformation:${command[1]}`);
        }
      }
    }
  }
  return [...actions].sort();
}

// CloudFormation short tags are not needed to read the policy's action lists.
const customTags = [
  '!Sub',
  '!Ref',
  '!GetAtt',
  '!If',
  '!Equals',
  '!Not',
  '!Join',
  '!Select',
  '!Split',
  '!And',
  '!Or',
  '!Condition',
  '!FindInMap',
].map((tag) => ({
  tag,
  resolve: (value: unknown) => value,
}));

function roleActions(): string[] {
  const template = parse(readFileSync(join(ROOT, 'templates/execution-role.yaml'), 'utf8'), {
    customTags,
  }) as {
    Resources: Record<
      string,
      {
        Type: string;
        Properties: {
          Policies?: Array<{
            PolicyDocument: { Statement: Array<{ Effect: string; Action: string | string[] }> };
          }>;
        };
      }
    >;
  };
  const actions: string[] = [];
  for (const resource of Object.values(template.Resources)) {
    for (const policy of resource.Properties?.Policies ?? []) {
      for (const statement of policy.PolicyDocument.Statement) {
        if (statement.Effect !== 'Allow') continue;
        actions.push(...(Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
      }
    }
  }
  return actions;
}

describe('templates/execution-role.yaml', () => {
  const allowed = roleActions();
  const used = cloudFormationActionsUsed();

  it('finds the CloudFormation calls the functions make', () => {
    expect(used).toEqual(
      expect.arrayContaining(['cloudformation:CreateStack', 'cloudformation:DescribeStackEvents']),
    );
  });

  it.each(used)('allows %s', (action) => {
    const ok = allowed.some(
      (a) =>
        a === action || a === 'cloudformation:*' || (a.endsWith('*') && action.startsWith(a.slice(0, -1))),
    );
    expect(ok).toBe(true);
  });
});

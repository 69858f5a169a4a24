/**
 * Every template in templates/ must parse and use only resource types and properties that
 * CloudFormation knows. `CfnInclude` maps each type to its generated L1 class (built from
 * CloudFormation's resource specification) and turns properties it does not recognise into
 * raw overrides, so "known" means: an L1 class exists and no property ended up as an override.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, CfnResource, CloudFormationValidatePlugin, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';

// The schema plugin is registered explicitly below; skip aws-cdk-lib's built-in copy of it.
process.env.CDK_VALIDATION = 'false';

const templatesDir = resolve(__dirname, '../../templates');
const templateFiles = readdirSync(templatesDir).filter((f) => /\.ya?ml$|\.json$/.test(f));

interface ValidationReport {
  pluginReports: Array<{
    violations: Array<{
      ruleName: string;
      description: string;
      violatingConstructs: Array<{ constructPath: string; cloudFormationResource?: { logicalId: string } }>;
    }>;
  }>;
}

interface UnknownFinding {
  logicalId: string;
  type: string;
  problem: string;
}

/** Dotted paths of the innermost keys (an override of `A.B` is stored as `{ A: { B: value } }`). */
function leafPaths(value: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(value).flatMap(([key, inner]) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner) && Object.keys(inner).length > 0
      ? leafPaths(inner as Record<string, unknown>, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}

/**
 * Loads every file through CfnInclude into one app (one stack each) and synthesizes once, since
 * the schema check costs tens of seconds per synth; returns the findings per file.
 */
function findUnknown(
  files: Record<string, string>,
): Record<string, { findings: UnknownFinding[]; resources: number }> {
  const outdir = mkdtempSync(join(tmpdir(), 'stackfleet-include-out-'));
  const app = new App({ outdir });
  Validations.of(app).addPlugins(new CloudFormationValidatePlugin());
  const includes = Object.entries(files).map(([name, file], i) => {
    const stack = new Stack(app, `Include${i}`);
    return { name, stack, include: new CfnInclude(stack, 'Template', { templateFile: file }) };
  });
  app.synth();
  // aws-cdk-lib validates the synthesized templates against CloudFormation's resource schemas
  // and writes what it finds next to the assembly.
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;

  const result: Record<string, { findings: UnknownFinding[]; resources: number }> = {};
  for (const { name, stack, include } of includes) {
    const rendered = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string }> };
    const findings: UnknownFinding[] = [];
    for (const [logicalId, { Type }] of Object.entries(rendered.Resources)) {
      const resource = include.getResource(logicalId);
      // A plain CfnResource means no generated L1 class matched the type.
      if (resource.constructor === CfnResource) {
        findings.push({ logicalId, type: Type, problem: 'unknown resource type' });
        continue;
      }
      // rawOverrides is private in the typings; CfnInclude stores unrecognised properties there.
      const overrides = (resource as unknown as { rawOverrides?: { Properties?: Record<string, unknown> } })
        .rawOverrides?.Properties;
      for (const path of leafPaths(overrides ?? {})) {
        findings.push({ logicalId, type: Type, problem: `unknown property ${path}` });
      }
    }
    for (const plugin of report.pluginReports) {
      for (const violation of plugin.violations) {
        for (const construct of violation.violatingConstructs) {
          if (!construct.constructPath.startsWith(`${stack.stackName}/`)) continue;
          const logicalId = construct.cloudFormationResource?.logicalId ?? construct.constructPath;
          findings.push({
            logicalId,
            type: rendered.Resources[logicalId]?.Type ?? '?',
            problem: `${violation.ruleName}: ${violation.description}`,
          });
        }
      }
    }
    result[name] = { findings, resources: Object.keys(rendered.Resources).length };
  }
  return result;
}

/** A template with a misspelled property, an unknown nested property and an invented type. */
function badTemplate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stackfleet-include-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    [
      'Resources:',
      '  Bucket:',
      '    Type: AWS::S3::Bucket',
      '    Properties:',
      '      VersioningConfiguration: { Status: Enabled, Mfa: true }',
      '      BucketEncription: {}',
      '  Thing:',
      '    Type: AWS::Nope::Thing',
      '    Properties: {}',
    ].join('\n'),
  );
  return file;
}

describe('templates are valid CloudFormation', () => {
  let results: ReturnType<typeof findUnknown>;

  beforeAll(() => {
    const files = Object.fromEntries(templateFiles.map((f) => [f, join(templatesDir, f)]));
    results = findUnknown({ ...files, 'bad.yaml (fixture)': badTemplate() });
  }, 300_000);

  it('finds the templates this project ships', () => {
    expect(templateFiles).toEqual(expect.arrayContaining(['baseline.yaml', 'execution-role.yaml']));
  });

  it.each(templateFiles)('%s: every resource type and property is known, and it synthesizes', (name) => {
    expect(results[name]?.findings).toEqual([]);
    // Synthesis ran each L1's property validators (types, required properties).
    expect(results[name]?.resources).toBeGreaterThan(1);
  });

  it('catches a misspelled property and an invented resource type (the check can fail)', () => {
    expect(results['bad.yaml (fixture)']?.findings).toEqual(
      expect.arrayContaining([
        { logicalId: 'Bucket', type: 'AWS::S3::Bucket', problem: 'unknown property BucketEncription' },
        {
          logicalId: 'Bucket',
          type: 'AWS::S3::Bucket',
          problem: 'unknown property VersioningConfiguration.Mfa',
        },
        { logicalId: 'Thing', type: 'AWS::Nope::Thing', problem: 'unknown resource type' },
        {
          logicalId: 'Thing',
          type: 'AWS::Nope::Thing',
          problem: "F3006: Unknown resource type 'AWS::Nope::Thing'",
        },
      ]),
    );
  });
});

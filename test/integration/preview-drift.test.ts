/**
 * Preview and drift modes on the sandbox through the real state machines (rollout +
 * deploy-target), the real functions and the real SDK clients: what an operator sees when they
 * preview a template change, preview a new organisation, and run drift with and without repair.
 */
import { clearCredentialCache } from '../../src/aws/assume-role';
import type { RolloutSummary, RolloutSummaryDocument, TargetResult } from '../../src/core/summary';
import { cfnSection, type StackRecord, settleStack } from '../../src/sandbox/cfn/state';
import { validateScenario } from '../../src/sandbox/scenario';
import type { Scenario } from '../../src/sandbox/scenario-types';
import {
  deleteStackOutOfBand,
  forceStackStatus,
  markDrifted,
} from '../../src/sandbox/services/cloudformation';
import { readSummaryDocument } from '../helpers/invariants';
import {
  openSandboxHarness as openHarness,
  type SandboxHarness,
  type TemplateLocation,
} from '../helpers/sandbox-harness';

const MGMT = '111111111111';
const A = '222222222222';
const B = '333333333333';
const NEW = '444444444444';
const REGIONS = ['eu-west-1', 'us-east-1'];
const STACK = 'stackfleet-baseline';
const ROLE = 'StackFleetExecution';

/**
 * The log bucket's policy and the trail, the same in both versions but for the trail's name. What AWS
 * accepts through the bootstrap's CloudFormation service role (templates/execution-role.yaml): a
 * trail named with the baseline's IAM name prefix (StackFleet-), and the bucket policy CloudTrail
 * checks when the trail is created (CloudTrail User Guide, create-s3-bucket-policy-for-cloudtrail).
 * The policy names both trails by pattern, so renaming the trail in v2 leaves it unchanged.
 */
const trail = (trailName: string) => `  LogBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref LogBucket
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Sid: CloudTrailChecksBucket
            Effect: Allow
            Principal: { Service: cloudtrail.amazonaws.com }
            Action: s3:GetBucketAcl
            Resource: !GetAtt LogBucket.Arn
            Condition:
              ArnLike: { 'aws:SourceArn': !Sub 'arn:\${AWS::Partition}:cloudtrail:\${AWS::Region}:\${AWS::AccountId}:trail/StackFleet-*' }
          - Sid: CloudTrailDelivers
            Effect: Allow
            Principal: { Service: cloudtrail.amazonaws.com }
            Action: s3:PutObject
            Resource: !Sub '\${LogBucket.Arn}/AWSLogs/\${AWS::AccountId}/*'
            Condition:
              StringEquals: { 's3:x-amz-acl': bucket-owner-full-control }
              ArnLike: { 'aws:SourceArn': !Sub 'arn:\${AWS::Partition}:cloudtrail:\${AWS::Region}:\${AWS::AccountId}:trail/StackFleet-*' }
  Trail:
    Type: AWS::CloudTrail::Trail
    DependsOn: LogBucketPolicy
    Properties:
      TrailName: ${trailName}
      IsLogging: true
      S3BucketName: !Ref LogBucket
`;

/** A version of the baseline: its description, the topics besides the trail's, and the trail's name. */
const baseline = (
  version: string,
  topics: string,
  trailName: string,
) => `AWSTemplateFormatVersion: '2010-09-09'
Description: preview/drift test baseline ${version}
Resources:
  LogBucket:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration: { Status: Enabled }
${topics}${trail(trailName)}`;

const topic = (logicalId: string, displayName: string) => `  ${logicalId}:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: ${displayName}
`;

const V1 = baseline(
  'v1',
  topic('Alerts', 'security alerts') + topic('Legacy', 'legacy alerts'),
  'StackFleet-baseline-trail',
);

/** v2: Alerts modified in place, Trail renamed (replaced), Legacy removed, Audit added. */
const V2 = baseline(
  'v2',
  topic('Alerts', 'security alerts (v2)') + topic('Audit', 'audit'),
  'StackFleet-baseline-trail-v2',
);

function scenario(): Scenario {
  return validateScenario({
    seed: 61,
    organization: {
      id: 'o-preview0001',
      managementAccountId: MGMT,
      rootId: 'r-pv01',
      ous: [],
      accounts: [
        { id: MGMT, name: 'management', parent: 'r-pv01' },
        { id: A, name: 'audit', parent: 'r-pv01' },
        { id: B, name: 'workload', parent: 'r-pv01' },
        { id: NEW, name: 'joined-later', parent: 'r-pv01' },
      ],
    },
    regions: REGIONS,
    executionRoleName: ROLE,
    durations: { default: [5, 10] },
  });
}

function request(
  template: TemplateLocation | undefined,
  rolloutId: string,
  mode: 'deploy' | 'preview' | 'drift',
  accounts: string[],
  extra: Record<string, unknown> = {},
) {
  return {
    rolloutId,
    mode,
    template,
    stackName: STACK,
    executionRoleName: ROLE,
    targets: { accounts, regions: REGIONS },
    maxConcurrency: 4,
    ...extra,
  };
}

/**
 * The stack as CloudFormation has it once the operations already started have finished (the
 * sandbox settles stacks lazily; a CREATE preview's clean-up delete may still be running when the
 * rollout ends, as in AWS).
 */
function stackOf(h: SandboxHarness, account: string, region: string): StackRecord | undefined {
  const target = cfnSection(h.sandbox.world).targets[`${account}/${region}`];
  const id = target?.byName[STACK];
  const stack = id ? target?.stacks[id] : undefined;
  if (target && stack) settleStack(target, stack, Number.POSITIVE_INFINITY);
  return stack;
}

/** Runs a rollout through the real state machines. */
function rollout(h: SandboxHarness, input: unknown) {
  return h.runRollout(input);
}

/** What a person would see change on a stack: its status, template, operations and updated time. */
function fingerprint(stack: StackRecord | undefined) {
  if (!stack) return undefined;
  return {
    status: stack.status,
    templateHash: stack.config.templateHash,
    operations: stack.ops.length,
    lastOperationEnd: stack.ops.at(-1)?.endAt,
  };
}

function targetsOf(h: SandboxHarness, accounts: string[]): Array<[string, string]> {
  void h;
  return accounts.flatMap((a) => REGIONS.map((r) => [a, r] as [string, string]));
}

function byTarget(summary: RolloutSummaryDocument): Record<string, TargetResult> {
  return Object.fromEntries(summary.targets.map((t) => [`${t.accountId}/${t.region}`, t]));
}

describe('preview and drift on the sandbox', () => {
  let h: SandboxHarness;
  let v1: TemplateLocation;
  let v2: TemplateLocation;

  beforeAll(async () => {
    clearCredentialCache();
    h = await openHarness({ scenario: scenario() });
    v1 = await h.uploadTemplate(V1, 'templates/test-baseline.yaml');
    const deployed = await rollout(h, request(v1, 'pv-deploy', 'deploy', [A, B]));
    expect(deployed.status).toBe('SUCCEEDED');
    expect((deployed.output as RolloutSummary).counts.CREATED).toBe(4);
    v2 = await h.uploadTemplate(V2, 'templates/test-baseline.yaml');
  });

  describe('preview of a template change', () => {
    let summary: RolloutSummary;
    let document: RolloutSummaryDocument;
    let before: Record<string, unknown>;

    beforeAll(async () => {
      before = Object.fromEntries(
        targetsOf(h, [A, B]).map(([a, r]) => [`${a}/${r}`, fingerprint(stackOf(h, a, r))]),
      );
      const result = await rollout(h, request(v2, 'pv-preview', 'preview', [A, B, NEW]));
      expect(result.status).toBe('SUCCEEDED');
      summary = result.output as RolloutSummary;
      document = await readSummaryDocument(h, summary.summaryKey);
    });

    test('every deployed target lists exactly the changes v2 makes, replacement and removal included', () => {
      const targets = byTarget(document);
      for (const [a, r] of targetsOf(h, [A, B])) {
        const t = targets[`${a}/${r}`];
        expect(t?.outcome).toBe('CHANGES');
        expect(t?.changeSetType).toBe('UPDATE');
        expect(t?.changeCount).toBe(4);
        expect(t?.changes).toEqual([
          {
            action: 'Modify',
            logicalId: 'Alerts',
            type: 'AWS::SNS::Topic',
            replacement: 'False',
            properties: ['DisplayName'],
          },
          { action: 'Add', logicalId: 'Audit', type: 'AWS::SNS::Topic' },
          { action: 'Remove', logicalId: 'Legacy', type: 'AWS::SNS::Topic' },
          {
            action: 'Modify',
            logicalId: 'Trail',
            type: 'AWS::CloudTrail::Trail',
            replacement: 'True',
            properties: ['TrailName'],
          },
        ]);
        expect(t?.reason).toMatch(/would change 4 resources .*1 removed and 1 replaced/);
      }
    });

    test('nothing changes in any target: same status, template, operations and last-updated time', () => {
      for (const [a, r] of targetsOf(h, [A, B])) {
        expect(fingerprint(stackOf(h, a, r))).toEqual(before[`${a}/${r}`]);
        const target = cfnSection(h.sandbox.world).targets[`${a}/${r}`];
        // The preview's change sets were deleted after reading.
        expect(Object.keys(target?.changeSets ?? {})).toEqual([]);
      }
    });

    test('a new account previews Add for every resource and is left without a stack', () => {
      const targets = byTarget(document);
      for (const r of REGIONS) {
        const t = targets[`${NEW}/${r}`];
        expect(t?.outcome).toBe('CHANGES');
        expect(t?.changeSetType).toBe('CREATE');
        expect(t?.changes?.map((c) => `${c.action} ${c.logicalId}`)).toEqual([
          'Add Alerts',
          'Add Audit',
          'Add LogBucket',
          'Add LogBucketPolicy',
          'Add Trail',
        ]);
        // The empty REVIEW_IN_PROGRESS stack the CREATE change set made was deleted: nothing is left.
        const target = cfnSection(h.sandbox.world).targets[`${NEW}/${r}`];
        // The account's bootstrap stack (StackFleetBootstrap, the execution role) is not the preview's.
        const made = Object.values(target?.stacks ?? {}).filter((s) => s.stackName === STACK);
        expect(made).toHaveLength(1);
        settleStack(target as NonNullable<typeof target>, made[0] as StackRecord, Number.POSITIVE_INFINITY);
        expect(made[0]?.ops.map((o) => o.kind)).toEqual(['CREATE', 'DELETE']);
        expect(made[0]?.status).toBe('DELETE_COMPLETE');
        expect(target?.byName[STACK]).toBeUndefined();
        expect(Object.keys(cfnSection(h.sandbox.world).targets[`${NEW}/${r}`]?.changeSets ?? {})).toEqual([]);
      }
    });

    test('the summary counts preview outcomes like deploy outcomes', () => {
      expect(summary.mode).toBe('preview');
      expect(summary.status).toBe('SUCCEEDED');
      expect(summary.counts.CHANGES).toBe(6);
      expect(summary.text).toContain('6 CHANGES');
    });

    test('a preview of the deployed version reports NO_CHANGE everywhere', async () => {
      const result = await rollout(h, request(v1, 'pv-same', 'preview', [A, B]));
      const out = result.output as RolloutSummary;
      expect(out.counts.NO_CHANGE).toBe(4);
      expect(out.counts.CHANGES ?? 0).toBe(0);
      const doc = await readSummaryDocument(h, out.summaryKey);
      for (const t of doc.targets) {
        expect(t.changes).toBeUndefined();
        expect(t.reason).toMatch(/would change nothing/);
      }
    });
  });

  describe('drift', () => {
    test('repairs drifted targets, leaves in-sync ones alone, converges a deleted stack and a new account', async () => {
      markDrifted(h.sandbox.world, A, 'eu-west-1', STACK, 'Trail', {
        property: 'IsLogging',
        actual: 'false',
      });
      deleteStackOutOfBand(h.sandbox.world, B, 'us-east-1', STACK);
      const inSyncBefore = fingerprint(stackOf(h, A, 'us-east-1'));

      const result = await rollout(h, request(v1, 'dr-repair', 'drift', [A, B, NEW], { repair: true }));
      expect(result.status).toBe('SUCCEEDED');
      const out = result.output as RolloutSummary;
      const doc = await readSummaryDocument(h, out.summaryKey);
      const targets = byTarget(doc);
      expect(Object.fromEntries(Object.entries(targets).map(([k, t]) => [k, t.outcome]))).toEqual({
        [`${A}/eu-west-1`]: 'DRIFT_REPAIRED',
        [`${A}/us-east-1`]: 'IN_SYNC',
        [`${B}/eu-west-1`]: 'IN_SYNC',
        [`${B}/us-east-1`]: 'CREATED',
        [`${NEW}/eu-west-1`]: 'CREATED',
        [`${NEW}/us-east-1`]: 'CREATED',
      });
      expect(out.counts).toMatchObject({ DRIFT_REPAIRED: 1, IN_SYNC: 2, CREATED: 3, FAILED: 0 });
      // A converged target says why the drift run deployed it, then what the deploy did.
      expect(targets[`${B}/us-east-1`]?.reason).toMatch(
        new RegExp(`^Stack ${STACK} does not exist: deploying the baseline; Stack ${STACK} created`),
      );

      const repaired = targets[`${A}/eu-west-1`];
      expect(repaired?.drifted).toEqual([
        expect.objectContaining({
          logicalId: 'Trail',
          type: 'AWS::CloudTrail::Trail',
          status: 'MODIFIED',
          properties: ['/IsLogging'],
        }),
      ]);
      expect(repaired?.driftedCount).toBe(1);
      expect(repaired?.reason).toMatch(/^Reverted 1 drifted resource to the template .*Trail/);
      // The drift is gone and the in-sync stack was not touched.
      expect(Object.keys(stackOf(h, A, 'eu-west-1')?.drift.live ?? {})).toEqual([]);
      expect(fingerprint(stackOf(h, A, 'us-east-1'))).toEqual(inSyncBefore);
      for (const [a, r] of [
        [B, 'us-east-1'],
        [NEW, 'eu-west-1'],
        [NEW, 'us-east-1'],
      ] as const) {
        expect(stackOf(h, a, r)?.status).toBe('CREATE_COMPLETE');
      }

      // Run again: everything is in sync now.
      const again = await rollout(h, request(v1, 'dr-again', 'drift', [A, B, NEW], { repair: true }));
      expect((again.output as RolloutSummary).counts).toMatchObject({ IN_SYNC: 6, FAILED: 0 });
    });

    test('with repair false, drift is reported and left in place', async () => {
      markDrifted(h.sandbox.world, B, 'eu-west-1', STACK, 'Alerts', {
        property: 'DisplayName',
        actual: JSON.stringify('renamed by hand'),
      });
      const before = fingerprint(stackOf(h, B, 'eu-west-1'));
      const result = await rollout(h, request(v1, 'dr-report', 'drift', [B], { repair: false }));
      expect(result.status).toBe('SUCCEEDED');
      const out = result.output as RolloutSummary;
      expect(out.counts).toMatchObject({ DRIFTED: 1, IN_SYNC: 1 });
      const t = byTarget(await readSummaryDocument(h, out.summaryKey))[`${B}/eu-west-1`];
      expect(t?.outcome).toBe('DRIFTED');
      expect(t?.drifted).toEqual([
        expect.objectContaining({ logicalId: 'Alerts', status: 'MODIFIED', properties: ['/DisplayName'] }),
      ]);
      expect(t?.reason).toMatch(/not repaired: repair is false/);
      expect(fingerprint(stackOf(h, B, 'eu-west-1'))).toEqual(before);
      expect(Object.keys(stackOf(h, B, 'eu-west-1')?.drift.live ?? {})).toEqual(['Alerts']);
    });

    test('the same template published again is checked for drift, not redeployed', async () => {
      const again = await h.uploadTemplate(V1, 'templates/test-baseline.yaml');
      expect(again.versionId).not.toBe(v1.versionId);
      const before = fingerprint(stackOf(h, B, 'us-east-1'));
      const result = await rollout(h, request(again, 'dr-republished', 'drift', [B], { repair: false }));
      const out = result.output as RolloutSummary;
      expect(out.counts).toMatchObject({ DRIFTED: 1, IN_SYNC: 1, UPDATED: 0 });
      expect(fingerprint(stackOf(h, B, 'us-east-1'))).toEqual(before);
    });

    test('a failed stack is converged like a deploy: deleted and created again', async () => {
      forceStackStatus(h.sandbox.world, NEW, 'eu-west-1', STACK, 'ROLLBACK_COMPLETE', 'forced by the test');
      const result = await rollout(h, request(v1, 'dr-failed', 'drift', [NEW], { repair: true }));
      expect(result.status).toBe('SUCCEEDED');
      const targets = byTarget(await readSummaryDocument(h, (result.output as RolloutSummary).summaryKey));
      expect(targets[`${NEW}/eu-west-1`]?.outcome).toBe('CREATED');
      expect(targets[`${NEW}/eu-west-1`]?.reason).toMatch(
        /is ROLLBACK_COMPLETE, not a usable settled stack: deploying it as in deploy mode; Stack .* created/,
      );
      expect(targets[`${NEW}/us-east-1`]?.outcome).toBe('IN_SYNC');
      expect(stackOf(h, NEW, 'eu-west-1')?.status).toBe('CREATE_COMPLETE');
    });

    test('a stack on an older template version is updated to the pinned one', async () => {
      const result = await rollout(h, request(v2, 'dr-outdated', 'drift', [A], { repair: true }));
      expect(result.status).toBe('SUCCEEDED');
      const out = result.output as RolloutSummary;
      expect(out.counts).toMatchObject({ UPDATED: 2, FAILED: 0 });
      const tags = stackOf(h, A, 'eu-west-1')?.config.tags ?? [];
      expect(tags).toContainEqual({ Key: 'stackfleet:template-version', Value: v2.versionId });
    });
  });

  test('no credential material reaches any preview or drift execution history', () => {
    const histories = Object.values(h.engine.store.executions)
      .filter((e) => /-(pv|dr)-[a-z]+$/.test(e.name ?? '') || /^(pv|dr)-/.test(e.name ?? ''))
      .map((e) => JSON.stringify(e.history));
    expect(histories.length).toBeGreaterThan(20);
    for (const text of histories) {
      expect(text).not.toMatch(/SecretAccessKey|SessionToken|\bASIA[A-Z0-9]{16}\b/);
    }
  });
});

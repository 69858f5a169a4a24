import {
  FIRST_WAIT_SECONDS,
  MAX_WAIT_SECONDS,
  MIN_WAIT_SECONDS,
  nextWaitSeconds,
  OVERRUN_SHARE,
  projectCreateFinishSeconds,
  readTemplateResources,
  STACK_OVERHEAD_SECONDS,
  TYPICAL_CREATE_SECONDS,
  templatePrior,
  waitForOtherOperationSeconds,
} from '../../src/core/wait-policy';

describe('next wait', () => {
  it.each([
    // [case, context, low, high]
    [
      'first look right after the operation started',
      { elapsedSeconds: 0, checks: 0 },
      FIRST_WAIT_SECONDS,
      FIRST_WAIT_SECONDS,
    ],
    [
      'aims just past the predicted finish of running resources',
      { elapsedSeconds: 20, checks: 1, progress: { doneSeconds: [10, 12, 14], runningSeconds: [4] } },
      10,
      16,
    ],
    [
      'adds one wave when the template has resources not started yet',
      { elapsedSeconds: 20, checks: 1, progress: { doneSeconds: [30], runningSeconds: [5], total: 6 } },
      55,
      66,
    ],
    [
      'short when nothing runs (CloudFormation finishing the stack)',
      { elapsedSeconds: 20, checks: 1, progress: { doneSeconds: [10], runningSeconds: [] } },
      MIN_WAIT_SECONDS,
      MIN_WAIT_SECONDS + 4,
    ],
    [
      'backs off for a resource running far longer than the others',
      { elapsedSeconds: 300, checks: 5, progress: { doneSeconds: [10], runningSeconds: [280] } },
      Math.min(140, MAX_WAIT_SECONDS),
      MAX_WAIT_SECONDS,
    ],
    [
      'never shorter than a fifth of the time already spent',
      { elapsedSeconds: 400, checks: 8, progress: { doneSeconds: [10], runningSeconds: [] } },
      80,
      80,
    ],
    [
      'never past the per-target timeout',
      {
        elapsedSeconds: 3590,
        checks: 30,
        progress: { doneSeconds: [], runningSeconds: [3590] },
        remainingBudgetSeconds: 7,
      },
      8,
      8,
    ],
  ])('%s', (_case, context, low, high) => {
    const { seconds } = nextWaitSeconds(context);
    expect(Number.isInteger(seconds)).toBe(true);
    expect(seconds).toBeGreaterThanOrEqual(low);
    expect(seconds).toBeLessThanOrEqual(high);
  });

  it('stays within bounds for any progress', () => {
    for (let elapsed = 0; elapsed < 5000; elapsed += 37) {
      const { seconds } = nextWaitSeconds({
        elapsedSeconds: elapsed,
        checks: 1 + (elapsed % 7),
        progress: { doneSeconds: [elapsed % 50], runningSeconds: [elapsed % 300] },
      });
      expect(seconds).toBeGreaterThanOrEqual(MIN_WAIT_SECONDS);
      expect(seconds).toBeLessThanOrEqual(MAX_WAIT_SECONDS);
    }
  });

  interface SimResource {
    start: number;
    seconds: number;
  }

  /** Waves of resources; each wave starts when the previous one finished; durations are shares of `waveSeconds`. */
  function waves(count: number, waveSeconds: number, shares = [0.3, 0.6, 1]): SimResource[] {
    return Array.from({ length: count }, (_, w) =>
      shares.map((share) => ({ start: w * waveSeconds, seconds: share * waveSeconds })),
    ).flat();
  }

  /** Checks the policy needs until a check lands after the stack settled (2 s after its last resource). */
  function checksToSettle(
    resources: SimResource[],
    knowTotal = false,
  ): { checks: number; lateSeconds: number } {
    const finish = Math.max(...resources.map((r) => r.start + r.seconds)) + 2;
    let elapsed = 0;
    let checks = 0;
    let wait = nextWaitSeconds({ elapsedSeconds: 0, checks: 0 }).seconds;
    for (;;) {
      elapsed += wait;
      checks += 1;
      if (elapsed >= finish) return { checks, lateSeconds: elapsed - finish };
      const doneSeconds = resources.filter((r) => r.start + r.seconds <= elapsed).map((r) => r.seconds);
      const runningSeconds = resources
        .filter((r) => r.start <= elapsed && r.start + r.seconds > elapsed)
        .map((r) => elapsed - r.start);
      wait = nextWaitSeconds({
        elapsedSeconds: elapsed,
        checks,
        progress: { doneSeconds, runningSeconds, ...(knowTotal ? { total: resources.length } : {}) },
      }).seconds;
    }
  }

  it.each([
    ['a flat stack of 60 s resources', 2, waves(1, 60, [1, 1, 1])],
    ['a flat stack of mixed resources, 90 s', 3, waves(1, 90)],
    ['a flat stack of mixed resources, 2 minutes', 3, waves(1, 120)],
    ['two waves of mixed resources, 1 minute', 2, waves(2, 30)],
    ['two waves of mixed resources, 2 minutes', 4, waves(2, 60)],
  ])('%s settles in at most %i checks, soon after it finished', (_case, maxChecks, resources) => {
    const { checks, lateSeconds } = checksToSettle(resources);
    expect(checks).toBeLessThanOrEqual(maxChecks);
    expect(lateSeconds).toBeLessThanOrEqual(40);
  });

  it('beats fixed 30 s polling on checks for 1-3 minute stacks', () => {
    const stacks = [waves(1, 60), waves(1, 90), waves(1, 120), waves(2, 45), waves(2, 60), waves(3, 60)];
    const adaptive = stacks.reduce((sum, s) => sum + checksToSettle(s).checks, 0);
    const fixed = stacks.reduce(
      (sum, s) => sum + Math.ceil((Math.max(...s.map((r) => r.start + r.seconds)) + 2) / 30),
      0,
    );
    expect(adaptive).toBeLessThan(fixed);
  });

  it('a 30-minute stack costs a bounded number of checks (back-off), far fewer than 10 s polling', () => {
    const { checks } = checksToSettle(waves(3, 600));
    expect(checks).toBeLessThanOrEqual(30);
    expect(checks).toBeGreaterThan(3);
  });
});

describe('waiting for someone else', () => {
  it('waits 15 s, then half of the time already waited, up to a minute, and not past the timeout', () => {
    expect(waitForOtherOperationSeconds(0)).toBe(15);
    expect(waitForOtherOperationSeconds(80)).toBe(40);
    expect(waitForOtherOperationSeconds(1000)).toBe(60);
    expect(waitForOtherOperationSeconds(1000, 4)).toBe(5);
  });
});

describe('the template prior', () => {
  const template = `
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  HomeRegion: { Type: String, Default: us-east-1 }
  EnableExtra: { Type: String, Default: "false" }
Conditions:
  IsHome: !Equals [!Ref "AWS::Region", !Ref HomeRegion]
  Extra: !Equals [!Ref EnableExtra, "true"]
  HomeAndExtra: !And [!Condition IsHome, !Condition Extra]
  Unknowable: !Equals [!ImportValue Something, "x"]
Resources:
  Key:
    Type: AWS::KMS::Key
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: { KMSMasterKeyID: !GetAtt Key.Arn }
  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument: { Statement: [{ Resource: !Sub "\${Bucket.Arn}/*" }] }
  Topic:
    Type: AWS::SNS::Topic
  Trail:
    Type: AWS::CloudTrail::Trail
    Condition: IsHome
    DependsOn: [BucketPolicy]
  ExtraRule:
    Type: AWS::Events::Rule
    Condition: HomeAndExtra
  Guess:
    Type: AWS::Logs::LogGroup
    Condition: Unknowable
`;

  it('follows Ref, GetAtt, Sub and DependsOn and drops resources whose condition is false here', () => {
    const home = readTemplateResources(template, {
      region: 'us-east-1',
      accountId: '123456789012',
      parameters: {},
    });
    expect(Object.keys(home).sort()).toEqual(['Bucket', 'BucketPolicy', 'Guess', 'Key', 'Topic', 'Trail']);
    expect(home.Bucket?.dependsOn).toEqual(['Key']);
    expect(home.BucketPolicy?.dependsOn).toEqual(['Bucket']);
    expect(home.Trail?.dependsOn).toEqual(['BucketPolicy']);

    const away = readTemplateResources(template, {
      region: 'eu-west-1',
      accountId: '123456789012',
      parameters: {},
    });
    expect(Object.keys(away)).not.toContain('Trail');
    const extra = readTemplateResources(template, {
      region: 'us-east-1',
      accountId: '123456789012',
      parameters: { EnableExtra: 'true' },
    });
    expect(Object.keys(extra)).toContain('ExtraRule');
  });

  it('expects a create to last its slowest chain of typical resource times', () => {
    const home = templatePrior(
      readTemplateResources(template, { region: 'us-east-1', accountId: '1', parameters: {} }),
    );
    const away = templatePrior(
      readTemplateResources(template, { region: 'eu-west-1', accountId: '1', parameters: {} }),
    );
    const t = TYPICAL_CREATE_SECONDS;
    // Key -> Bucket -> BucketPolicy -> Trail
    expect(home).toEqual({
      resourceCount: 6,
      expectedSeconds:
        (t['AWS::KMS::Key'] ?? 0) +
        (t['AWS::S3::Bucket'] ?? 0) +
        (t['AWS::S3::BucketPolicy'] ?? 0) +
        (t['AWS::CloudTrail::Trail'] ?? 0) +
        STACK_OVERHEAD_SECONDS,
    });
    expect(away.expectedSeconds).toBeLessThan(home.expectedSeconds);
  });

  it('reads JSON templates too, and survives a dependency cycle', () => {
    const json = JSON.stringify({
      Resources: {
        A: { Type: 'AWS::SNS::Topic', DependsOn: 'B' },
        B: { Type: 'AWS::SNS::Topic', Properties: { X: { Ref: 'A' } } },
      },
    });
    const prior = templatePrior(
      readTemplateResources(json, { region: 'eu-west-1', accountId: '1', parameters: {} }),
    );
    expect(prior.resourceCount).toBe(2);
    expect(prior.expectedSeconds).toBeGreaterThan(0);
  });

  it('keeps aiming at the template finish between dependency waves, and falls back to the events once past it', () => {
    const between = nextWaitSeconds({
      elapsedSeconds: 60,
      checks: 1,
      expectedSeconds: 150,
      progress: { doneSeconds: [30, 40], runningSeconds: [] },
    });
    expect(between.seconds).toBeGreaterThanOrEqual(90);
    const late = nextWaitSeconds({
      elapsedSeconds: 170,
      checks: 2,
      expectedSeconds: 150,
      progress: { doneSeconds: [30, 40], runningSeconds: [10] },
    });
    expect(late.seconds).toBeLessThan(60);
  });

  it('with the prior, a 2-3 minute create settles in two checks: an early look and one just after the finish', () => {
    for (const actual of [120, 150, 180]) {
      for (const priorError of [0.9, 1, 1.1]) {
        const expectedSeconds = actual / priorError;
        const first = nextWaitSeconds({ elapsedSeconds: 0, checks: 0, expectedSeconds }).seconds;
        const second = nextWaitSeconds({
          elapsedSeconds: first,
          checks: 1,
          expectedSeconds,
          progress: { doneSeconds: [5], runningSeconds: [first - 2, first - 2] },
        }).seconds;
        const secondCheckAt = first + second;
        expect({ actual, priorError, settled: secondCheckAt >= actual }).toEqual({
          actual,
          priorError,
          settled: true,
        });
        expect(secondCheckAt - actual).toBeLessThanOrEqual(0.35 * actual);
      }
    }
  });
});

describe('projecting a create from its template and its events', () => {
  const t = (type: string) => TYPICAL_CREATE_SECONDS[type] ?? 0;
  // A trail needs its bucket policy, which needs the bucket, which is encrypted with the key.
  const graph = {
    Key: { type: 'AWS::KMS::Key', dependsOn: [] },
    Bucket: { type: 'AWS::S3::Bucket', dependsOn: ['Key'] },
    BucketPolicy: { type: 'AWS::S3::BucketPolicy', dependsOn: ['Bucket'] },
    Trail: { type: 'AWS::CloudTrail::Trail', dependsOn: ['BucketPolicy'] },
    Topic: { type: 'AWS::SNS::Topic', dependsOn: [] },
  };

  it('adds the waves not started yet to what is running, from typical times', () => {
    const observed = new Map([
      ['Key', { startSeconds: 1, endSeconds: 61 }],
      ['Topic', { startSeconds: 1, endSeconds: 9 }],
      ['Bucket', { startSeconds: 61 }],
    ]);
    const at = 70;
    const bucketLeft = t('AWS::S3::Bucket') - (at - 61);
    expect(projectCreateFinishSeconds(graph, observed, at)).toBe(
      at + bucketLeft + t('AWS::S3::BucketPolicy') + t('AWS::CloudTrail::Trail') + 1,
    );
  });

  it("uses this operation's own time for a type once a resource of it finished", () => {
    const twoBuckets = { ...graph, LogBucket: { type: 'AWS::S3::Bucket', dependsOn: [] } };
    const observed = new Map([
      ['LogBucket', { startSeconds: 1, endSeconds: 81 }],
      ['Key', { startSeconds: 1, endSeconds: 61 }],
      ['Topic', { startSeconds: 1, endSeconds: 9 }],
      ['Bucket', { startSeconds: 61 }],
    ]);
    // The log bucket took 80 s, so the running bucket is expected to take 80 s too.
    expect(projectCreateFinishSeconds(twoBuckets, observed, 90)).toBe(
      61 + 80 + t('AWS::S3::BucketPolicy') + t('AWS::CloudTrail::Trail') + 1,
    );
  });

  it('expects a resource past its typical time to need half its running time again', () => {
    const observed = new Map([['Key', { startSeconds: 0 }]]);
    const at = 2 * t('AWS::KMS::Key');
    expect(projectCreateFinishSeconds(graph, observed, at)).toBe(
      at +
        OVERRUN_SHARE * at +
        t('AWS::S3::Bucket') +
        t('AWS::S3::BucketPolicy') +
        t('AWS::CloudTrail::Trail') +
        1,
    );
  });

  it('counts a resource whose events fell off the first page as done once something waiting for it started', () => {
    const observed = new Map([['BucketPolicy', { startSeconds: 150 }]]);
    // Key and Bucket are not in the events at all, yet the policy started: they are done.
    expect(projectCreateFinishSeconds(graph, observed, 151)).toBe(
      150 + t('AWS::S3::BucketPolicy') + t('AWS::CloudTrail::Trail') + 1,
    );
  });

  /** Checks until one lands after the stack settled (1 s after its last resource), projecting like Check stack. */
  function settle(durations: Record<keyof typeof graph, number>) {
    const start = new Map<string, number>();
    const end = new Map<string, number>();
    const endOf = (id: keyof typeof graph): number => {
      const known = end.get(id);
      if (known !== undefined) return known;
      const s = Math.max(1, ...graph[id].dependsOn.map((d) => endOf(d as keyof typeof graph)));
      start.set(id, s);
      end.set(id, s + durations[id]);
      return s + durations[id];
    };
    const finish = Math.max(...(Object.keys(graph) as (keyof typeof graph)[]).map(endOf)) + 1;
    const expectedSeconds = templatePrior(graph).expectedSeconds;
    let elapsed = nextWaitSeconds({ elapsedSeconds: 0, checks: 0, expectedSeconds }).seconds;
    let checks = 1;
    while (elapsed < finish) {
      const observed = new Map<string, { startSeconds?: number; endSeconds?: number }>();
      for (const [id, s] of start) {
        if (s > elapsed) continue;
        const e = end.get(id) ?? 0;
        observed.set(id, e <= elapsed ? { startSeconds: s, endSeconds: e } : { startSeconds: s });
      }
      elapsed += nextWaitSeconds({
        elapsedSeconds: elapsed,
        checks,
        expectedSeconds,
        progress: { doneSeconds: [], runningSeconds: [] },
        projectedFinishSeconds: projectCreateFinishSeconds(graph, observed, elapsed),
      }).seconds;
      checks += 1;
    }
    return { checks, lateSeconds: elapsed - finish, finish };
  }

  it.each([
    ['at typical times', 1],
    ['a fifth faster', 0.8],
    ['a fifth slower', 1.2],
  ])('a create %s settles in two checks, soon after it finished', (_case, pace) => {
    const durations = {
      Key: pace * t('AWS::KMS::Key'),
      Bucket: pace * t('AWS::S3::Bucket'),
      BucketPolicy: pace * t('AWS::S3::BucketPolicy'),
      Trail: pace * t('AWS::CloudTrail::Trail'),
      Topic: pace * t('AWS::SNS::Topic'),
    };
    const { checks, lateSeconds, finish } = settle(durations);
    expect(checks).toBe(2);
    expect(lateSeconds).toBeLessThanOrEqual(0.3 * finish);
  });

  it('a slow key (twice its typical time) is followed, not guessed: a third look, still soon after the finish', () => {
    const { checks, lateSeconds } = settle({
      Key: 2 * t('AWS::KMS::Key'),
      Bucket: t('AWS::S3::Bucket'),
      BucketPolicy: t('AWS::S3::BucketPolicy'),
      Trail: t('AWS::CloudTrail::Trail'),
      Topic: t('AWS::SNS::Topic'),
    });
    expect(checks).toBeLessThanOrEqual(4);
    expect(lateSeconds).toBeLessThanOrEqual(60);
  });
});

/**
 * What the sandbox knows per resource type: which property names the physical resource,
 * what `Ref` and `Fn::GetAtt` return, and which property changes force a replacement (the
 * rules of the CloudFormation resource reference for the types a security baseline uses).
 * Unknown types get a generated id and never require replacement: the sandbox deploys them
 * with the default duration instead of refusing them.
 */
import { partitionOf } from './intrinsics';

/** How a property change affects the physical resource (`RequiresRecreation` in change sets). */
export const Recreation = { Never: 'Never', Conditionally: 'Conditionally', Always: 'Always' } as const;
export type Recreation = (typeof Recreation)[keyof typeof Recreation];

interface TypeInfo {
  /** Property holding a user-chosen physical name. */
  nameProperty?: string;
  /** How a generated name looks: AWS lowercases bucket names and caps lengths. */
  nameStyle?: 'lower' | 'mixed';
  maxNameLength?: number;
  /** `Ref` returns the name, the ARN, or a generated id. */
  ref: 'name' | 'arn' | 'id' | 'url';
  /** ARN from the physical name/id. */
  arn?: (p: ArnParts) => string;
  /** Properties whose change always replaces the resource. */
  replaceOn?: string[];
  /** Properties whose change may replace the resource, depending on the values. */
  conditionalOn?: string[];
  /** Whether drift detection supports the type (others are NOT_CHECKED). */
  driftSupported?: boolean;
}

interface ArnParts {
  partition: string;
  region: string;
  account: string;
  name: string;
}

const TYPES: Record<string, TypeInfo> = {
  'AWS::S3::Bucket': {
    nameProperty: 'BucketName',
    nameStyle: 'lower',
    maxNameLength: 63,
    ref: 'name',
    arn: (p) => `arn:${p.partition}:s3:::${p.name}`,
    replaceOn: ['BucketName', 'ObjectLockEnabled'],
    driftSupported: true,
  },
  'AWS::S3::BucketPolicy': { ref: 'id', replaceOn: ['Bucket'], driftSupported: true },
  'AWS::CloudTrail::Trail': {
    nameProperty: 'TrailName',
    maxNameLength: 128,
    ref: 'name',
    arn: (p) => `arn:${p.partition}:cloudtrail:${p.region}:${p.account}:trail/${p.name}`,
    replaceOn: ['TrailName'],
    driftSupported: true,
  },
  'AWS::KMS::Key': {
    ref: 'id',
    arn: (p) => `arn:${p.partition}:kms:${p.region}:${p.account}:key/${p.name}`,
    replaceOn: ['KeySpec', 'KeyUsage', 'MultiRegion'],
    driftSupported: true,
  },
  'AWS::KMS::Alias': {
    nameProperty: 'AliasName',
    ref: 'name',
    arn: (p) => `arn:${p.partition}:kms:${p.region}:${p.account}:${p.name}`,
    replaceOn: ['AliasName'],
    driftSupported: true,
  },
  'AWS::SNS::Topic': {
    nameProperty: 'TopicName',
    maxNameLength: 256,
    ref: 'arn',
    arn: (p) => `arn:${p.partition}:sns:${p.region}:${p.account}:${p.name}`,
    replaceOn: ['TopicName', 'FifoTopic'],
    driftSupported: true,
  },
  'AWS::SNS::TopicPolicy': { ref: 'id', driftSupported: true },
  'AWS::SNS::Subscription': {
    ref: 'arn',
    arn: (p) => `arn:${p.partition}:sns:${p.region}:${p.account}:${p.name}`,
    replaceOn: ['Endpoint', 'Protocol', 'TopicArn'],
  },
  'AWS::IAM::Role': {
    nameProperty: 'RoleName',
    maxNameLength: 64,
    ref: 'name',
    arn: (p) => `arn:${p.partition}:iam::${p.account}:role/${p.name}`,
    replaceOn: ['RoleName', 'Path'],
    driftSupported: true,
  },
  'AWS::IAM::ManagedPolicy': {
    nameProperty: 'ManagedPolicyName',
    maxNameLength: 128,
    ref: 'arn',
    arn: (p) => `arn:${p.partition}:iam::${p.account}:policy/${p.name}`,
    replaceOn: ['ManagedPolicyName', 'Path', 'Description'],
    driftSupported: true,
  },
  'AWS::IAM::Policy': { ref: 'id', driftSupported: true },
  'AWS::Config::ConfigurationRecorder': {
    nameProperty: 'Name',
    ref: 'name',
    replaceOn: ['Name'],
    driftSupported: true,
  },
  'AWS::Config::DeliveryChannel': {
    nameProperty: 'Name',
    ref: 'name',
    replaceOn: ['Name'],
    driftSupported: true,
  },
  'AWS::Config::ConfigRule': {
    nameProperty: 'ConfigRuleName',
    ref: 'name',
    arn: (p) => `arn:${p.partition}:config:${p.region}:${p.account}:config-rule/${p.name}`,
    replaceOn: ['ConfigRuleName'],
    driftSupported: true,
  },
  'AWS::Events::Rule': {
    nameProperty: 'Name',
    maxNameLength: 64,
    ref: 'name',
    arn: (p) => `arn:${p.partition}:events:${p.region}:${p.account}:rule/${p.name}`,
    replaceOn: ['Name', 'EventBusName'],
    driftSupported: true,
  },
  'AWS::Logs::LogGroup': {
    nameProperty: 'LogGroupName',
    maxNameLength: 512,
    ref: 'name',
    arn: (p) => `arn:${p.partition}:logs:${p.region}:${p.account}:log-group:${p.name}:*`,
    replaceOn: ['LogGroupName'],
    driftSupported: true,
  },
  'AWS::Logs::MetricFilter': {
    nameProperty: 'FilterName',
    ref: 'name',
    replaceOn: ['FilterName', 'LogGroupName'],
  },
  'AWS::CloudWatch::Alarm': {
    nameProperty: 'AlarmName',
    ref: 'name',
    arn: (p) => `arn:${p.partition}:cloudwatch:${p.region}:${p.account}:alarm:${p.name}`,
    replaceOn: ['AlarmName'],
    driftSupported: true,
  },
  'AWS::Lambda::Function': {
    nameProperty: 'FunctionName',
    maxNameLength: 64,
    ref: 'name',
    arn: (p) => `arn:${p.partition}:lambda:${p.region}:${p.account}:function:${p.name}`,
    replaceOn: ['FunctionName', 'PackageType'],
    driftSupported: true,
  },
  'AWS::SQS::Queue': {
    nameProperty: 'QueueName',
    maxNameLength: 80,
    ref: 'url',
    arn: (p) => `arn:${p.partition}:sqs:${p.region}:${p.account}:${p.name}`,
    replaceOn: ['QueueName', 'FifoQueue'],
    driftSupported: true,
  },
  'AWS::GuardDuty::Detector': { ref: 'id', driftSupported: true },
  'AWS::SecurityHub::Hub': {
    ref: 'arn',
    arn: (p) => `arn:${p.partition}:securityhub:${p.region}:${p.account}:hub/default`,
  },
  'AWS::AccessAnalyzer::Analyzer': {
    nameProperty: 'AnalyzerName',
    ref: 'arn',
    arn: (p) => `arn:${p.partition}:access-analyzer:${p.region}:${p.account}:analyzer/${p.name}`,
    replaceOn: ['AnalyzerName', 'Type'],
  },
  'AWS::EC2::VPC': { ref: 'id', replaceOn: ['CidrBlock', 'InstanceTenancy'], driftSupported: true },
  'AWS::EC2::Instance': {
    ref: 'id',
    replaceOn: ['AvailabilityZone', 'ImageId', 'SubnetId', 'KeyName'],
    conditionalOn: ['InstanceType', 'UserData', 'SecurityGroupIds'],
    driftSupported: true,
  },
  'AWS::CloudFormation::WaitConditionHandle': { ref: 'url' },
  'AWS::StepFunctions::StateMachine': {
    nameProperty: 'StateMachineName',
    maxNameLength: 80,
    ref: 'arn',
    arn: (p) => `arn:${p.partition}:states:${p.region}:${p.account}:stateMachine:${p.name}`,
    replaceOn: ['StateMachineName', 'StateMachineType'],
    driftSupported: true,
  },
  'AWS::Scheduler::Schedule': {
    nameProperty: 'Name',
    maxNameLength: 64,
    ref: 'name',
    arn: (p) => `arn:${p.partition}:scheduler:${p.region}:${p.account}:schedule/default/${p.name}`,
    replaceOn: ['Name', 'GroupName'],
  },
  'AWS::Events::EventBusPolicy': { ref: 'id', replaceOn: ['StatementId', 'EventBusName'] },
  'AWS::DynamoDB::Table': {
    nameProperty: 'TableName',
    maxNameLength: 255,
    ref: 'name',
    arn: (p) => `arn:${p.partition}:dynamodb:${p.region}:${p.account}:table/${p.name}`,
    replaceOn: ['TableName', 'KeySchema'],
    driftSupported: true,
  },
};

const DEFAULT_INFO: TypeInfo = { ref: 'id' };

function info(type: string): TypeInfo {
  return TYPES[type] ?? DEFAULT_INFO;
}

/** How a changed property affects a resource of this type. */
export function recreationFor(type: string, property: string): Recreation {
  const t = info(type);
  if (t.replaceOn?.includes(property)) return Recreation.Always;
  if (t.conditionalOn?.includes(property)) return Recreation.Conditionally;
  return Recreation.Never;
}

/** Whether drift detection checks this type (others report NOT_CHECKED, as AWS does for unsupported types). */
export function driftSupported(type: string): boolean {
  return info(type).driftSupported ?? true;
}

/** The property that names the physical resource, if the type has one. */
export function nameProperty(type: string): string | undefined {
  return info(type).nameProperty;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Deterministic random-looking text from a seed string (ids must not depend on wall time). */
export function stableToken(seed: string, length: number): string {
  // FNV-1a, then a xorshift stream: cheap enough for thousands of resources per second.
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  let x = h >>> 0 || 1;
  let out = '';
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += ALPHABET[x % ALPHABET.length];
  }
  return out;
}

/** UUID-shaped deterministic id. */
export function stableUuid(seed: string): string {
  // Four FNV-1a lanes: deterministic, UUID-shaped, and far cheaper than a cryptographic hash.
  const lanes = [0x811c9dc5, 0x050c5d1f, 0x1b873593, 0x68e31da4];
  for (let i = 0; i < seed.length; i++) {
    const c = seed.charCodeAt(i);
    for (let l = 0; l < 4; l++) lanes[l] = Math.imul((lanes[l] as number) ^ c, 0x01000193 + 2 * l);
  }
  const hex = lanes.map((v) => (v >>> 0).toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface PhysicalIdInput {
  type: string;
  logicalId: string;
  stackName: string;
  accountId: string;
  region: string;
  /** The resolved value of the type's name property, when the template sets it. */
  explicitName?: string;
  /** Seed that differs per physical resource (a replacement gets a new one). */
  seed: string;
}

/** The physical id AWS would give a new resource: the explicit name, or `stack-Logical-RANDOM`. */
export function physicalIdFor(input: PhysicalIdInput): string {
  const t = info(input.type);
  let name = input.explicitName;
  if (name === undefined) {
    if (t.ref === 'id' && !t.nameProperty) {
      if (input.type === 'AWS::KMS::Key' || input.type.startsWith('AWS::GuardDuty'))
        return stableUuid(input.seed);
      return `${input.stackName}-${input.logicalId}-${stableToken(input.seed, 12)}`;
    }
    const suffix = stableToken(input.seed, 12);
    const max = t.maxNameLength ?? 255;
    const prefix = `${input.stackName}-${input.logicalId}`.slice(0, Math.max(1, max - suffix.length - 1));
    name = `${prefix}-${suffix}`;
    if (t.nameStyle === 'lower') name = name.toLowerCase();
  }
  const parts = {
    partition: partitionOf(input.region),
    region: input.region,
    account: input.accountId,
    name,
  };
  if (t.ref === 'arn' && t.arn) return t.arn(parts);
  if (t.ref === 'url') return `https://sqs.${input.region}.amazonaws.com/${input.accountId}/${name}`;
  return name;
}

/** `Ref` of a resource: its physical id (which already is the ARN or URL for such types). */
export function refOf(_type: string, physicalId: string): string {
  return physicalId;
}

/** `Fn::GetAtt`: the common attributes (`Arn` and friends); others get a stable derived value. */
export function attributeOf(
  type: string,
  physicalId: string,
  attribute: string,
  where: { accountId: string; region: string },
): string {
  const t = info(type);
  const partition = partitionOf(where.region);
  const name = t.ref === 'arn' ? (physicalId.split(':').pop() ?? physicalId) : physicalId;
  const parts = { partition, region: where.region, account: where.accountId, name };
  switch (attribute) {
    case 'Arn':
      if (t.ref === 'arn') return physicalId;
      if (t.arn) return t.arn(parts);
      return `arn:${partition}:${serviceOf(type)}:${where.region}:${where.accountId}:${name}`;
    case 'TopicArn':
    case 'PolicyArn':
      return physicalId;
    case 'TopicName':
    case 'QueueName':
    case 'StateMachineName':
      return name;
    case 'Name':
      // AWS::StepFunctions::StateMachine's `Name` (and other types' name attributes): the physical name.
      return name;
    case 'KeyId':
    case 'RoleId':
    case 'Id':
      return t.ref === 'arn' ? name : physicalId;
    case 'DomainName':
      return `${name}.s3.amazonaws.com`;
    case 'RegionalDomainName':
      return `${name}.s3.${where.region}.amazonaws.com`;
    case 'QueueUrl':
      return physicalId;
    default:
      return `${physicalId}/${attribute}`;
  }
}

function serviceOf(type: string): string {
  return (type.split('::')[1] ?? 'unknown').toLowerCase();
}

/**
 * The client factory: one client per identity, service and region, and the settings the SDK
 * reads from the environment apply to every client a rollout makes, not only to the first one
 * (later clients reuse the first one's resolved settings), the cache keeps the clients in use,
 * and concurrent calls on one client do not mix up their requests.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { type HttpRequest, HttpResponse } from '@smithy/protocol-http';
import { awsClients, configureAws, MAX_CACHED_CLIENTS } from '../../src/aws/clients';
import { Sandbox } from '../../src/sandbox/sandbox';

const identityA = { accessKeyId: 'AKIAEXAMPLEA', secretAccessKey: 'secret-a' };
const identityB = { accessKeyId: 'AKIAEXAMPLEB', secretAccessKey: 'secret-b' };

describe('awsClients', () => {
  const saved = {
    fips: process.env.AWS_USE_FIPS_ENDPOINT,
    retry: process.env.AWS_RETRY_MODE,
    cfnEndpoint: process.env.AWS_ENDPOINT_URL_CLOUDFORMATION,
  };

  afterEach(() => {
    for (const [name, value] of [
      ['AWS_USE_FIPS_ENDPOINT', saved.fips],
      ['AWS_RETRY_MODE', saved.retry],
      ['AWS_ENDPOINT_URL_CLOUDFORMATION', saved.cfnEndpoint],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    configureAws({});
  });

  test('keeps one client per identity, service and region', () => {
    configureAws({});
    const first = awsClients.cloudFormation({ region: 'eu-west-1', credentials: identityA });
    expect(awsClients.cloudFormation({ region: 'eu-west-1', credentials: identityA })).toBe(first);
    expect(awsClients.cloudFormation({ region: 'eu-west-2', credentials: identityA })).not.toBe(first);
    expect(awsClients.cloudFormation({ region: 'eu-west-1', credentials: identityB })).not.toBe(first);
    expect(awsClients.cloudFormation({ region: 'eu-west-1' })).not.toBe(first);
  });

  test('keeps the most recently used clients and rebuilds the others when needed again', () => {
    configureAws({});
    const first = awsClients.cloudFormation({ region: 'eu-west-1', credentials: identityA });
    const busy = awsClients.cloudFormation({ region: 'eu-west-1', credentials: identityB });
    for (let i = 0; i < MAX_CACHED_CLIENTS; i++) {
      awsClients.cloudFormation({
        region: 'eu-west-1',
        credentials: { ...identityA, accessKeyId: `AKIA${i}` },
      });
      if (i % 100 === 0) awsClients.cloudFormation({ region: 'eu-west-1', credentials: identityB });
    }
    expect(awsClients.cloudFormation({ region: 'eu-west-1', credentials: identityB })).toBe(busy);
    expect(awsClients.cloudFormation({ region: 'eu-west-1', credentials: identityA })).not.toBe(first);
  });

  test('concurrent S3 reads of different buckets on one client each get their own object', async () => {
    const sandbox = await Sandbox.open({ stateDir: null });
    sandbox.connectAws();
    const s3 = awsClients.s3({ region: 'us-east-1' });
    const buckets = ['concurrent-a', 'concurrent-b', 'concurrent-c'];
    for (const bucket of buckets) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'object.txt', Body: bucket }));
    }
    const bodies = await Promise.all(
      buckets.map(async (bucket) => {
        const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'object.txt' }));
        return answer.Body?.transformToString();
      }),
    );
    expect(bodies).toEqual(buckets);
  });

  test('settings from the environment reach every target client, in every region and identity', async () => {
    process.env.AWS_USE_FIPS_ENDPOINT = 'true';
    process.env.AWS_RETRY_MODE = 'adaptive';
    configureAws({});
    const clients = [
      awsClients.cloudFormation({ region: 'us-east-1', credentials: identityA }),
      awsClients.cloudFormation({ region: 'us-west-2', credentials: identityA }),
      awsClients.cloudFormation({ region: 'us-west-2', credentials: identityB }),
      awsClients.sts({ region: 'us-east-1' }),
    ];
    for (const client of clients) {
      await expect(client.config.useFipsEndpoint()).resolves.toBe(true);
      await expect(client.config.useDualstackEndpoint()).resolves.toBe(false);
      await expect((client.config.retryMode as () => Promise<string>)()).resolves.toBe('adaptive');
    }
  });

  test('a new transport resolves the settings again', async () => {
    process.env.AWS_USE_FIPS_ENDPOINT = 'true';
    configureAws({});
    await expect(
      awsClients.cloudFormation({ region: 'us-east-1', credentials: identityA }).config.useFipsEndpoint(),
    ).resolves.toBe(true);
    process.env.AWS_USE_FIPS_ENDPOINT = 'false';
    configureAws({});
    await expect(
      awsClients.cloudFormation({ region: 'us-east-1', credentials: identityB }).config.useFipsEndpoint(),
    ).resolves.toBe(false);
  });

  /** A transport that records where each request went and answers DescribeStacks with no stacks. */
  function recordingTransport(hosts: string[]) {
    return {
      metadata: { handlerProtocol: 'http/1.1' },
      async handle(request: HttpRequest) {
        hosts.push(`${request.protocol}//${request.hostname}`);
        const body = Buffer.from(
          '<DescribeStacksResponse><DescribeStacksResult><Stacks/></DescribeStacksResult></DescribeStacksResponse>',
        );
        return {
          response: new HttpResponse({ statusCode: 200, headers: { 'content-type': 'text/xml' }, body }),
        };
      },
      updateHttpClientConfig() {},
      httpHandlerConfigs() {
        return {};
      },
      destroy() {},
    };
  }

  async function hostsOfClients(): Promise<string[]> {
    const hosts: string[] = [];
    configureAws({ requestHandler: recordingTransport(hosts), credentials: identityA });
    // The first client looks the endpoint up; the later ones, made after it answered, reuse that.
    await awsClients.cloudFormation({ region: 'us-east-1' }).send(new DescribeStacksCommand({}));
    for (const options of [
      { region: 'eu-west-1', credentials: identityA },
      { region: 'eu-west-1', credentials: identityB },
      { region: 'ap-southeast-2', credentials: identityB },
    ]) {
      await awsClients.cloudFormation(options).send(new DescribeStacksCommand({}));
    }
    return hosts;
  }

  test('an endpoint configured in the environment reaches every client, not only the first', async () => {
    process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = 'https://cfn.internal.example';
    expect(await hostsOfClients()).toEqual(Array(4).fill('https://cfn.internal.example'));
  });

  test('without a configured endpoint every client goes to its own region', async () => {
    delete process.env.AWS_ENDPOINT_URL_CLOUDFORMATION;
    expect(await hostsOfClients()).toEqual([
      'https://cloudformation.us-east-1.amazonaws.com',
      'https://cloudformation.eu-west-1.amazonaws.com',
      'https://cloudformation.eu-west-1.amazonaws.com',
      'https://cloudformation.ap-southeast-2.amazonaws.com',
    ]);
  });
});

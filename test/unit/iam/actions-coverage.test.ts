/**
 * Every operation the sandbox answers is authorized: an operation without an IAM mapping would be
 * allowed to anyone, so the request path refuses it, and this test finds it first. The actions the
 * mappings ask for must exist in AWS's Service Authorization Reference (a typo would never match a
 * policy, making the sandbox stricter than AWS in a way no test would explain).
 */

import { actionMappingFor } from '../../../src/sandbox/iam/actions/index';
import { isKnownAction } from '../../../src/sandbox/iam/catalog';
import { Sandbox } from '../../../src/sandbox/sandbox';
import type { ServiceEmulator } from '../../../src/sandbox/types';

describe('IAM mappings of the sandbox operations', () => {
  let sandbox: Sandbox;
  const services: ServiceEmulator[] = [];

  beforeAll(async () => {
    sandbox = await Sandbox.open({ stateDir: null });
    for (const name of [
      'sts',
      'cloudformation',
      's3',
      'ec2',
      'organizations',
      'sns',
      'states',
      'events',
      'cloudtrail',
      'config',
      'iam',
      'dynamodb',
    ]) {
      const service = sandbox.service(name);
      if (service) services.push(service);
    }
  });

  it('covers every operation of every default service', () => {
    const missing: string[] = [];
    for (const service of services) {
      for (const operation of Object.keys(service.operations)) {
        if (!actionMappingFor(service.signingName, operation))
          missing.push(`${service.signingName}.${operation}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('asks only for actions the Service Authorization Reference knows', () => {
    const unknown: string[] = [];
    const caller = { accountId: '111122223333', accessKeyId: 'test', arn: 'arn:aws:iam::111122223333:root' };
    for (const service of services) {
      for (const operation of Object.keys(service.operations)) {
        const mapping = actionMappingFor(service.signingName, operation);
        if (!mapping) continue;
        const specs = mapping(
          {
            StackName: 'stackfleet-x',
            Bucket: 'b',
            Key: 'k',
            TopicArn: 'arn:aws:sns:us-east-1:111122223333:t',
          },
          { world: sandbox.world, caller, region: 'us-east-1' },
        );
        if (specs === 'self') continue;
        for (const spec of specs)
          if (!isKnownAction(spec.action)) unknown.push(`${operation} -> ${spec.action}`);
      }
    }
    expect(unknown).toEqual([]);
  });
});

/**
 * The default set of service emulators: STS, Organizations, EC2, S3 and SNS (the core), and
 * CloudFormation, Step Functions and Lambda (Invoke), which live in their own modules.
 */
import type { ServiceEmulator } from '../types';
import { createCloudFormationService } from './cloudformation';
import { createConfigService } from './cloudtrail/config-service';
import { createCloudTrailService } from './cloudtrail/service';
import { createDynamoDbService } from './dynamodb/service';
import { createEc2Service } from './ec2';
import { createEventBridgeService } from './events/service';
import { createIamService } from './iam';
import { createLambdaService } from './lambda';
import { createOrganizationsService } from './organizations';
import { createS3Service } from './s3';
import { createSnsService } from './sns';
import { createStepFunctionsService } from './stepfunctions';
import { createStsService } from './sts';

/** Anything services can be registered on (the `Sandbox`). */
export interface ServiceRegistry {
  register(service: ServiceEmulator): void;
}

/** Registers every emulator the sandbox offers by default. */
export function registerDefaultServices(sandbox: ServiceRegistry): void {
  sandbox.register(createStsService());
  sandbox.register(createOrganizationsService());
  sandbox.register(createEc2Service());
  sandbox.register(createS3Service());
  sandbox.register(createSnsService());
  sandbox.register(createCloudFormationService());
  sandbox.register(createStepFunctionsService());
  sandbox.register(createLambdaService());
  sandbox.register(createEventBridgeService());
  sandbox.register(createCloudTrailService());
  sandbox.register(createConfigService());
  sandbox.register(createIamService());
  sandbox.register(createDynamoDbService());
}

/**
 * The default set of service emulators. CloudFormation and Step Functions live in their own
 * modules (written alongside); they are loaded when present so the core runs without them.
 */
import type { ServiceEmulator } from '../types';
import { createEc2Service } from './ec2';
import { createOrganizationsService } from './organizations';
import { createS3Service } from './s3';
import { createSnsService } from './sns';
import { createStsService } from './sts';

/** Anything services can be registered on (the `Sandbox`). */
export interface ServiceRegistry {
  register(service: ServiceEmulator): void;
}

type Factory = () => ServiceEmulator;

const warned = new Set<string>();

/**
 * Loads `./<name>` and returns its factory, or undefined while that module does not exist yet.
 * A module that exists but fails to load is reported once on stderr and left out, so the other
 * services keep working (its calls answer "not implemented in the sandbox").
 */
function optionalFactory(moduleName: string, exportName: string): Factory | undefined {
  let mod: Record<string, unknown>;
  try {
    // An optional module that may not exist yet; a static import would not compile without it.
    mod = require(`./${moduleName}`) as Record<string, unknown>;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes(`'./${moduleName}'`)) return undefined;
    if (!warned.has(moduleName)) {
      warned.add(moduleName);
      process.emitWarning(
        `src/sandbox/services/${moduleName}.ts failed to load and is left out: ${e.message.split('\n')[0]}`,
        'SandboxWarning',
      );
    }
    return undefined;
  }
  const factory = mod[exportName];
  if (typeof factory !== 'function') {
    throw new Error(
      `src/sandbox/services/${moduleName}.ts must export ${exportName}(). Received exports: ${Object.keys(mod).join(', ')}`,
    );
  }
  return factory as Factory;
}

/** Registers sts, organizations, ec2, s3, sns, and CloudFormation / Step Functions when present. */
export function registerDefaultServices(sandbox: ServiceRegistry): void {
  sandbox.register(createStsService());
  sandbox.register(createOrganizationsService());
  sandbox.register(createEc2Service());
  sandbox.register(createS3Service());
  sandbox.register(createSnsService());
  const cloudFormation = optionalFactory('cloudformation', 'createCloudFormationService');
  if (cloudFormation) sandbox.register(cloudFormation());
  const stepFunctions = optionalFactory('stepfunctions', 'createStepFunctionsService');
  if (stepFunctions) sandbox.register(stepFunctions());
}

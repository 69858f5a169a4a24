import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag findings on a construct, one reason for all of them. cdk-nag 3 matches
 * findings exactly (`AwsSolutions-IAM5[Resource::*]`), so every acknowledged wildcard is named.
 */
export function acknowledgeNag(scope: IConstruct, reason: string, ...findings: string[]): void {
  Validations.of(scope).acknowledge(...findings.map((id) => ({ id, reason })));
}

/** How cdk-nag prints a reference to a resource's attribute in a finding: `<LogicalId.Arn>`. */
export function nagRef(resource: IConstruct, attribute = 'Arn'): string {
  const element = (resource.node.defaultChild ?? resource) as CfnElement;
  return `<${Stack.of(resource).resolve(element.logicalId)}.${attribute}>`;
}

/** EC2 operations -> IAM: DescribeRegions has no resource type (Service Authorization Reference for Amazon EC2). */
import type { ServiceActions } from './types';

export const ec2Actions: ServiceActions = {
  DescribeRegions: () => [{ action: 'ec2:DescribeRegions', resource: '*' }],
};

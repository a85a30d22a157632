/** STS's input constraints, from its model (sts-2011-06-15: arnType, roleSessionNameType, roleDurationSecondsType). */
import type { Constraints } from '../../protocols/validate-input.js';

export const stsConstraints: Constraints = {
  RoleArn: { length: [20, 2048] },
  RoleSessionName: { length: [2, 64], pattern: '[\\w+=,.@-]*' },
  DurationSeconds: { range: [900, 43200] },
  Policy: { length: [1, 2048] },
};

/**
 * IAM's input constraints, from its model (iam-2010-05-08: roleNameType, pathType, policyDocumentType,
 * roleMaxSessionDurationType, tagKeyType, markerType, maxItemsType…), which the SDK's schemas leave out.
 */
import type { Constraints } from '../../protocols/validate-input.js';

const NAME = '[\\w+=,.@-]+';
const TAG_KEY = { length: [1, 128], pattern: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+' } as const;

export const iamConstraints: Constraints = {
  RoleName: { length: [1, 64], pattern: NAME },
  PolicyName: { length: [1, 128], pattern: NAME },
  Path: { length: [1, 512], pattern: '(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)' },
  PathPrefix: { length: [1, 512], pattern: '\\u002F[\\u0021-\\u007F]*' },
  AssumeRolePolicyDocument: { length: [1, 131072], pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+' },
  PolicyDocument: { length: [1, 131072], pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+' },
  Description: { length: [0, 1000], pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*' },
  MaxSessionDuration: { range: [3600, 43200] },
  PermissionsBoundary: { length: [20, 2048] },
  Tags: { length: [0, 50] },
  TagKeys: { length: [0, 50], items: TAG_KEY },
  'Tag.Key': TAG_KEY,
  'Tag.Value': { length: [0, 256], pattern: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*' },
  Marker: { length: [1, 320], pattern: '[\\u0020-\\u00FF]+' },
  MaxItems: { range: [1, 1000] },
};

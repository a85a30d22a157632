/** Aurora DSQL's input constraints, from its model (dsql-2018-05-10: ClusterId, ClientToken, Arn, TagKey…). */
import type { Constraints } from '../../protocols/validate-input.js';

export const dsqlConstraints: Constraints = {
  identifier: { pattern: '[a-z0-9]{26}' },
  clientToken: { length: [1, 128], pattern: '[!-~]+' },
  resourceArn: { length: [1, 1011], pattern: 'arn:.+' },
  maxResults: { range: [1, 100] },
  nextToken: { length: [0, 4096] },
  tags: { length: [0, 200], keys: { length: [1, 128], pattern: '[a-zA-Z0-9_.:/=+\\-@ ]*' } },
  tagKeys: { length: [0, 200], items: { length: [1, 128], pattern: '[a-zA-Z0-9_.:/=+\\-@ ]*' } },
  witnessRegion: { length: [0, 50] },
};

/** FIS's input constraints, from its model (fis-2020-12-01: ExperimentTemplateId, ClientToken, TagMap…). */
import type { Constraints } from '../../protocols/validate-input.js';

const TAG_KEY = { length: [1, 128] as const, pattern: '[\\s\\S]+' };

export const fisConstraints: Constraints = {
  id: { length: [0, 64], pattern: '[\\S]+' },
  experimentTemplateId: { length: [0, 64], pattern: '[\\S]+' },
  clientToken: { length: [0, 64], pattern: '[\\S]+' },
  description: { length: [0, 512], pattern: '[\\s\\S]+' },
  roleArn: { length: [0, 1224], pattern: '[\\S]+' },
  resourceArn: { length: [20, 2048], pattern: '[\\S]+' },
  maxResults: { range: [1, 100] },
  nextToken: { length: [0, 1024], pattern: '[\\S]+' },
  tags: { length: [0, 50], keys: TAG_KEY },
  tagKeys: { length: [0, 50], items: TAG_KEY },
  actionId: { length: [0, 128], pattern: '[\\S]+' },
  resourceType: { length: [0, 128], pattern: '[\\S]+' },
  selectionMode: { length: [0, 64], pattern: '[\\S]+' },
  resourceArns: { length: [0, 5] },
  actions: { keys: { length: [0, 64], pattern: '[\\S]+' } },
  targets: { keys: { length: [0, 64], pattern: '[\\S]+' } },
  stopConditions: { length: [0, 10] },
};

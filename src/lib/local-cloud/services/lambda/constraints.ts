/**
 * Lambda's input constraints, from its model (lambda-2015-03-31: FunctionName, NamespacedFunctionName,
 * Timeout, MemorySize, MaxListItems, Handler, RoleArn…), which the SDK's schemas leave out. Timeout's
 * model range has no maximum; Lambda refuses more than 900 seconds, and MemorySize above 10,240 MB.
 */
import type { Constraints } from '../../protocols/validate-input.js';

/** A function named by name, partial ARN or ARN, with an optional qualifier. */
const FUNCTION_NAME = {
  length: [1, 140],
  pattern:
    '(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?',
} as const;

export const lambdaConstraints: Constraints = {
  FunctionName: FUNCTION_NAME,
  Qualifier: { length: [1, 128], pattern: '(|[a-zA-Z0-9$_-]+)' },
  Timeout: { range: [1, 900] },
  MemorySize: { range: [128, 10240] },
  Handler: { length: [0, 128], pattern: '[^\\s]+' },
  Description: { length: [0, 256] },
  Role: { pattern: 'arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+' },
  RevisionId: { length: [0, 1024] },
  MaxItems: { range: [1, 10000] },
  Marker: { length: [0, 1024] },
  InvocationType: { enum: ['Event', 'RequestResponse', 'DryRun'] },
  LogType: { enum: ['None', 'Tail'] },
  StatementId: { length: [1, 100], pattern: '([a-zA-Z0-9-_.]+)' },
  Action: { pattern: '(lambda:[*]|lambda:[a-zA-Z]+|[*])' },
  Principal: { pattern: '[^\\s]+' },
  SourceArn: {
    pattern: 'arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)',
  },
  SourceAccount: { length: [0, 12], pattern: '\\d{12}' },
  Resource: {
    pattern:
      'arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?',
  },
  Tags: { keys: { length: [1, 128] } },
  TagKeys: { items: { length: [1, 128] } },
};

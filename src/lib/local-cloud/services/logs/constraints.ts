/**
 * CloudWatch Logs' input constraints, from its model (logs-2014-03-28: LogGroupName, LogStreamName, the
 * limits of DescribeLogGroups, DescribeLogStreams, GetLogEvents and FilterLogEvents). Tag keys and values
 * are checked by the service itself.
 */
import type { Constraints } from '../../protocols/validate-input.js';

export const logsConstraints: Constraints = {
  logGroupName: { length: [1, 512], pattern: '[\\.\\-_/#A-Za-z0-9]+' },
  logGroupNamePrefix: { length: [1, 512], pattern: '[\\.\\-_/#A-Za-z0-9]+' },
  logStreamName: { length: [1, 512], pattern: '[^:*]*' },
  'DescribeLogGroupsRequest.limit': { range: [1, 50] },
  'DescribeLogStreamsRequest.limit': { range: [1, 50] },
  'GetLogEventsRequest.limit': { range: [1, 10000] },
  'FilterLogEventsRequest.limit': { range: [1, 10000] },
  'FilterLogEventsRequest.filterPattern': { length: [0, 1024] },
  'PutLogEventsRequest.logEvents': { length: [1, 10000] },
};

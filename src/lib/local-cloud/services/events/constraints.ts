/**
 * EventBridge's input constraints, from its model (eventbridge-2015-10-07: EventBusName, RuleName,
 * TargetId, LimitMax100, NextToken, TagKey…), which the SDK's schemas leave out.
 */
import type { Constraints } from '../../protocols/validate-input.js';

const BUS_NAME = { length: [1, 256], pattern: '[/\\.\\-_A-Za-z0-9]+' } as const;
/** A bus named by name or ARN (EventBusNameOrArn). */
const BUS_NAME_OR_ARN = {
  length: [1, 1600],
  pattern: '(arn:aws[\\w-]*:events:[a-z]{2}-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+',
} as const;
const RULE_NAME = { length: [1, 64], pattern: '[\\.\\-_A-Za-z0-9]+' } as const;
const ARN = { length: [1, 1600] } as const;

export const eventsConstraints: Constraints = {
  'CreateEventBusRequest.Name': BUS_NAME,
  'DeleteEventBusRequest.Name': BUS_NAME,
  'DescribeEventBusRequest.Name': BUS_NAME_OR_ARN,
  'ListEventBusesRequest.NamePrefix': BUS_NAME,
  'PutRuleRequest.Name': RULE_NAME,
  'DescribeRuleRequest.Name': RULE_NAME,
  'DeleteRuleRequest.Name': RULE_NAME,
  'DisableRuleRequest.Name': RULE_NAME,
  'EnableRuleRequest.Name': RULE_NAME,
  'ListRulesRequest.NamePrefix': RULE_NAME,
  Rule: RULE_NAME,
  EventBusName: BUS_NAME_OR_ARN,
  EventSourceName: { length: [1, 256] },
  Description: { length: [0, 512] },
  EventPattern: { length: [0, 4096] },
  ScheduleExpression: { length: [0, 256] },
  State: { enum: ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'] },
  RoleArn: ARN,
  ResourceARN: ARN,
  Limit: { range: [1, 100] },
  NextToken: { length: [1, 2048] },
  Targets: { length: [1, 10] },
  Ids: { length: [1, 100], items: { length: [1, 64], pattern: '[\\.\\-_A-Za-z0-9]+' } },
  'Target.Id': { length: [1, 64], pattern: '[\\.\\-_A-Za-z0-9]+' },
  'Target.Arn': ARN,
  'Target.Input': { length: [0, 8192] },
  Entries: { length: [1, 10] },
  Tags: { length: [0, 50] },
  TagKeys: { length: [0, 50], items: { length: [1, 128] } },
  'Tag.Key': { length: [1, 128] },
  'Tag.Value': { length: [0, 256] },
};

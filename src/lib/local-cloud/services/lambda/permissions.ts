/** AddPermission's statement: a function's resource-based policy entry, as Lambda writes it. */
import type { PolicyStatement } from '../../identity/evaluate.js';
import { type FunctionRecord, validation } from './model.js';

export function statementFor(fn: FunctionRecord, body: Record<string, unknown>): PolicyStatement {
  const sid = body.StatementId;
  if (typeof sid !== 'string' || !/^[a-zA-Z0-9_.-]{1,100}$/.test(sid)) {
    throw validation(
      `1 validation error detected: Value '${String(sid)}' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)`,
    );
  }
  const action = body.Action;
  if (typeof action !== 'string' || !/^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/.test(action)) {
    throw validation(
      `1 validation error detected: Value '${String(action)}' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])`,
    );
  }
  const principal = body.Principal;
  if (typeof principal !== 'string' || principal.length === 0) {
    throw validation(
      "1 validation error detected: Value null at 'principal' failed to satisfy constraint: Member must not be null",
    );
  }
  const statement: PolicyStatement = {
    Sid: sid,
    Effect: 'Allow',
    Principal:
      principal === '*'
        ? '*'
        : principal.endsWith('.amazonaws.com')
          ? { Service: principal }
          : { AWS: /^\d{12}$/.test(principal) ? `arn:aws:iam::${principal}:root` : principal },
    Action: action,
    Resource: fn.arn,
  };
  const condition: Record<string, Record<string, string>> = {};
  if (typeof body.SourceAccount === 'string')
    condition.StringEquals = { 'AWS:SourceAccount': body.SourceAccount };
  if (typeof body.SourceArn === 'string') condition.ArnLike = { 'AWS:SourceArn': body.SourceArn };
  if (Object.keys(condition).length > 0) statement.Condition = condition;
  return statement;
}

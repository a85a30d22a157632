/**
 * AWS's wire formats for the recording endpoint (test/support/recording-endpoint.ts) to answer the
 * CLI with: a test scripts the one answer a decision depends on (a FunctionError, an `{ok:false}`, a
 * missing role) without a deployed stack, and runs the CLI against it as the aws target.
 */
import { awsTargetEnv, type CliResult, runCli } from '../support/cli.js';
import type { RecordedRequest, Reply } from '../support/recording-endpoint.js';

/** IAM GetRole's answer for a role with these tags (awsQuery XML). */
export function getRoleReply(roleName: string, tags: Record<string, string>): Reply {
  const members = Object.entries(tags)
    .map(([k, v]) => `<member><Key>${k}</Key><Value>${v}</Value></member>`)
    .join('');
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role><Path>/</Path><RoleName>${roleName}</RoleName><RoleId>AROATEST</RoleId><Arn>arn:aws:iam::123456789012:role/${roleName}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate><Tags>${members}</Tags></Role></GetRoleResult><ResponseMetadata><RequestId>test</RequestId></ResponseMetadata></GetRoleResponse>`,
  };
}

/** IAM's NoSuchEntity error. */
export function noSuchRoleReply(roleName: string): Reply {
  return {
    status: 404,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name ${roleName} cannot be found.</Message></Error><RequestId>test</RequestId></ErrorResponse>`,
  };
}

/** Lambda Invoke's answer: HTTP 200 with the payload, and X-Amz-Function-Error when the handler threw. */
export function invokeReply(payload: unknown, functionError?: string): Reply {
  return {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'x-amz-executed-version': '$LATEST',
      ...(functionError ? { 'x-amz-function-error': functionError } : {}),
    },
    body: JSON.stringify(payload),
  };
}

export function isGetRole(request: RecordedRequest): boolean {
  return request.service === 'iam' && request.body.includes('Action=GetRole');
}

export function isInvoke(request: RecordedRequest): boolean {
  return request.service === 'lambda' && request.path.includes('/invocations');
}

/** Runs the built CLI against `endpoint` as the aws target, with throwaway credentials and no config files. */
export function runAwsCli(args: string[], endpoint: string): Promise<CliResult> {
  return runCli(args, awsTargetEnv(endpoint));
}

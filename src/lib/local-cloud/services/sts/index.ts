/** STS (awsQuery): who the caller is — the root or user ARN of the operator, the assumed role of a session. */
import { awsQueryService } from '../../protocols/aws-query.js';
import { stsConstraints } from './constraints.js';

/** STS's UserId: the account for the root, `<role id>:<session>` for a session (the local ids are the names). */
function userIdOf(arn: string, accountId: string): string {
  const session = /:assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (session) return `AROA${session[1]?.toUpperCase()}:${session[2]}`;
  const user = /:user\/(.+)$/.exec(arn);
  return user ? `AIDA${user[1]?.toUpperCase()}` : accountId;
}

export const stsService = awsQueryService({
  signingName: 'sts',
  xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
  model: async () => ({ schemas: await import('@aws-sdk/client-sts'), constraints: stsConstraints }),
  operations: {
    GetCallerIdentity: (_input, ctx) => ({
      UserId: userIdOf(ctx.callerArn, ctx.accountId),
      Account: ctx.accountId,
      Arn: ctx.callerArn,
    }),
  },
});

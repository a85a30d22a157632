/** STS (awsQuery): who the caller is. Every caller is the local account's root. */
import { LOCAL_ACCOUNT_ID } from '../../aws.js';
import { awsQueryService } from '../../protocols/aws-query.js';
import { stsConstraints } from './constraints.js';

export const stsService = awsQueryService({
  signingName: 'sts',
  xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
  model: async () => ({ schemas: await import('@aws-sdk/client-sts'), constraints: stsConstraints }),
  operations: {
    GetCallerIdentity: () => ({
      UserId: LOCAL_ACCOUNT_ID,
      Account: LOCAL_ACCOUNT_ID,
      Arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:root`,
    }),
  },
});

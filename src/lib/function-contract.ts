/**
 * What the deployed function and the CLI agree on: environment variables, operations, and the
 * event it publishes. Imported by lambda-bundle (bundled in) and by the provisioning and txn code.
 */

/** Environment variables the function reads once at cold start. */
export const FunctionEnv = {
  endpoint: 'DSQL_ENDPOINT',
  port: 'DSQL_PORT',
  database: 'DSQL_DATABASE',
  user: 'DSQL_USER',
  /** `require` on AWS, `disable` on the local cloud's loopback PostgreSQL. */
  tlsMode: 'DSQL_TLS',
  busName: 'EVENT_BUS_NAME',
} as const;

export const OPERATIONS = {
  create: ['create', 'write'],
  count: ['read', 'count'],
  list: ['list', 'recent'],
  get: ['get'],
} as const;

export const TRANSACTION_EVENT = {
  source: 'dsql.application',
  detailType: 'Transaction Created',
} as const;

export const LIST_LIMIT = { default: 10, max: 100 } as const;

/**
 * Lambda entry point (handler string `index.handler`). Configuration is read and validated once, at
 * cold start; the pool and the EventBridge client live at module scope and serve every invocation
 * this execution environment receives.
 */
import { readFunctionConfig } from './config.js';
import { createTransactionFunction } from './handler.js';
import { withInvocationLog } from './invocation-log.js';

const transactionFunction = createTransactionFunction(readFunctionConfig(process.env));

export const handler = withInvocationLog(transactionFunction.handler);

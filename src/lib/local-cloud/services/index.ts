/**
 * The services one local cloud serves, created afresh for each cloud instance (a service keeps its
 * in-memory work, such as Lambda's warm workers and EventBridge's delivery queue, on its instance).
 */
import type { LocalService } from '../service.js';
import { createDsqlService } from './dsql/index.js';
import { createEventsService } from './events/index.js';
import { fisService } from './fis/index.js';
import { iamService } from './iam/index.js';
import { createLambdaService } from './lambda/index.js';
import { createLogsService } from './logs/index.js';
import { stsService } from './sts/index.js';
import { createTaggingService } from './tagging/index.js';

export function createServices(): LocalService[] {
  const logs = createLogsService();
  const lambda = createLambdaService({ writeLogs: logs.writeFunctionLogs });
  const services: LocalService[] = [
    // First: the cluster endpoint (and its CA) must be up before Lambda runs functions.
    createDsqlService(),
    logs,
    iamService,
    stsService,
    // Before Lambda: stopping EventBridge first lets in-flight deliveries reach the function workers.
    createEventsService({ invokeFunction: lambda.invokeFromService }),
    lambda,
    fisService,
  ];
  // The tagging API lists what every other service holds (log groups too, once a service has them).
  services.push(createTaggingService(() => services));
  return services;
}

/** The services keyed by SigV4 signing name, as the server looks them up. */
export function serviceRegistry(services: readonly LocalService[]): Map<string, LocalService> {
  return new Map(services.map((s) => [s.signingName, s]));
}

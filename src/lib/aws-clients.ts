/**
 * One place that builds SDK clients: each lazily, once per service and region, from the target's client
 * configuration. Nothing here (or above it) knows whether the target is AWS or the local cloud.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DSQLClient } from '@aws-sdk/client-dsql';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { STSClient } from '@aws-sdk/client-sts';
import { recordCallSite } from './errors.js';
import { IAM_REGION } from './regions.js';
import type { Target } from './target.js';

interface Destroyable {
  destroy(): void;
}

interface WithMiddleware {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize' | 'finalizeRequest'; priority?: 'low'; name: string },
    ): void;
  };
}

/** Records on every failed call's error which operation and region it was, for the failure's message. */
function recordCallSites(client: unknown, region: string): void {
  (client as WithMiddleware).middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const operation = (context.commandName ?? 'call').replace(/Command$/, '');
        recordCallSite(error, { operation, region });
        throw error;
      }
    },
    { step: 'initialize', name: 'dsqlctlCallSite' },
  );
}

/**
 * On the local target a refused connection means its daemon has stopped: retrying for the SDK's 8
 * attempts only delays the true cause. Inside the retry loop, the error is replaced by one the SDK
 * does not classify as transient (its code is what the SDK retries on).
 */
function failFastWhenRefused(client: unknown): void {
  (client as WithMiddleware).middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ECONNREFUSED') throw error;
        throw Object.assign(new Error((error as Error).message), {
          name: 'ConnectionRefused',
          refused: true,
        });
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'dsqlctlFailFastWhenRefused' },
  );
}

export class AwsClients {
  readonly #cache = new Map<string, Destroyable>();

  constructor(readonly target: Target) {}

  /** IAM is global, signed in IAM_REGION; STS is asked there too (its global endpoint's region). */
  iam(): IAMClient {
    return this.#get('iam', IAM_REGION, (config) => new IAMClient(config), 'global');
  }

  sts(): STSClient {
    return this.#get('sts', IAM_REGION, (config) => new STSClient(config));
  }

  dsql(region: string): DSQLClient {
    return this.#get('dsql', region, (config) => new DSQLClient(config));
  }

  lambda(region: string): LambdaClient {
    return this.#get('lambda', region, (config) => new LambdaClient(config));
  }

  events(region: string): EventBridgeClient {
    return this.#get('events', region, (config) => new EventBridgeClient(config));
  }

  logs(region: string): CloudWatchLogsClient {
    return this.#get('logs', region, (config) => new CloudWatchLogsClient(config));
  }

  /** The Resource Groups Tagging API: a region's resources by tag (IAM is not in it). */
  tagging(region: string): ResourceGroupsTaggingAPIClient {
    return this.#get('tagging', region, (config) => new ResourceGroupsTaggingAPIClient(config));
  }

  /** Closes every client's sockets so the process can exit promptly. */
  destroy(): void {
    for (const client of this.#cache.values()) client.destroy();
    this.#cache.clear();
  }

  #get<C extends Destroyable>(
    service: string,
    region: string,
    make: (config: ReturnType<Target['clientConfig']>) => C,
    shownRegion = region,
  ): C {
    const key = `${service}:${region}`;
    let client = this.#cache.get(key) as C | undefined;
    if (!client) {
      client = make(this.target.clientConfig(region));
      recordCallSites(client, shownRegion);
      if (this.target.kind === 'local') failFastWhenRefused(client);
      this.#cache.set(key, client);
    }
    return client;
  }
}

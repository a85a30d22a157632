/**
 * One place that builds SDK clients: each lazily, once per service and region, from the target's client
 * configuration. Nothing here (or above it) knows whether the target is AWS or the local cloud.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DSQLClient } from '@aws-sdk/client-dsql';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { STSClient } from '@aws-sdk/client-sts';
import { IAM_REGION } from './regions.js';
import type { Target } from './target.js';

interface Destroyable {
  destroy(): void;
}

export class AwsClients {
  readonly #cache = new Map<string, Destroyable>();

  constructor(readonly target: Target) {}

  /** IAM is global, signed in IAM_REGION; STS is asked there too (its global endpoint's region). */
  iam(): IAMClient {
    return this.#get('iam', IAM_REGION, (config) => new IAMClient(config));
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

  /** Closes every client's sockets so the process can exit promptly. */
  destroy(): void {
    for (const client of this.#cache.values()) client.destroy();
    this.#cache.clear();
  }

  #get<C extends Destroyable>(
    service: string,
    region: string,
    make: (config: ReturnType<Target['clientConfig']>) => C,
  ): C {
    const key = `${service}:${region}`;
    let client = this.#cache.get(key) as C | undefined;
    if (!client) {
      client = make(this.target.clientConfig(region));
      this.#cache.set(key, client);
    }
    return client;
  }
}

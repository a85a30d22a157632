/** EventBridge's durable state: event buses per region, their rules and the rules' targets. */
import { arn } from '../../aws.js';
import type { Cloud } from '../../service.js';

export interface TargetRecord {
  Id: string;
  Arn: string;
  RoleArn?: string;
  /** Constant JSON text delivered instead of the event. */
  Input?: string;
}

export interface RuleRecord {
  name: string;
  arn: string;
  eventPattern: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  roleArn?: string;
  tags: Record<string, string>;
  targets: TargetRecord[];
}

export interface BusRecord {
  name: string;
  region: string;
  arn: string;
  description?: string;
  /** Epoch ms. */
  createdAt: number;
  modifiedAt: number;
  tags: Record<string, string>;
  rules: Record<string, RuleRecord>;
}

export interface EventsState {
  /** By `<region>/<name>`; a region's `default` bus is added the first time it is written to. */
  buses: Record<string, BusRecord>;
}

export const NS = 'events';
export const init = (): EventsState => ({ buses: {} });

export const busKey = (region: string, name: string) => `${region}/${name}`;
export const busArn = (region: string, name: string) => arn('events', region, `event-bus/${name}`);
/** Rules on the default bus are `rule/<name>`; on a custom bus `rule/<bus>/<name>`. */
export const ruleArn = (region: string, bus: string, name: string) =>
  arn('events', region, bus === 'default' ? `rule/${name}` : `rule/${bus}/${name}`);

/** The `default` bus as it exists, unwritten, in every region. */
export function defaultBus(region: string): BusRecord {
  return {
    name: 'default',
    region,
    arn: busArn(region, 'default'),
    createdAt: 0,
    modifiedAt: 0,
    tags: {},
    rules: {},
  };
}

/** The bus, when it exists (the default bus always does). */
export function findBus(cloud: Cloud, region: string, name: string): BusRecord | undefined {
  const state = cloud.state.read(NS, init);
  const key = busKey(region, name);
  if (Object.hasOwn(state.buses, key)) return state.buses[key];
  return name === 'default' ? defaultBus(region) : undefined;
}

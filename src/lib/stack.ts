/**
 * A stack: its name, its topology, and every resource name derived from them. Pure functions only:
 * validation happens here, before any AWS call.
 */

import { UsageError } from './errors.js';
import { echoInput } from './input-echo.js';
import { isDsqlRegion, regionSetOf, validWitnesses } from './regions.js';

export const DEFAULT_STACK = 'dsqlctl';
export const DEFAULT_REGIONS = ['us-east-1', 'us-west-2'] as const;
export const DEFAULT_WITNESS = 'us-east-2';

/** The ownership tag every resource of a stack carries; its value is the stack name. */
export const STACK_TAG = 'dsqlctl:stack';
/** Topology recorded on the function role, so other commands need only `--stack`. Values are space-separated (IAM tag values allow no comma). */
export const REGIONS_TAG = 'dsqlctl:regions';
export const WITNESS_TAG = 'dsqlctl:witness';

/**
 * Lowercase letters, digits and hyphens, starting with a letter, at most 32 characters: every derived
 * name then fits its service's rules (IAM role ≤ 64, Lambda function ≤ 64, EventBridge rule ≤ 64,
 * PostgreSQL role as a plain identifier once hyphens become underscores).
 */
const STACK_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export interface Topology {
  regions: string[];
  /** Present exactly when there are two regions. */
  witness?: string;
}

export function validateStackName(stack: string): string {
  if (!STACK_NAME.test(stack) || stack.endsWith('-') || stack.includes('--')) {
    throw new UsageError(
      `Invalid stack name ${echoInput(stack)}: use 1–32 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen.`,
    );
  }
  // The bus is named after the stack, and every region already has EventBridge's own bus "default".
  if (stack === 'default')
    throw new UsageError('Invalid stack name "default": EventBridge reserves it for its default bus.');
  return stack;
}

/** The retention values CloudWatch Logs' PutRetentionPolicy accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export function validateLogRetention(days: number | undefined): number | undefined {
  if (days === undefined || LOG_RETENTION_DAYS.includes(days)) return days;
  throw new UsageError(
    `Invalid --log-retention-days ${days}: CloudWatch Logs accepts ${LOG_RETENTION_DAYS.join(', ')}.`,
  );
}

/** Validates a region list and witness (DSQL region sets, witness rules); returns the topology. */
export function validateTopology(regions: readonly string[], witness: string | undefined): Topology {
  const list = regions.map((r) => r.trim()).filter((r) => r.length > 0);
  if (list.length === 0) throw new UsageError('--regions needs one region, or two regions to peer.');
  if (list.length > 2) {
    throw new UsageError(
      `--regions has ${list.length} regions; a DSQL multi-region cluster peers exactly two regions (plus a witness).`,
    );
  }
  for (const region of list) {
    if (!isDsqlRegion(region))
      throw new UsageError(`Unknown region ${echoInput(region)}: Aurora DSQL is not offered there.`);
  }
  if (list.length === 2 && list[0] === list[1]) throw new UsageError(`--regions names ${list[0]} twice.`);
  if (list.length === 1) {
    if (witness)
      throw new UsageError('--witness applies only to two peered regions; one region has no witness.');
    return { regions: list };
  }
  const [a, b] = list as [string, string];
  if (regionSetOf(a) !== regionSetOf(b)) {
    throw new UsageError(
      `${a} (${regionSetOf(a)}) and ${b} (${regionSetOf(b)}) are in different DSQL region sets; peered clusters must share one.`,
    );
  }
  if (!witness)
    throw new UsageError(`Two peered regions need a witness: one of ${validWitnesses(list).join(', ')}.`);
  const valid = validWitnesses(list);
  if (!valid.includes(witness)) {
    const why = list.includes(witness)
      ? 'the witness must differ from both cluster regions'
      : isDsqlRegion(witness)
        ? `it is in the ${regionSetOf(witness)} region set, not ${regionSetOf(a)}`
        : 'Aurora DSQL is not offered there';
    throw new UsageError(
      `Invalid witness ${echoInput(witness)}: ${why}. Valid witnesses: ${valid.join(', ')}.`,
    );
  }
  return { regions: list, witness };
}

/** Every resource name of a stack. */
export function stackNames(stack: string) {
  return {
    functionRole: `${stack}-fn`,
    functionRolePolicy: `${stack}-fn`,
    /**
     * One per region: EventBridge forwarding from that region's bus to the peer's. A role is global, and
     * no condition key tells which region's rule acts through a shared one, so each region's forwarding
     * gets its own role that may put only to the peer's bus (README, Decisions).
     */
    eventsRole: (region: string) => `${stack}-events-${region}`,
    eventsRolePolicy: (region: string) => `${stack}-events-${region}`,
    /** One up or down of the stack at a time (provision/lock.ts): nobody can assume it. */
    lockRole: `${stack}-lock`,
    /** Assumed by AWS FIS to impair the stack's clusters during `drill region-outage`. */
    fisRole: `${stack}-fis`,
    fisRolePolicy: `${stack}-fis`,
    bus: stack,
    forwardRule: `${stack}-forward`,
    deliverRule: `${stack}-deliver`,
    /** On the default bus: EventBridge runs scheduled rules only there. */
    sweepRule: `${stack}-sweep`,
    functionName: `${stack}-txn`,
    logGroup: `/aws/lambda/${stack}-txn`,
    databaseRole: `${stack.replaceAll('-', '_')}_app`,
  } as const;
}

export function topologyTags(topology: Topology): Record<string, string> {
  return {
    [REGIONS_TAG]: topology.regions.join(' '),
    ...(topology.witness ? { [WITNESS_TAG]: topology.witness } : {}),
  };
}

export function topologyFromTags(tags: Record<string, string | undefined>): Topology | undefined {
  const regions = tags[REGIONS_TAG]?.split(' ').filter(Boolean);
  if (!regions || regions.length === 0) return undefined;
  const witness = tags[WITNESS_TAG];
  return witness ? { regions, witness } : { regions };
}

/** `[{Key, Value}]` (IAM, EventBridge) → a plain object. */
export function tagsFromList(list: ReadonlyArray<{ Key?: string; Value?: string }> | undefined) {
  return Object.fromEntries((list ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])) as Record<string, string>;
}

export function tagsToList(tags: Record<string, string>): Array<{ Key: string; Value: string }> {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function isOurs(tags: Record<string, string | undefined> | undefined, stack: string): boolean {
  return tags?.[STACK_TAG] === stack;
}

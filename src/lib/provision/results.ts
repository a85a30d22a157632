/** What `up`, `down` and `status` return: the typed results oclif prints with --json. */
import type { DrillLeftovers } from '../drill/leftovers.js';
import type { FailureReport } from '../errors.js';
import type { Topology } from '../stack.js';
import type { OutboxBacklog } from '../txn/backlog.js';
import type { OrphanedResource } from './discover.js';
import type { Change, Outcome, ResourceKind, StepResult } from './types.js';

export interface RegionSummary {
  region: string;
  clusterIdentifier?: string;
  clusterEndpoint?: string;
  functionName: string;
}

export type KindCounts = Partial<Record<ResourceKind, Partial<Record<Outcome | Change['action'], number>>>>;

export interface UpResult {
  stack: string;
  target: string;
  topology: Topology;
  dryRun: boolean;
  /** With --dry-run: the plan; otherwise each applied step with its outcome and duration. */
  plan: Change[];
  steps: StepResult[];
  /** Set when a step failed: the command exits with its exit code (the steps say which did what). */
  error?: FailureReport;
  counts: KindCounts;
  /** Per region of the topology: its cluster and function (`regions` are strings everywhere). */
  deployments: RegionSummary[];
  next: string[];
  durationMs: number;
}

export interface DownResult {
  stack: string;
  target: string;
  /** False when no stack of that name exists (nothing to do). */
  existed: boolean;
  cancelled: boolean;
  topology?: Topology;
  steps: StepResult[];
  /** Set when a step failed: the command exits with its exit code (the steps say which did what). */
  error?: FailureReport;
  counts: KindCounts;
  leftAlone: string[];
  /** Resources tagged for the stack that its plan did not cover (left; each with its remover). */
  orphaned: OrphanedResource[];
  /** A drill's leftovers, handled before anything was deleted: experiments stopped, templates deleted. */
  drill: DrillLeftovers;
  durationMs: number;
}

export interface ResourceStatus {
  id: string;
  kind: ResourceKind;
  name: string;
  region: string;
  /** absent, foreign, or the resource's own state (ACTIVE, Active…). */
  state: string;
  /** The change `up` would make, with its reason; undefined when in sync. */
  drift?: { action: Change['action']; reason: string };
}

export interface StatusResult {
  stack: string;
  target: string;
  exists: boolean;
  topology?: Topology;
  inSync: boolean;
  resources: ResourceStatus[];
  /** Resources tagged for the stack that are not in its desired set (leaks), each with its remover. */
  orphaned: OrphanedResource[];
  /** Per region of the topology: its cluster and function (`regions` are strings everywhere). */
  deployments: RegionSummary[];
  /** Per region: the outbox's unpublished events (the sweep's backlog), read from its function. */
  outbox: RegionOutbox[];
  /** A drill's leftovers: experiments still running (a killed drill's are stopped), templates, disabled rules. */
  drill: DrillLeftovers;
}

/** A region's outbox, or why it could not be read (no function there, or its invocation failed). */
export type RegionOutbox = OutboxBacklog | { region: string; unavailable: string };

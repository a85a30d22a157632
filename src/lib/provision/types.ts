/**
 * The reconcile engine's vocabulary. A plan is plain data (no closures): what `--dry-run` prints, what
 * the progress view shows, and what the apply engine walks.
 */
import type { AwsClients } from '../aws-clients.js';
import type { stackNames, Topology } from '../stack.js';
import type { DatabaseSettings, Target } from '../target.js';

export type Action = 'create' | 'update' | 'delete' | 'noop';

export type ResourceKind =
  | 'iam-role'
  | 'iam-role-policy'
  | 'dsql-cluster'
  | 'dsql-peering'
  | 'database'
  | 'event-bus'
  | 'event-rule'
  | 'lambda-function'
  | 'lambda-permission'
  | 'log-group';

/** One resource of the stack, as the desired state names it. */
export interface ResourceRef {
  /** Unique in the stack, e.g. `dsql-cluster:us-west-2` or `event-rule:us-east-1:forward`. */
  id: string;
  kind: ResourceKind;
  /** The resource's name (or what identifies it, for clusters: "cluster of <stack>"). */
  name: string;
  /** Its region; `global` for IAM. */
  region: string;
}

export interface Change extends ResourceRef {
  action: Action;
  /** Why, in words an operator reads: "absent", "code sha differs", "already gone". */
  reason: string;
  /** Ids of changes that must finish first. */
  dependsOn: string[];
}

/** What apply says about a step. */
export type Outcome =
  | 'created'
  | 'updated'
  | 'deleted'
  | 'unchanged'
  | 'gone'
  | 'left-alone'
  | 'failed'
  | 'skipped';

export interface StepResult extends Change {
  outcome: Outcome;
  durationMs: number;
  /** Error message when failed; what was done otherwise, when worth saying. */
  detail?: string;
}

/**
 * Facts a resource hands to the resources that depend on it (ARNs, identifiers, endpoints), filled
 * from observation for existing resources and from apply for new ones.
 */
export interface Facts {
  arn?: string;
  identifier?: string;
  endpoint?: string;
  status?: string;
  /** DSQL clusters: the peers' ARNs (own ARN stripped). */
  peers?: string[];
}

/** What one observation found. `foreign` = same name, not our ownership tag: never touched. */
export type Observation<T> =
  | { state: 'absent' }
  | { state: 'foreign'; detail: string }
  | { state: 'present'; value: T; facts: Facts; status: string };

interface AccountInfo {
  account: string;
  partition: string;
}

/** What one `up`, `down` or `status` hands every resource module: clients, the stack, the facts gathered so far. */
export interface ProvisionContext {
  readonly operation: 'up' | 'down' | 'status';
  readonly target: Target;
  readonly clients: AwsClients;
  readonly stack: string;
  readonly topology: Topology;
  readonly names: ReturnType<typeof stackNames>;
  readonly account: AccountInfo;
  /** Facts by resource id; modules read their dependencies' facts here. */
  readonly facts: Map<string, Facts>;
  /** Connection settings of each region's cluster, once it exists (the function's environment). */
  readonly databaseSettings: Map<string, DatabaseSettings>;
  /** The function's deployment package (read for `up` and `status`). */
  readonly functionCode?: FunctionCode;
  /** `up --log-retention-days`: the log groups' retention to converge to (absent: keep what is set). */
  readonly logRetentionDays?: number;
  /** Records a resource's facts once it exists (and whatever its module records for others). */
  record(ref: ResourceRef, facts: Facts): Promise<void>;
  /** Reports progress of the running step (shown on the progress line). */
  progress(stepId: string, message: string): void;
}

/**
 * One module per resource kind: observe (read-only), diff against the desired state, converge
 * (create or update), delete. Desired state is computed from the context (stack, topology, facts).
 * The engine knows a kind only through the data a module declares here.
 */
export interface ResourceModule<T = unknown> {
  /**
   * `first`: observed with every other resource. `after-facts`: observed once the first pass's facts
   * are recorded, because its observation reads them (the clusters' peers, the database settings).
   */
  readonly observePhase: 'first' | 'after-facts';
  /**
   * The id of the resource this one belongs to (a policy's role, a permission's function): foreign
   * when its owner is, and then refused through its owner, not on its own.
   */
  ownerOf?(ref: ResourceRef): string;
  /** False when `down` has nothing of its own to delete (the peering ends with its clusters). */
  readonly deletedByDown: boolean;
  /** What it records for other resources once its facts are known, beyond the facts themselves. */
  recordForOthers?(ctx: ProvisionContext, ref: ResourceRef, facts: Facts): Promise<void>;
  observe(ctx: ProvisionContext, ref: ResourceRef): Promise<Observation<T>>;
  /** Action and reason for `up`, given what was observed. Never called for `foreign`. */
  diff(ctx: ProvisionContext, ref: ResourceRef, observed: Observation<T>): { action: Action; reason: string };
  /** Creates or updates so the resource matches the desired state; returns its facts. */
  converge(ctx: ProvisionContext, ref: ResourceRef, observed: Observation<T>): Promise<Facts>;
  /** Deletes what was observed present; returns false when it was already gone. */
  remove(ctx: ProvisionContext, ref: ResourceRef, observed: Observation<T>): Promise<boolean>;
}

export interface FunctionCode {
  zip: Uint8Array;
  /** Base64 SHA-256, Lambda's `CodeSha256` format. */
  sha256: string;
}

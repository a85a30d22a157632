/**
 * Progress views for the apply engine, and the plan's wording. On a TTY a listr2 tree (one line per
 * step, its latest message beneath); otherwise one plain line per step state change (CI logs).
 * Both write to stderr so that `--json` output on stdout stays clean.
 */
import type { Reporter } from './apply.js';
import type { Change, StepResult } from './types.js';

function where(change: Change): string {
  return change.region === 'global' ? '' : ` in ${change.region}`;
}

/** "would create lambda-function dsqlctl-txn in us-west-2 (absent)". */
export function describeChange(change: Change, mood: 'would' | 'will' | 'none' = 'none'): string {
  const verb = change.action === 'noop' ? 'keep' : change.action;
  const prefix = mood === 'none' ? verb : `${mood} ${verb}`;
  return `${prefix} ${change.kind} ${change.name}${where(change)} (${change.reason})`;
}

function describeResult(result: StepResult): string {
  const seconds = (result.durationMs / 1000).toFixed(1);
  const detail = result.detail ? `: ${result.detail}` : '';
  return `${result.outcome} ${result.kind} ${result.name}${where(result)} [${seconds}s]${detail}`;
}

/** "10s", "1m10s": elapsed time as Terraform shows it. */
export function formatElapsed(ms: number): string {
  const total = Math.floor(ms / 1000);
  return total < 60 ? `${total}s` : `${Math.floor(total / 60)}m${total % 60}s`;
}

/** A step as another step's prerequisite: "cluster us-east-1", "iam-role shop-fn". */
function shortLabel(change: Change): string {
  // Descriptive names ("cluster of shop", "peering of us-east-1 and us-west-2") say what and where.
  const [what, of] = change.name.split(' of ');
  if (of !== undefined) return `${what} ${change.region === 'global' ? of : change.region}`;
  return `${change.kind} ${change.name}${where(change)}`;
}

const VERBING: Record<Change['action'], string> = {
  create: 'creating',
  update: 'updating',
  delete: 'deleting',
  noop: 'checking',
};

/** Without a line for this long, a running step says it still runs (CI kills silent jobs). */
const HEARTBEAT_MS = 10_000;

/**
 * The title of a step in the listr2 tree: what it waits for before it starts, its elapsed time while
 * it runs (`finished` holds the ids of the steps done so far).
 */
export function taskTitle(
  change: Change,
  byId: ReadonlyMap<string, Change>,
  finished: ReadonlySet<string>,
  startedAt: number | undefined,
  now: number,
): string {
  const title = describeChange(change);
  if (startedAt !== undefined) return `${title} [${formatElapsed(now - startedAt)}]`;
  const pending = change.dependsOn.filter((id) => !finished.has(id));
  if (pending.length === 0) return title;
  const labels = pending.map((id) => {
    const dep = byId.get(id);
    return dep ? shortLabel(dep) : id;
  });
  return `${title} — waiting for: ${labels.join(', ')}`;
}

/**
 * One line per state change; a step still running after HEARTBEAT_MS without a line of its own gets
 * "still creating dsql-cluster cluster of shop in us-east-1 [1m10s elapsed]" (as Terraform does).
 */
export function plainReporter(
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Reporter {
  const started = Date.now();
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s]`;
  const titles = new Map<string, string>();
  const running = new Map<string, { change: Change; since: number; lastLine: number }>();
  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const step of running.values()) {
      if (now - step.lastLine < HEARTBEAT_MS) continue;
      step.lastLine = now;
      const { change } = step;
      write(
        `${stamp()}   still ${VERBING[change.action]} ${change.kind} ${change.name}${where(change)} [${formatElapsed(now - step.since)} elapsed]`,
      );
    }
  }, 1000);
  heartbeat.unref();
  return {
    start(change) {
      titles.set(change.id, `${change.kind} ${change.name}${where(change)}`);
      const now = Date.now();
      running.set(change.id, { change, since: now, lastLine: now });
      if (change.action !== 'noop') write(`${stamp()} ▸ ${describeChange(change)}`);
    },
    message(id, text) {
      const step = running.get(id);
      if (step) step.lastLine = Date.now();
      write(`${stamp()}   ${titles.get(id) ?? id}: ${text}`);
    },
    finish(result) {
      running.delete(result.id);
      if (result.outcome === 'unchanged') return;
      const mark = result.outcome === 'failed' ? '✖' : result.outcome === 'skipped' ? '–' : '✔';
      write(`${stamp()} ${mark} ${describeResult(result)}`);
    },
    async close() {
      clearInterval(heartbeat);
    },
  };
}

/**
 * A listr2 tree whose tasks follow the engine's events (the engine, not listr2, decides the order):
 * a step not started yet says what it waits for, a running one its elapsed time (redrawn each second).
 */
async function listrReporter(changes: readonly Change[]): Promise<Reporter> {
  const { Listr } = await import('listr2');
  const byId = new Map(changes.map((c) => [c.id, c]));
  const finished = new Set<string>();
  const startedAt = new Map<string, number>();
  const waiting = new Map<string, { resolve: (r: StepResult) => void; promise: Promise<StepResult> }>();
  const outputs = new Map<string, (text: string) => void>();
  const retitles = new Map<string, () => void>();
  for (const change of changes) {
    let resolve!: (r: StepResult) => void;
    const promise = new Promise<StepResult>((r) => {
      resolve = r;
    });
    waiting.set(change.id, { resolve, promise });
  }
  const retitleAll = () => {
    for (const retitle of retitles.values()) retitle();
  };
  const ticker = setInterval(retitleAll, 1000);
  ticker.unref();
  const list = new Listr(
    changes.map((change) => ({
      title: taskTitle(change, byId, finished, undefined, Date.now()),
      task: async (_ctx: unknown, task: { title: string; output: string; skip(m?: string): void }) => {
        outputs.set(change.id, (text) => {
          task.output = text;
        });
        retitles.set(change.id, () => {
          task.title = taskTitle(change, byId, finished, startedAt.get(change.id), Date.now());
        });
        const result = await (waiting.get(change.id)?.promise as Promise<StepResult>);
        retitles.delete(change.id);
        task.title = describeResult(result);
        if (result.outcome === 'failed') throw new Error(result.detail ?? 'failed');
        if (result.outcome === 'skipped') task.skip(describeResult(result));
      },
    })),
    { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false } },
  );
  const running = list.run().catch(() => undefined);
  return {
    start(change) {
      startedAt.set(change.id, Date.now());
      retitles.get(change.id)?.();
    },
    message(id, text) {
      outputs.get(id)?.(text);
    },
    finish(result) {
      finished.add(result.id);
      waiting.get(result.id)?.resolve(result);
      retitleAll();
    },
    async close() {
      await running;
      clearInterval(ticker);
    },
  };
}

/** listr2 on an interactive terminal (unless --json); plain lines on stderr otherwise. */
export function reporterFor(json: boolean): (changes: readonly Change[]) => Promise<Reporter> {
  return async (changes) => (process.stdout.isTTY && !json ? listrReporter(changes) : plainReporter());
}

/** Asks on the terminal before `down` deletes anything; only "y" or "yes" proceeds. */
export async function askToConfirm(stack: string, plan: readonly Change[]): Promise<boolean> {
  const deletions = plan.filter((c) => c.action === 'delete');
  if (deletions.length === 0) return true;
  process.stderr.write(`dsqlctl down will delete ${deletions.length} resources of stack ${stack}:\n`);
  for (const change of deletions) process.stderr.write(`  ${describeChange(change, 'will')}\n`);
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => {
      // On a terminal readline takes Ctrl-C as a key: answer "no" and raise the signal, so the command
      // is cancelled as interrupted (exit 130), not left waiting on a paused prompt.
      rl.on('SIGINT', () => {
        resolve('');
        process.kill(process.pid, 'SIGINT');
      });
      rl.question('Delete them? [y/N] ').then(resolve, () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

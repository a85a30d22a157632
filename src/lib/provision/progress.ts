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

export function plainReporter(
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Reporter {
  const started = Date.now();
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s]`;
  const titles = new Map<string, string>();
  return {
    start(change) {
      titles.set(change.id, `${change.kind} ${change.name}${where(change)}`);
      if (change.action !== 'noop') write(`${stamp()} ▸ ${describeChange(change)}`);
    },
    message(id, text) {
      write(`${stamp()}   ${titles.get(id) ?? id}: ${text}`);
    },
    finish(result) {
      if (result.outcome === 'unchanged') return;
      const mark = result.outcome === 'failed' ? '✖' : result.outcome === 'skipped' ? '–' : '✔';
      write(`${stamp()} ${mark} ${describeResult(result)}`);
    },
    async close() {},
  };
}

/** A listr2 tree whose tasks follow the engine's events (the engine, not listr2, decides the order). */
async function listrReporter(changes: readonly Change[]): Promise<Reporter> {
  const { Listr } = await import('listr2');
  const waiting = new Map<string, { resolve: (r: StepResult) => void; promise: Promise<StepResult> }>();
  const outputs = new Map<string, (text: string) => void>();
  for (const change of changes) {
    let resolve!: (r: StepResult) => void;
    const promise = new Promise<StepResult>((r) => {
      resolve = r;
    });
    waiting.set(change.id, { resolve, promise });
  }
  const list = new Listr(
    changes.map((change) => ({
      title: describeChange(change),
      task: async (_ctx: unknown, task: { title: string; output: string; skip(m?: string): void }) => {
        outputs.set(change.id, (text) => {
          task.output = text;
        });
        const result = await (waiting.get(change.id)?.promise as Promise<StepResult>);
        task.title = describeResult(result);
        if (result.outcome === 'failed') throw new Error(result.detail ?? 'failed');
        if (result.outcome === 'skipped') task.skip(describeResult(result));
      },
    })),
    { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false } },
  );
  const running = list.run().catch(() => undefined);
  return {
    start() {},
    message(id, text) {
      outputs.get(id)?.(text);
    },
    finish(result) {
      waiting.get(result.id)?.resolve(result);
    },
    async close() {
      await running;
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
    const answer = await rl.question('Delete them? [y/N] ');
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

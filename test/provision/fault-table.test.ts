/**
 * The fault table: every mutating operation `up` and `down` issue, read from the request log of a
 * clean run (a new operation is covered without editing this file), fails once on its first call.
 * The failing command runs through the CLI: it must exit non-zero, name the step (or the stack's lock),
 * the operation, its region and the AWS error, and print advice that is true: the next run of the same
 * command converges (`up`: status in sync) or leaves nothing behind (`down`).
 *
 * The error is AccessDenied (AccessDeniedException outside the awsQuery services), which AWS can answer
 * to any call and the SDK does not retry, so the failure reaches the command on the first call; the
 * fix an operator makes is granting the permission, after which the same command must resume.
 *
 * With DSQLCTL_FAULT_WINDOW_SECONDS (npm run test:soak) the failure repeats instead for that many real
 * seconds from the first call: every run inside the window fails the same way (exit 3 naming the
 * step; the refusal is not retried, and the other steps' waits are capped, so nothing can hang), and
 * the first run after it converges.
 *
 * One local cloud serves every trial; each trial replaces its failure rules (counted from zero, so
 * `nth: 1` is the trial's first call of the operation). Setup and reruns run in-process (the
 * library the commands call); stacks are paired: stack k's up fails on the k-th up
 * operation, then its down on the k-th down operation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FAST, isMutating, type PrivateCloud, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import type { FailureRule } from '../../src/lib/local-cloud/index.js';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';
import { down, status, up } from '../../src/lib/provision/index.js';
import { MODULES } from '../../src/lib/provision/modules.js';
import { plainReporter } from '../../src/lib/provision/progress.js';
import { DEFAULT_REGIONS, DEFAULT_WITNESS, validateTopology } from '../../src/lib/stack.js';
import { resolveTarget } from '../../src/lib/target.js';
import { runCli } from '../support/cli.js';
import { inventory, nothingLeft } from './inspect.js';

const REGIONS = [...DEFAULT_REGIONS];
const TOPOLOGY = validateTopology(REGIONS, DEFAULT_WITNESS);
const WINDOW_SECONDS = Number(process.env.DSQLCTL_FAULT_WINDOW_SECONDS ?? 0);
/** The bounded waits' cap for the failing runs: a retried failure ends in exit 4 within it. */
const WAIT_CAP_SECONDS = 2;

let privateCloud: PrivateCloud;
let cloud: TestLocalCloud;
const env = () => privateCloud.env;

before(async () => {
  privateCloud = await startPrivateCloud(FAST);
  cloud = privateCloud.cloud;
  Object.assign(process.env, env());
});
after(() => privateCloud.stop());

const quiet = async () => plainReporter(() => {});
const noop = () => {};

async function upInProcess(stack: string) {
  const result = await up(await resolveTarget({ kind: 'local' }), {
    stack,
    topology: TOPOLOGY,
    dryRun: false,
    reporter: quiet,
    notice: noop,
  });
  assert.equal(result.error, undefined, `up ${stack}: ${JSON.stringify(result.error)}`);
}

async function downInProcess(stack: string) {
  const result = await down(await resolveTarget({ kind: 'local' }), {
    stack,
    reporter: quiet,
    confirm: async () => true,
    notice: noop,
  });
  assert.equal(result.error, undefined, `down ${stack}: ${JSON.stringify(result.error)}`);
}

type Call = { service: string; operation: string };
const key = (c: Call) => `${c.service}:${c.operation}`;

/** The distinct mutating operations among `calls`, in the order they were first issued. */
function mutatingOperations(calls: Call[]): string[] {
  const seen = new Set<string>();
  for (const c of calls) if (isMutating(c.operation) && c.operation !== 'Deliver') seen.add(key(c));
  return [...seen];
}

/** AWS's refusal for `operation`: its protocol's AccessDenied code and the wording IAM uses. */
function accessDenied(operation: string, window: boolean): FailureRule {
  const [service] = operation.split(':');
  const code = service === 'iam' || service === 'sts' ? 'AccessDenied' : 'AccessDeniedException';
  return {
    operation,
    nth: 1,
    ...(window ? { forSeconds: WINDOW_SECONDS / (FAST.timeScale ?? 1) } : { times: 1 }),
    code,
    message: `User: arn:aws:iam::000000000000:user/operator is not authorized to perform: ${operation} because no identity-based policy allows the ${operation} action`,
  };
}

/** The requests since `from`, not counting EventBridge's own deliveries. */
const callsSince = (from: number) =>
  cloud
    .requests()
    .slice(from)
    .filter((c) => c.operation !== 'Deliver');

/**
 * Runs the CLI once with `operation` failing: it exits 3 (the root cause is a refusal), names the
 * step that made the call (or the lock), the operation, its region and the error code, and advises
 * running the same command again. Returns the region of the refused call.
 */
async function failsNamingTheStep(args: string[], stack: string, operation: string) {
  const from = cloud.requests().length;
  const run = await runCli(args, { ...env(), DSQLCTL_WAIT_TIMEOUT_SECONDS: String(WAIT_CAP_SECONDS) });
  const refused = callsSince(from).filter((c) => key(c) === operation && c.error);
  assert.ok(refused.length >= 1, `${operation} was never called by ${args.join(' ')}`);
  const [name] = operation.split(':').slice(1);
  const region = refused[0]?.region ?? '';
  const context = `${args.join(' ')} with ${operation} refused:\n${run.stderr}`;
  assert.equal(run.status, 3, context);
  const error = run.stderr.split('\n').find((line) => line.startsWith('Error: ')) ?? '';
  assert.match(
    run.stderr,
    new RegExp(`${name} in (${region}|global) was refused: ${refused[0]?.error}: `),
    context,
  );
  // The step ("<kind> <name>[ in <region>]: <operation> in …"), or the stack's lock.
  assert.match(
    error,
    new RegExp(
      `^Error: ((${Object.keys(MODULES).join('|')}) .+: ${name} in |(Taking|Releasing) stack ${stack}'s lock \\(IAM role ${stack}-lock\\) failed \\(${name} in )`,
    ),
    context,
  );
  assert.match(run.stderr, /run the same command again/, context);
  return run;
}

/** The up operations and the down operations of a clean two-region stack, from the request log. */
async function cleanRun(): Promise<{ upOps: string[]; downOps: string[] }> {
  const start = cloud.requests().length;
  await upInProcess('clean');
  const middle = cloud.requests().length;
  await downInProcess('clean');
  const all = cloud.requests();
  return {
    upOps: mutatingOperations(all.slice(start, middle)),
    downOps: mutatingOperations(all.slice(middle)),
  };
}

describe(`fault table: every mutating operation of up and down refused ${WINDOW_SECONDS ? `for ${WINDOW_SECONDS} s` : 'once'}`, () => {
  it('each failing command names its step and error, and its rerun converges', async (t) => {
    const { upOps, downOps } = await cleanRun();
    // Sanity: the clean run issued what a stack is made of (a smaller list would hide operations).
    for (const op of ['iam:CreateRole', 'dsql:CreateCluster', 'lambda:CreateFunction', 'events:PutRule']) {
      assert.ok(upOps.includes(op), `${op} not among up's operations: ${upOps.join(', ')}`);
    }
    for (const op of ['dsql:DeleteCluster', 'lambda:DeleteFunction', 'iam:DeleteRole']) {
      assert.ok(downOps.includes(op), `${op} not among down's operations: ${downOps.join(', ')}`);
    }
    const pairs = Math.max(upOps.length, downOps.length);
    for (let k = 0; k < pairs; k++) {
      const stack = `ft${k}`;
      const upOp = upOps[k];
      const downOp = downOps[k];
      if (upOp) {
        await t.test(`up with ${upOp} refused`, async () => {
          await cloud.replaceFailures([accessDenied(upOp, WINDOW_SECONDS > 0)]);
          await failsNamingTheStep(['up', '--stack', stack], stack, upOp);
          if (WINDOW_SECONDS > 0) await outlastWindow(['up', '--stack', stack], stack, upOp);
          await upInProcess(stack);
          const result = await status(await resolveTarget({ kind: 'local' }), stack);
          assert.equal(result.inSync, true, JSON.stringify(result.resources.filter((r) => r.drift)));
        });
      } else {
        await upInProcess(stack);
      }
      if (downOp) {
        await t.test(`down with ${downOp} refused`, async () => {
          await cloud.replaceFailures([accessDenied(downOp, WINDOW_SECONDS > 0)]);
          await failsNamingTheStep(['down', '--stack', stack, '--yes'], stack, downOp);
          if (WINDOW_SECONDS > 0) await outlastWindow(['down', '--stack', stack, '--yes'], stack, downOp);
          await downInProcess(stack);
          assert.deepEqual(await inventory(cloud, stack, REGIONS), nothingLeft(REGIONS), stack);
          const left = await status(await resolveTarget({ kind: 'local' }), stack);
          assert.deepEqual([left.exists, left.orphaned], [false, []], JSON.stringify(left));
        });
      } else {
        await downInProcess(stack);
      }
    }
  });
});

/**
 * Inside the window (opened by the first refused call) every rerun fails the same way; then waits
 * for it to close, so that the caller's rerun runs with the permission back.
 */
async function outlastWindow(args: string[], stack: string, operation: string): Promise<void> {
  const opened = cloud.requests().find((c) => key(c) === operation && c.error)?.time ?? '';
  const closes = Date.parse(opened) + WINDOW_SECONDS * 1000;
  // A run reaches the operation a few seconds after it starts: start it only while that is inside.
  while (Date.now() + 4000 < closes) await failsNamingTheStep(args, stack, operation);
  await new Promise((r) => setTimeout(r, Math.max(0, closes - Date.now()) + 50));
}

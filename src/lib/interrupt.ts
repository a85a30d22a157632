/**
 * Ctrl-C and SIGTERM (what CI cancellation sends) during `up`, `down` and `txn load`: the first signal
 * says so and lets the calls in flight finish; nothing new starts, waits end at their next poll, and
 * the command unwinds through its own cleanup (the stack's lock is released) to exit 130 (SIGINT) or
 * 143 (SIGTERM), 128 + the signal's number as shells report it. Every step is idempotent, so the same
 * command run again resumes. A second signal exits at once (the lock is then taken over as a dead
 * holder's, lock.ts).
 */
import { DsqlctlError, ExitCode, type ExitCodeValue } from './errors.js';

type StopSignal = 'SIGINT' | 'SIGTERM';

const EXIT_BY_SIGNAL: Record<StopSignal, ExitCodeValue> = {
  SIGINT: ExitCode.interrupted,
  SIGTERM: ExitCode.terminated,
};

export const INTERRUPTED_MESSAGE =
  'Interrupted: stopping after in-flight calls; run the same command to resume';

export class InterruptedError extends DsqlctlError {
  override readonly exitCode: ExitCodeValue;
  constructor(readonly signal: StopSignal) {
    super(`${INTERRUPTED_MESSAGE} (${signal}).`, {
      advice: 'Run the same command again: it resumes where it stopped.',
    });
    this.exitCode = EXIT_BY_SIGNAL[signal];
  }
}

let received: StopSignal | undefined;
const wakers = new Set<() => void>();

/** Installs the handlers for this command; `say` prints the interruption notice (stderr). */
export function stopOnSignals(say: (line: string) => void): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (received) process.exit(EXIT_BY_SIGNAL[signal]);
      received = signal;
      say(`${INTERRUPTED_MESSAGE} (${signal}; again to stop at once).`);
      for (const wake of wakers) wake();
    });
  }
}

/** The interruption, once a signal arrived. */
export function interruption(): InterruptedError | undefined {
  return received ? new InterruptedError(received) : undefined;
}

export function throwIfInterrupted(): void {
  const error = interruption();
  if (error) throw error;
}

/** Sleeps `ms`, or less when a signal arrives (the caller then checks interruption()). */
export function sleepUnlessInterrupted(ms: number): Promise<void> {
  if (received) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      wakers.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    wakers.add(done);
  });
}

/** Probing and waiting on other processes by pid: the daemon, a PostgreSQL a killed daemon left behind. */

/** Is the process alive? Signal 0 probes without signalling; EPERM means it runs, as another user. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits up to `timeoutMs` for the process to exit: false when it is still running then. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

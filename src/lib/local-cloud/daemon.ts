/**
 * The local cloud's background process (spawned detached by control.ts). Options arrive as JSON in
 * DSQLCTL_LOCAL_DAEMON. Once it serves, it writes runtime.json (atomically); on SIGTERM/SIGINT it stops
 * the server and PostgreSQL, removes runtime.json and exits.
 */
import { rmSync } from 'node:fs';
import type { FaultConfig } from './fault-config.js';
import { runLocalCloud } from './instance.js';
import { cloudPaths } from './paths.js';
import { atomicWrite } from './state-store.js';

interface DaemonOptions {
  home: string;
  port?: number;
  faults?: FaultConfig;
  operatorPolicy?: string;
  enforcement?: boolean;
}

// Everything the daemon creates (state, logs, function code, zips) is its user's alone: 0700/0600.
process.umask(0o077);

const options = JSON.parse(process.env.DSQLCTL_LOCAL_DAEMON ?? '{}') as DaemonOptions;
const paths = cloudPaths(options.home);

try {
  const running = await runLocalCloud(options);
  atomicWrite(paths.daemonInfo, JSON.stringify(running.info, null, 2));
  process.stdout.write(`${new Date().toISOString()} serving ${running.info.endpoint} (pid ${process.pid})\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${new Date().toISOString()} ${signal}: stopping\n`);
    try {
      await running.stop();
    } finally {
      rmSync(paths.daemonInfo, { force: true });
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
} catch (error) {
  process.stderr.write(`${new Date().toISOString()} failed to start: ${(error as Error).stack}\n`);
  process.exit(1);
}

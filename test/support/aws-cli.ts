/**
 * The AWS CLI, a real client we did not write: installed with apt-get (Debian package awscli) when
 * missing — a test that needs it fails when it cannot be had, it never skips — and run with only the
 * given environment's AWS settings (no config files of the machine's user, no retries).
 */
import { spawnSync } from 'node:child_process';
import { ensureCommand } from './debian.js';

export function ensureAwsCli(): void {
  ensureCommand('aws', 'awscli');
}

/** `aws …args --output json` with `env`'s AWS settings only. */
export function aws(args: string[], env: Record<string, string>) {
  const result = spawnSync('aws', [...args, '--output', 'json'], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_MAX_ATTEMPTS: '1',
      ...env,
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

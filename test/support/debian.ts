/**
 * Tests use real clients we did not write (psql, the AWS CLI, Chromium): one missing here is installed
 * from Debian's packages, and a test that needs it fails when it cannot be had — it never skips.
 */
import { execFileSync, spawnSync } from 'node:child_process';

const which = (command: string) =>
  spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim();

/** The path of `command` on PATH, after installing Debian's package `pkg` with apt-get when it is missing. */
export function ensureCommand(command: string, pkg: string): string {
  const found = which(command);
  if (found) return found;
  try {
    execFileSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('apt-get', ['install', '-y', '-q', pkg], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (error) {
    throw new Error(`${command} is missing and apt-get could not install it (package ${pkg}): ${error}`);
  }
  const installed = which(command);
  if (!installed) throw new Error(`apt-get installed ${pkg}, yet ${command} is still not on PATH`);
  return installed;
}

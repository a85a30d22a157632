/** A private local cloud for a test file: its own DSQLCTL_HOME, stopped and removed afterwards. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultConfig } from '../../src/lib/local-cloud/index.js';
import { startTestLocalCloud, type TestLocalCloud } from '../../src/lib/local-cloud/index.js';
import { localTargetEnv } from '../support/cli.js';

export interface PrivateCloud {
  home: string;
  cloud: TestLocalCloud;
  /** Environment for a CLI child process using this cloud. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startPrivateCloud(faults?: FaultConfig): Promise<PrivateCloud> {
  const home = mkdtempSync(join(tmpdir(), 'dsqlctl-provision-'));
  const cloud = await startTestLocalCloud({ home, ...(faults ? { faults } : {}) });
  return {
    home,
    cloud,
    env: localTargetEnv(home),
    async stop() {
      await cloud.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Mutating calls in a request log slice: everything that is not a read. */
export function isMutating(operation: string): boolean {
  return !/^(Get|List|Describe)/.test(operation);
}

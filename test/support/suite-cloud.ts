import { after, before } from 'node:test';
import { FAST, removeHome, startPrivateCloud } from '../../scripts/lib/local-cloud.js';
import type { FaultConfig } from '../../src/lib/local-cloud/index.js';
import type { TestLocalCloud } from '../../src/lib/local-cloud/testing.js';

/**
 * A private local cloud for the enclosing describe: started before its tests (handed to `started`),
 * stopped and its home removed after them.
 */
export function withSuiteCloud(started: (cloud: TestLocalCloud) => void, faults: FaultConfig = FAST): void {
  let cloud: TestLocalCloud | undefined;
  before(async () => {
    cloud = (await startPrivateCloud(faults)).cloud;
    started(cloud);
  });
  after(async () => {
    if (!cloud) return;
    await cloud.stop();
    removeHome(cloud.home);
  });
}

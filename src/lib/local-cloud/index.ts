// Public face of the local cloud (the only module outside this folder may import). Issue 3 implements it.
import type { DatabaseSettings } from '../target.js';

export const LOCAL_CREDENTIALS = { accessKeyId: 'dsqlctl-local', secretAccessKey: 'dsqlctl-local' };

export async function ensureLocalCloud(): Promise<{ endpoint: string }> {
  throw new Error('the local cloud is not built yet');
}

export async function fetchDatabaseSettings(
  _endpoint: string,
  _region: string,
  _identifier: string,
): Promise<DatabaseSettings> {
  throw new Error('the local cloud is not built yet');
}

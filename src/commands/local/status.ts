import { BaseCommand } from '../../lib/base-command.js';
import type { CloudStatus, OperatorKey } from '../../lib/local-cloud/index.js';

/** Durations in the JSON envelope are integer milliseconds (`…Ms`), so the uptime is too. */
type LocalStatusResult =
  | ({ running: true; uptimeMs: number; credentials: OperatorKey } & Omit<CloudStatus, 'uptimeSeconds'>)
  | { running: false; home: string };

export default class LocalStatus extends BaseCommand {
  static override summary =
    'Is the local cloud running: endpoint, database settings, uptime, resources per region.';
  static override examples = ['<%= config.bin %> local status', '<%= config.bin %> local status --json'];

  async run(): Promise<LocalStatusResult> {
    await this.parse(LocalStatus);
    const { dsqlctlHome, localCloudCredentials, localCloudStatus, renderStatus } = await import(
      '../../lib/local-cloud/index.js'
    );
    const status = await localCloudStatus();
    await this.show(() => renderStatus(status, dsqlctlHome()));
    if (!status) return { running: false, home: dsqlctlHome() };
    const { uptimeSeconds, ...rest } = status;
    // The endpoint and the operator's key, as `local env` prints them (the key is the home's own).
    return {
      running: true,
      ...rest,
      uptimeMs: Math.round(uptimeSeconds * 1000),
      credentials: localCloudCredentials(),
    };
  }
}

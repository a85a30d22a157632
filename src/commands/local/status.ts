import { BaseCommand } from '../../lib/base-command.js';
import type { CloudStatus, OperatorKey } from '../../lib/local-cloud/index.js';

type LocalStatusResult =
  | ({ running: true; credentials: OperatorKey } & CloudStatus)
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
    this.log(renderStatus(status, dsqlctlHome()));
    // The endpoint and the operator's key, as `local env` prints them (the key is the home's own).
    return status
      ? { running: true, ...status, credentials: localCloudCredentials() }
      : { running: false, home: dsqlctlHome() };
  }
}

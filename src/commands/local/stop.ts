import { BaseCommand } from '../../lib/base-command.js';
import type { StopResult } from '../../lib/local-cloud/index.js';

export default class LocalStop extends BaseCommand {
  static override summary = 'Stop the local cloud and its PostgreSQL (state is kept for the next start).';
  static override examples = ['<%= config.bin %> local stop'];

  async run(): Promise<StopResult> {
    await this.parse(LocalStop);
    const { renderStop, stopLocalCloud } = await import('../../lib/local-cloud/index.js');
    const result = await stopLocalCloud();
    await this.show(() => renderStop(result));
    return result;
  }
}

import { BaseCommand } from '../../lib/base-command.js';

interface LocalEnv {
  AWS_ENDPOINT_URL: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  AWS_REGION: string;
  /** The AWS CLI v1 (and older SDKs) read the region from AWS_DEFAULT_REGION only. */
  AWS_DEFAULT_REGION: string;
}

/** Single-quoted for a POSIX shell: `'` inside becomes `'\''`. */
const shellQuote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

export default class LocalEnvCommand extends BaseCommand {
  static override summary =
    'Print the shell lines that point any AWS client at the local cloud (starting it if needed).';
  static override description =
    "The endpoint and the operator's key of this DSQLCTL_HOME's local cloud (the key is generated once per home and kept " +
    'in local-cloud/operator-key.json, mode 0600). AWS_REGION is your AWS_REGION, else us-east-1.';
  static override examples = [
    'eval "$(<%= config.bin %> local env)"; aws lambda list-functions',
    '<%= config.bin %> local env --json',
  ];

  async run(): Promise<LocalEnv> {
    await this.parse(LocalEnvCommand);
    const { ensureLocalCloud } = await import('../../lib/local-cloud/index.js');
    const { endpoint, credentials } = await ensureLocalCloud();
    const region = process.env.AWS_REGION ?? 'us-east-1';
    const env: LocalEnv = {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
    };
    this.log(
      Object.entries(env)
        .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
        .join('\n'),
    );
    return env;
  }
}

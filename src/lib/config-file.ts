/**
 * `dsqlctl.config.json`: a project's defaults for the shared flags (`stack`, `regions`, `witness`,
 * `target`, `profile`), found from the working directory upward by lilconfig (up to the home
 * directory when the working directory is inside it, else up to the filesystem root).
 * Precedence: the command line, then the environment (DSQLCTL_TARGET, AWS_PROFILE), then the file,
 * then the built-in default. A file that cannot be used is a usage error (exit 2) naming the file and
 * the field, for every command: a setting silently ignored would send a command to the wrong stack.
 */
import { lilconfigSync } from 'lilconfig';
import type { z } from 'zod';
import { UsageError } from './errors.js';
import { validateStackName } from './stack.js';
import { TARGET_KINDS } from './target.js';

export const CONFIG_FILE_NAME = 'dsqlctl.config.json';

const SETTING_KEYS = ['stack', 'regions', 'witness', 'target', 'profile'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

/** The environment variable that stands for a setting (README: Environment variables). */
const ENV_OF: Partial<Record<SettingKey, string>> = { target: 'DSQLCTL_TARGET', profile: 'AWS_PROFILE' };

/** The file's schema; zod is loaded only once a file is found (most runs have none: start-up time). */
async function fileSchema() {
  const { z } = await import('zod');
  const nonEmpty = z.string().min(1, 'must not be empty');
  return z.strictObject({
    stack: nonEmpty
      .refine(
        (stack) => {
          try {
            return validateStackName(stack) === stack;
          } catch {
            return false;
          }
        },
        { error: 'must be 1–32 lowercase letters, digits and single hyphens, starting with a letter' },
      )
      .optional(),
    regions: z
      .array(nonEmpty, { error: 'must be a list of region names, e.g. ["us-east-1", "us-west-2"]' })
      .min(1, 'needs one region, or two to peer')
      .max(2, 'has more than two regions')
      .optional(),
    witness: nonEmpty.optional(),
    target: z
      .enum(TARGET_KINDS as [string, ...string[]], { error: `must be one of ${TARGET_KINDS.join(', ')}` })
      .optional(),
    profile: nonEmpty.optional(),
  });
}
type FileSettings = z.infer<Awaited<ReturnType<typeof fileSchema>>>;

interface ConfigFile {
  path: string;
  /** Each setting as the flag's string value (`regions` comma-joined, as `--regions` takes it). */
  values: Partial<Record<SettingKey, string>>;
}

function invalidFile(path: string, problem: string): UsageError {
  return new UsageError(`Invalid config file ${path}: ${problem}.`, {
    advice: `Allowed keys: ${SETTING_KEYS.join(', ')} (README: Config file). Fix or remove the file.`,
  });
}

async function parseConfigFile(path: string, content: string): Promise<ConfigFile> {
  let document: unknown;
  try {
    document = JSON.parse(content);
  } catch (error) {
    throw invalidFile(path, `not valid JSON (${(error as Error).message})`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalidFile(path, 'the document must be a JSON object');
  }
  const parsed = (await fileSchema()).safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    if (issue.code === 'unrecognized_keys') {
      throw invalidFile(path, `unknown key "${issue.keys[0]}"`);
    }
    throw invalidFile(path, `field "${issue.path.join('.')}": ${issue.message}`);
  }
  const settings: FileSettings = parsed.data;
  const values: ConfigFile['values'] = {};
  for (const key of SETTING_KEYS) {
    const value = settings[key];
    if (value !== undefined) values[key] = Array.isArray(value) ? value.join(',') : value;
  }
  return { path, values };
}

/** The nearest config file from `cwd` upward, parsed and checked; undefined when there is none. */
export async function loadConfigFile(cwd = process.cwd()): Promise<ConfigFile | undefined> {
  const found = lilconfigSync('dsqlctl', {
    searchPlaces: [CONFIG_FILE_NAME],
    // An empty file is a mistake to report, not a file to skip silently.
    ignoreEmptySearchPlaces: false,
    loaders: { '.json': (_path, content) => content },
  }).search(cwd);
  if (!found) return undefined;
  if (found.isEmpty) throw invalidFile(found.filepath, 'the file is empty (write {} or remove it)');
  return parseConfigFile(found.filepath, found.config as string);
}

/** Where a setting's value came from: what `doctor` prints beside it. */
export type SettingSource =
  | { from: 'flag' }
  | { from: 'env'; variable: string }
  | { from: 'file'; path: string }
  | { from: 'default' };

export interface ResolvedSetting {
  /** undefined: no value anywhere (e.g. `--profile` left to the credential chain). */
  value: string | undefined;
  source: SettingSource;
}

export type ResolvedSettings = Partial<Record<SettingKey, ResolvedSetting>>;

/**
 * Each setting the command has a flag for (`defined`; `flagged`: the parsed values), with the source that wins:
 * the command line (`given`: the flag names typed), then the environment, then the file, then the
 * flag's default. Throws UsageError for a bad config file.
 */
export async function resolveSettings(options: {
  defined: ReadonlySet<string>;
  flagged: Partial<Record<string, unknown>>;
  given: ReadonlySet<string>;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<ResolvedSettings> {
  const { defined, flagged, given, env = process.env } = options;
  const file = await loadConfigFile(options.cwd);
  const resolved: ResolvedSettings = {};
  for (const key of SETTING_KEYS) {
    if (!defined.has(key)) continue;
    const parsed = flagged[key] as string | undefined;
    const variable = ENV_OF[key];
    const fromFile = file?.values[key];
    if (given.has(key)) resolved[key] = { value: parsed, source: { from: 'flag' } };
    else if (variable && env[variable] !== undefined && env[variable] !== '')
      resolved[key] = { value: env[variable], source: { from: 'env', variable } };
    else if (file && fromFile !== undefined)
      resolved[key] = { value: fromFile, source: { from: 'file', path: file.path } };
    else resolved[key] = { value: parsed, source: { from: 'default' } };
  }
  return resolved;
}

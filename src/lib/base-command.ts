/**
 * The base every dsqlctl command extends: the flags all commands share, `--json` support (the one
 * envelope of envelope.ts), and the one place where thrown errors become exit codes and messages.
 */
import { Command, Flags, type Interfaces } from '@oclif/core';
import { recordInvocation } from './advice.js';
import type { ResolvedSettings } from './config-file.js';
import { type Envelope, envelope } from './envelope.js';
import { DsqlctlError, ExitCode, type FailureReport, failureReport } from './errors.js';
import { DEFAULT_STACK } from './stack.js';
import { parseTargetKind, resolveTarget, TARGET_KINDS, type Target } from './target.js';

const targetFlags = {
  target: Flags.string({
    description: 'Where to run: real AWS, or the embedded local cloud (no account needed).',
    options: [...TARGET_KINDS],
    env: 'DSQLCTL_TARGET',
    default: 'aws',
    helpGroup: 'TARGET',
  }),
  profile: Flags.string({
    description: 'AWS shared-config profile (aws target only; default: the standard credential chain).',
    helpGroup: 'TARGET',
  }),
};

/** `--stack` for every command that works on an existing stack (`up` explains it differently). */
export const stackFlag = Flags.string({
  description: 'Stack name (as given to dsqlctl up).',
  default: DEFAULT_STACK,
});

type ErrorWithParse = Error & { oclif?: { exit?: number }; flags?: string[] };

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = targetFlags;
  /** Settings of dsqlctl.config.json this command does not take (its flag means something else here). */
  static configFileIgnores: readonly string[] = [];

  /** Things the operator should know that did not fail the command: stderr lines, and the envelope's `warnings`. */
  readonly #warnings: string[] = [];
  #targetKind: 'aws' | 'local' | undefined;
  #failure: FailureReport | undefined;
  #settings: ResolvedSettings = {};

  /**
   * Parses; fills the shared settings the command line and the environment left open from
   * dsqlctl.config.json (config-file.ts); records the target and profile the advice of this run
   * repeats (advice.ts).
   */
  protected override async parse<
    F extends Record<string, unknown>,
    B extends Record<string, unknown>,
    A extends Record<string, unknown>,
  >(options?: Interfaces.Input<F, B, A>, argv?: string[]): Promise<Interfaces.ParserOutput<F, B, A>> {
    const parsed = await super.parse(options, argv);
    const flags = parsed.flags as Record<string, unknown> & { target?: string; profile?: string };
    const defined = new Set(
      Object.keys({ ...options?.flags, ...options?.baseFlags, ...this.ctor.baseFlags }),
    );
    // `raw` holds only what was typed: oclif's env and default values are not in it.
    const given = new Set(parsed.raw.flatMap((token) => (token.type === 'flag' ? [token.flag] : [])));
    // Loaded here, not at start-up: --help and flag errors need neither zod nor lilconfig.
    const { resolveSettings } = await import('./config-file.js');
    this.#settings = await resolveSettings({ defined, flagged: flags, given });
    for (const [key, setting] of Object.entries(this.#settings)) {
      if (setting.source.from === 'file') flags[key] = setting.value;
    }
    recordInvocation({ target: flags.target, profile: flags.profile });
    return parsed;
  }

  /** Each shared setting of this run (stack, regions, witness, target, profile) and where it came from. */
  protected resolvedSettings(): ResolvedSettings {
    return this.#settings;
  }

  /**
   * Prints what `render` makes for people; with --json oclif prints the result instead, so nothing is
   * rendered, nor its module loaded (a table is tens of milliseconds of a short command).
   */
  protected async show(render: () => string | Promise<string>): Promise<void> {
    if (!this.jsonEnabled()) this.log(await render());
  }

  /** Resolves the target from the shared flags; starts the local cloud when it is the target. */
  protected async target(flags: { target?: string; profile?: string }): Promise<Target> {
    const kind = parseTargetKind(flags.target);
    this.#targetKind = kind;
    return resolveTarget({ kind, profile: flags.profile });
  }

  /** A warning: printed at once on stderr (unless --json), and listed in the JSON envelope. */
  protected addWarning(message: string): void {
    this.#warnings.push(message);
    this.logToStderr(`Warning: ${message}`);
  }

  /** The target the envelope names: the one resolved, else the --target flag, env or default as given. */
  #envelopeTarget(): 'aws' | 'local' {
    if (this.#targetKind) return this.#targetKind;
    const setting = this.#settings.target?.value;
    if (setting) return setting === 'local' ? 'local' : 'aws';
    if (this.id?.startsWith('local:')) return 'local';
    const index = this.argv.findIndex((a) => a === '--target' || a.startsWith('--target='));
    const given =
      index === -1
        ? process.env.DSQLCTL_TARGET
        : (this.argv[index]?.split('=')[1] ?? this.argv[index + 1] ?? undefined);
    return given === 'local' ? 'local' : 'aws';
  }

  /** The JSON envelope of a run; a failed run carries its failure (reportFailure) as `error`. */
  #envelopeFor(result: unknown, error: FailureReport | undefined = this.#failure): Envelope {
    const exitCode = error?.exitCode ?? (typeof process.exitCode === 'number' ? process.exitCode : 0);
    return envelope({
      command: this.#commandName(),
      target: this.#envelopeTarget(),
      exitCode,
      result,
      warnings: this.#warnings,
      ...(error ? { error } : {}),
    });
  }

  override toSuccessJson(result: unknown): Envelope {
    return this.#envelopeFor(result);
  }

  /**
   * A failure that is the command's result (a failed plan step, a verification that found a problem),
   * or a thrown error's report (catch): sets the exit code and becomes the envelope's `error`; for
   * people, the error and its advice on stderr (after the result they were already shown).
   */
  protected async reportFailure(failure: FailureReport): Promise<void> {
    process.exitCode = failure.exitCode;
    this.#failure = failure;
    if (this.jsonEnabled()) return;
    const { default: chalk } = await import('chalk');
    this.logToStderr(chalk.red(`Error: ${failure.message}`));
    if (failure.advice) this.logToStderr(chalk.dim(failure.advice));
  }

  protected override async catch(error: ErrorWithParse): Promise<unknown> {
    if (!(error instanceof DsqlctlError) && error.oclif?.exit !== undefined) {
      // oclif's flag and argument errors: one short usage error (exit 2), never its parse internals or help page.
      if (error.oclif.exit !== ExitCode.usage) return super.catch(error);
      process.exitCode = ExitCode.usage;
      const message = this.#usageMessage(error);
      if (this.jsonEnabled()) {
        this.logJson(this.#envelopeFor(undefined, { name: 'UsageError', message, exitCode: ExitCode.usage }));
      } else {
        this.logToStderr(`Error: ${message}`);
      }
      return undefined;
    }
    // Exit code and advice from the root cause; the message names the AWS operation and region when known.
    const failure = failureReport(error);
    await this.reportFailure(failure);
    if (this.jsonEnabled()) this.logJson(this.#envelopeFor(undefined));
    else if (failure.exitCode === ExitCode.unexpected && process.env.DEBUG)
      this.logToStderr(error.stack ?? '');
    return undefined;
  }

  /** The command as typed ("txn create"), not oclif's id ("txn:create"). */
  #commandName(): string {
    return (this.id ?? '').replaceAll(':', ' ');
  }

  /** One line: oclif's first sentence, the valid flags for an unknown one, and where the help is. */
  #usageMessage(error: ErrorWithParse): string {
    const first = (error.message.split('\nSee more help with --help')[0] ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !/^The following errors? occurred:$/.test(line))
      .join('; ');
    const command = `${this.config.bin} ${this.#commandName()}`;
    if (Array.isArray(error.flags)) {
      const ctor = this.ctor as typeof BaseCommand & { flags?: Interfaces.FlagInput };
      const valid = Object.keys({ ...ctor.flags, ...ctor.baseFlags, json: true })
        .map((name) => `--${name}`)
        .join(', ');
      return `${first.replace('Nonexistent flag', 'Unknown flag')} for ${command}; valid flags: ${valid} (${command} --help)`;
    }
    return `${first} (${command} --help)`;
  }
}

/**
 * Commands dsqlctl suggests (advice, "Next:" lines) are written through `suggest`, so a pasted
 * suggestion runs against the same target and profile as the command that printed it: a hint that
 * drops `--target local` would send the copy to AWS. BaseCommand records the invocation once its
 * flags are parsed; the library code that words the advice needs no extra parameters.
 */
interface Invocation {
  target?: string;
  profile?: string;
}

let invocation: Invocation = {};

export function recordInvocation(flags: Invocation): void {
  invocation = { ...flags };
}

/**
 * The flags that make a suggested command mean the same thing when pasted: the target unless it is
 * the default with no DSQLCTL_TARGET to change it, and the profile when one was given.
 */
export function contextFlags(target = invocation.target): string {
  const flags: string[] = [];
  const kind = target ?? 'aws';
  const envKind = process.env.DSQLCTL_TARGET;
  if (kind !== 'aws' || (envKind !== undefined && envKind !== 'aws')) flags.push(`--target ${kind}`);
  if (invocation.profile) flags.push(`--profile ${invocation.profile}`);
  return flags.map((f) => ` ${f}`).join('');
}

/**
 * `dsqlctl <command> [--target …] [--profile …] [<last>]`, e.g. suggest('down --stack shop', {last: '--yes'});
 * `target` when the caller holds the run's target (a result) rather than the parsed flags.
 */
export function suggest(command: string, options: { last?: string; target?: string } = {}): string {
  return `dsqlctl ${command}${contextFlags(options.target)}${options.last ? ` ${options.last}` : ''}`;
}

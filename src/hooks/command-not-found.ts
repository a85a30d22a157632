/**
 * An unknown command (`dsqlctl stauts`): one line naming the closest command, on a terminal or not
 * (oclif's plugin-not-found suggests only through an interactive prompt, and then runs the guess —
 * which for `dwon` would be `down`), exit 127 like a shell.
 */
import type { Hook } from '@oclif/core';
import levenshtein from 'fast-levenshtein';

/** Farther than this from every command is no typo of one: only the help is named. */
const MAX_TYPO_DISTANCE = 3;

const hook: Hook.CommandNotFound = async function (options) {
  const typed = options.id.replaceAll(':', ' ');
  const visible = options.config.commands.filter((c) => !c.hidden).map((c) => c.id.replaceAll(':', ' '));
  // On a tie, a command with the same letters wins: swapped letters (`stauts`) are the commonest typo,
  // and Levenshtein counts a swap as two edits, as far as `stacks` is from `stauts`.
  const letters = (word: string) => [...word].sort().join('');
  const [closest] = visible
    .map((id) => ({ id, distance: levenshtein.get(typed, id), swapped: letters(id) === letters(typed) }))
    .sort((a, b) => a.distance - b.distance || Number(b.swapped) - Number(a.swapped));
  const bin = options.config.bin;
  const suggestion =
    closest && closest.distance <= MAX_TYPO_DISTANCE ? ` Did you mean: ${bin} ${closest.id}?` : '';
  // Written directly: oclif's error() would wrap the line at the terminal width.
  process.stderr.write(`Error: "${typed}" is not a ${bin} command.${suggestion} (${bin} help lists them)\n`);
  this.exit(127);
};

export default hook;

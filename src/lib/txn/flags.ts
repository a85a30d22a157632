/** The flag every txn command shares (`--stack` is shared more widely, in base-command). */
import { Flags } from '@oclif/core';

export const logsFlag = Flags.boolean({
  description: "Print the invocation's own log lines (its last 4 KB) after the answer.",
  default: false,
});

export const regionFlag = Flags.string({
  description: "Region whose function to invoke (default: the stack's first region).",
});

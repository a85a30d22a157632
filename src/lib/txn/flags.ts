/** Flags every txn and verify command shares. */
import { Flags } from '@oclif/core';
import { DEFAULT_STACK } from '../stack.js';

export const stackFlag = Flags.string({
  description: 'Stack name (as given to dsqlctl up).',
  default: DEFAULT_STACK,
});

export const regionFlag = Flags.string({
  description: "Region whose function to invoke (default: the stack's first region).",
});

import type { BuildOptions } from 'esbuild';

/** esbuild options for an ESM bundle run by Node, as the CLI's (cli-bundle-options.mjs). */
export const CLI_BUNDLE_OPTIONS: BuildOptions & { plugins: NonNullable<BuildOptions['plugins']> };

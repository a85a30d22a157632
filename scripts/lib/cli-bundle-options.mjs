// How the CLI is bundled (scripts/bundle-cli.mjs), shared with the benches that measure a floor
// "bundled as the CLI is" (startup.ts, sdk-floor.ts), so a floor can never be bundled another way.
import { createRequire } from 'node:module';

// ESM's `import … from 'node:http'` builds the namespace of every export, which runs node:http's lazy
// getters (WebSocket, CloseEvent, MessageEvent): that compiles undici, about 20 ms of every start-up
// (Node 24), for nothing the CLI uses. Through require(), only what is asked for is read; the
// getters themselves are left out of the exports (a bundled import of one would fail the build).
const builtinRequire = createRequire(import.meta.url);
const httpByRequire = {
  name: 'http-by-require',
  setup(b) {
    b.onResolve({ filter: /^(node:)?https?$/ }, (args) => ({
      path: args.path.replace(/^node:/, ''),
      namespace: 'http-by-require',
    }));
    b.onLoad({ filter: /.*/, namespace: 'http-by-require' }, (args) => {
      const names = Object.entries(Object.getOwnPropertyDescriptors(builtinRequire(`node:${args.path}`)))
        .filter(([, descriptor]) => !descriptor.get)
        .map(([name]) => name);
      return {
        contents: `import{createRequire}from'node:module';const m=createRequire(import.meta.url)('node:${args.path}');export default m;export const{${names.join(',')}}=m;`,
        loader: 'js',
      };
    });
  },
};

/** esbuild options for an ESM bundle run by Node, as the CLI's. */
export const CLI_BUNDLE_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Identifiers stay: oclif and error messages show class names.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  // ESM builds where packages have them (the SDK's dist-es): named exports then survive dynamic import().
  mainFields: ['module', 'main'],
  plugins: [httpByRequire],
  // The CommonJS dependencies call require() for Node built-ins; ESM output has no require of its own.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  logLevel: 'warning',
};

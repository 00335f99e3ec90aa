import type * as ClientNode from '@kubernetes/client-node';

/** The `@kubernetes/client-node` module's type (ESM-only since 1.0). */
export type ClientNodeModule = typeof ClientNode;

/**
 * A real dynamic `import()`. The library compiles to CommonJS (CDK apps `require()` it), and
 * TypeScript with `module: commonjs` rewrites `import()` into `require()`, which cannot load an
 * ES module on Node 20. A function built at run time keeps the `import()` as written, so the
 * ESM-only client loads only when the session runtime first needs it, never when a CDK app
 * loads the constructs.
 *
 * The comment with a unique number keeps the source text unique: V8 caches functions compiled
 * from identical source, and a cached one would keep resolving `import()` through the module
 * loader of whichever test file (jest context) compiled it first.
 */
const importModule = new Function('specifier', `return import(specifier); // ${process.hrtime.bigint()}`) as (specifier: string) => Promise<unknown>;

let loaded: Promise<ClientNodeModule> | undefined;

/** Loads `@kubernetes/client-node` once. (Under jest, run with `--experimental-vm-modules`.) */
export function loadClientNode(): Promise<ClientNodeModule> {
  loaded ??= importModule('@kubernetes/client-node') as Promise<ClientNodeModule>;
  return loaded;
}

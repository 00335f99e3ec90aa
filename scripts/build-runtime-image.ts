/**
 * Writes the session runtime's prebuilt Docker context, `dist/runtime-image/` (part of
 * `npm run build`, so of the published package; the source Dockerfile runs it inside Docker too):
 *
 * - `main.js`: `constructs/sessions/runtime/main.ts` and our own modules bundled by esbuild;
 *   every npm package stays external (installed in the image, not copied into the bundle).
 * - `package.json`: exactly the packages the bundle imports, pinned to the versions of the
 *   library's lock file; no dev dependencies.
 * - `package-lock.json`: the library's lock file cut down to those packages and what they need,
 *   so the image's `npm ci --omit=dev` installs the versions the library was tested with.
 * - `Dockerfile` and `.dockerignore`.
 *
 *   npx tsx scripts/build-runtime-image.ts [output directory]   (default: dist/runtime-image)
 */
import * as fs from 'fs';
import * as path from 'path';
import { build } from 'esbuild';
import { RUNTIME_IMAGE } from '../constructs/sessions/runtime-image';

interface LockPackage {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  optional?: boolean;
  [key: string]: unknown;
}
interface Lock { name: string; version: string; lockfileVersion: number; requires?: boolean; packages: Record<string, LockPackage> }

/** npm's lookup: `name` as seen from the package installed at `from` (nested node_modules first). */
function resolveInLock(lock: Lock, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
    const key = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (lock.packages[key]) return key;
    if (dir === '') return undefined;
  }
}

/** The lock's entries needed by `roots` (dependencies, required peers and optional ones present in the lock). */
function closure(lock: Lock, roots: string[]): Set<string> {
  const keep = new Set<string>();
  const queue = roots.map((name) => {
    const key = resolveInLock(lock, '', name);
    if (!key) throw new Error(`${name} is not in package-lock.json`);
    return key;
  });
  while (queue.length > 0) {
    const key = queue.pop()!;
    if (keep.has(key)) continue;
    keep.add(key);
    const p = lock.packages[key];
    const optionalPeers = new Set(Object.entries(p.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional).map(([n]) => n));
    const wanted = [
      ...Object.keys(p.dependencies ?? {}).map((n) => [n, true] as const),
      ...Object.keys(p.optionalDependencies ?? {}).map((n) => [n, false] as const),
      ...Object.keys(p.peerDependencies ?? {}).map((n) => [n, !optionalPeers.has(n)] as const),
    ];
    for (const [name, required] of wanted) {
      const found = resolveInLock(lock, key, name);
      if (found) queue.push(found);
      else if (required) throw new Error(`${key} needs ${name}, which package-lock.json does not hold`);
    }
  }
  return keep;
}

/** The bare package name of an import (`@scope/name/sub` → `@scope/name`). */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const out = path.resolve(process.argv[2] ?? path.join(root, RUNTIME_IMAGE.directory));
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });

  const result = await build({
    entryPoints: [path.join(root, RUNTIME_IMAGE.entryPoint)],
    outfile: path.join(out, 'main.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    packages: 'external',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
    absWorkingDir: root,
  });

  // The packages the bundle imports (static imports and the runtime's dynamic import of the ESM-only client).
  const imported = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const i of output.imports) if (i.external && !i.path.startsWith('node:') && !BUILTINS.has(packageName(i.path))) imported.add(packageName(i.path));
  }
  imported.add('@kubernetes/client-node'); // loaded with a real import() the bundler cannot see
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as Lock;
  const library = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
  const dependencies = Object.fromEntries([...imported].sort().map((name) => {
    const key = resolveInLock(lock, '', name);
    if (!key) throw new Error(`the runtime imports ${name}, which package-lock.json does not hold`);
    return [name, lock.packages[key].version!];
  }));
  const manifest = { name: `${library.name}-runtime`, version: library.version, private: true, license: library.license, description: 'The desktop session runtime (controller and sign-in broker) as the image runs it.', main: 'main.js', dependencies };
  fs.writeFileSync(path.join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const keep = closure(lock, Object.keys(dependencies));
  const packages: Record<string, LockPackage> = { '': { name: manifest.name, version: manifest.version, license: manifest.license, dependencies } };
  for (const key of [...keep].sort()) {
    const { dev, devOptional, peer, ...entry } = lock.packages[key];
    void dev; void devOptional; void peer; // flags of the library's tree; npm sets them again for this one
    packages[key] = entry;
  }
  fs.writeFileSync(path.join(out, 'package-lock.json'), `${JSON.stringify({ name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);

  fs.copyFileSync(path.join(root, RUNTIME_IMAGE.dockerfileSource), path.join(out, 'Dockerfile'));
  fs.writeFileSync(path.join(out, '.dockerignore'), ['*', ...RUNTIME_IMAGE.files.filter((f) => f !== '.dockerignore').map((f) => `!${f}`)].join('\n') + '\n');
  const size = fs.statSync(path.join(out, 'main.js')).size;
  // stderr: `npm pack --json` prints its JSON on stdout after the prepack build
  process.stderr.write(`${path.relative(root, out)}: main.js ${(size / 1024).toFixed(0)} KiB, ${Object.keys(dependencies).length} dependencies, ${keep.size} locked packages\n`);
}

const BUILTINS = new Set(require('module').builtinModules as string[]);

main().catch((error) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});

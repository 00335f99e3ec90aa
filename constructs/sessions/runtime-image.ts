import * as fs from 'fs';
import * as path from 'path';

/**
 * Where the session runtime's image is built from. One module owns the layout, used by
 * `DesktopSessionService` (at synth) and by `scripts/build-runtime-image.ts` (at `npm run build`).
 *
 * - From the repository (ts-jest, tsx, the reference app): the package root is the build
 *   context and `constructs/sessions/Dockerfile` bundles the runtime from the TypeScript sources
 *   inside Docker, so an image never comes from a stale `dist/`.
 * - From an installed package (no sources): `dist/runtime-image/` is the whole context, written by
 *   `npm run build`: the Dockerfile, the runtime bundled into one `main.js` (our code only; npm
 *   dependencies stay external), and a `package.json` + `package-lock.json` naming exactly the
 *   packages the bundle imports, at the versions of the library's own lock file.
 */
export const RUNTIME_IMAGE = {
  /** The prebuilt context, relative to the package root. */
  directory: path.join('dist', 'runtime-image'),
  /** The files in it (the asset takes these and nothing else). */
  files: ['Dockerfile', '.dockerignore', 'package.json', 'package-lock.json', 'main.js'],
  /** The Dockerfile of the prebuilt context, in the repository. */
  dockerfileSource: path.join('constructs', 'sessions', 'runtime-image.Dockerfile'),
  /** The Dockerfile that builds from the repository's sources. */
  sourceDockerfile: path.join('constructs', 'sessions', 'Dockerfile'),
  /** The runtime's entry point in the repository. */
  entryPoint: path.join('constructs', 'sessions', 'runtime', 'main.ts'),
} as const;

/** The package's name, to find its root from wherever this file was loaded (sources, dist/, a bundle). */
const PACKAGE_NAME = 'eks-windows-desktops';

/** A Docker build context for `DockerImageAsset`. */
export interface RuntimeImageContext {
  readonly directory: string;
  readonly file: string;
  /** `.dockerignore`-style patterns: everything but what the Dockerfile copies. */
  readonly exclude: string[];
  readonly from: 'sources' | 'package';
}

/** The directory above `start` holding this package's package.json, if any. */
export function findPackageRoot(start: string = __dirname): string | undefined {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // not a readable manifest: keep looking above
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The build context of the runtime image, or undefined when neither the sources nor the prebuilt context is there. */
export function runtimeImageContext(start: string = __dirname): RuntimeImageContext | undefined {
  const root = findPackageRoot(start);
  if (root === undefined) return undefined;
  if (fs.existsSync(path.join(root, RUNTIME_IMAGE.sourceDockerfile)) && fs.existsSync(path.join(root, RUNTIME_IMAGE.entryPoint))) {
    return {
      directory: root,
      file: RUNTIME_IMAGE.sourceDockerfile,
      // Only what the Dockerfile copies, so the asset hash changes only with the runtime's sources.
      exclude: ['*', '!package.json', '!package-lock.json', '!tsconfig.json', '!constructs', '!lib', '!scripts',
        'scripts/*', '!scripts/build-runtime-image.ts', '**/*.js', '**/*.d.ts', '**/*.map', '**/*.check'],
      from: 'sources',
    };
  }
  const prebuilt = path.join(root, RUNTIME_IMAGE.directory);
  if (fs.existsSync(path.join(prebuilt, 'Dockerfile'))) {
    return { directory: prebuilt, file: 'Dockerfile', exclude: ['*', ...RUNTIME_IMAGE.files.map((f) => `!${f}`)], from: 'package' };
  }
  return undefined;
}

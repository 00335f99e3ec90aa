import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileSystem, IgnoreMode } from 'aws-cdk-lib';
import { DockerfileParser, Instruction } from 'dockerfile-ast';
import { RUNTIME_IMAGE, runtimeImageContext } from '../../constructs/sessions/runtime-image';
import { eventually, startApi } from './session-test-support';

/**
 * The session runtime's image. Docker does not run on the machines these tests run on, so the
 * image itself is never built here: these tests parse the Dockerfiles and check their
 * properties, and install and start the prebuilt context as the Dockerfile would (`npm ci
 * --omit=dev`, then `node main.js`), outside Docker.
 */

const ROOT = path.resolve(__dirname, '..', '..');
jest.setTimeout(240_000);

function stages(file: string): Instruction[][] {
  const instructions = DockerfileParser.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')).getInstructions();
  const result: Instruction[][] = [];
  for (const i of instructions) {
    if (i.getKeyword() === 'FROM') result.push([]);
    result[result.length - 1]?.push(i);
  }
  return result;
}
const args = (stage: Instruction[], keyword: string) => stage.filter((i) => i.getKeyword() === keyword).map((i) => i.getArgumentsContent() ?? '');

describe.each([RUNTIME_IMAGE.dockerfileSource, RUNTIME_IMAGE.sourceDockerfile])('%s', (file) => {
  const all = stages(file);
  const final = all[all.length - 1];

  test('every base image is an exact version tag (or a digest), never a floating one', () => {
    for (const stage of all) {
      const from = args(stage, 'FROM')[0].split(/\s+/)[0];
      expect(from).toMatch(/^node:\d+\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    }
  });

  test('the runtime stage runs as an unprivileged user, installs without dev dependencies or install scripts, and starts node in exec form', () => {
    const user = args(final, 'USER');
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^(0|root)(:|$)/);
    // USER comes after every RUN: nothing of the image runs as root after the install
    const keywords = final.map((i) => i.getKeyword());
    expect(keywords.lastIndexOf('RUN')).toBeLessThan(keywords.indexOf('USER'));
    const runs = args(final, 'RUN').join('\n');
    expect(runs).toMatch(/\bnpm ci\b[^\n]*--omit=dev/);
    expect(runs).toMatch(/--ignore-scripts/);
    expect(runs).not.toMatch(/\bnpm (install|i)\b/);
    expect(args(final, 'ADD')).toEqual([]);
    expect(JSON.parse(args(final, 'ENTRYPOINT')[0])).toEqual(['node', '/app/main.js']);
    expect(args(final, 'ENV')).toContain('NODE_ENV=production');
    expect(args(final, 'EXPOSE')).toEqual(['8080 9090']);
  });
});

test('the package\'s Dockerfile copies only files of the prebuilt context', () => {
  const [final] = stages(RUNTIME_IMAGE.dockerfileSource);
  const copied = args(final, 'COPY').flatMap((a) => a.split(/\s+/).slice(0, -1));
  expect(copied.length).toBeGreaterThan(0);
  for (const source of copied) expect(RUNTIME_IMAGE.files).toContain(source);
});

describe('finding the build context', () => {
  let work: string;
  beforeAll(() => { work = fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-context-')); });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('in the repository: the sources, with the source Dockerfile', () => {
    const context = runtimeImageContext(path.join(ROOT, 'constructs', 'sessions'));
    expect(context).toMatchObject({ from: 'sources', directory: ROOT, file: RUNTIME_IMAGE.sourceDockerfile });
    // and from the reference app's esbuild bundle in dist/app
    expect(runtimeImageContext(path.join(ROOT, 'dist', 'app'))).toMatchObject({ from: 'sources', directory: ROOT });
  });

  test('in an installed package (no sources): dist/runtime-image; nowhere: undefined', () => {
    const pkg = path.join(work, 'node_modules', 'eks-windows-desktops');
    fs.mkdirSync(path.join(pkg, 'dist', 'constructs', 'sessions'), { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'eks-windows-desktops' }));
    expect(runtimeImageContext(path.join(pkg, 'dist', 'constructs', 'sessions'))).toBeUndefined();
    fs.mkdirSync(path.join(pkg, RUNTIME_IMAGE.directory), { recursive: true });
    fs.writeFileSync(path.join(pkg, RUNTIME_IMAGE.directory, 'Dockerfile'), 'FROM scratch\n');
    expect(runtimeImageContext(path.join(pkg, 'dist', 'constructs', 'sessions'))).toEqual({
      from: 'package', directory: path.join(pkg, RUNTIME_IMAGE.directory), file: 'Dockerfile',
      exclude: ['*', ...RUNTIME_IMAGE.files.map((f) => `!${f}`)],
    });
    expect(runtimeImageContext(os.tmpdir())).toBeUndefined();
  });
});

describe('the prebuilt context (scripts/build-runtime-image.ts)', () => {
  let work: string;
  let context: string;
  let broker: ChildProcess | undefined;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-image-'));
    context = path.join(work, 'runtime-image');
    const built = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'scripts', 'build-runtime-image.ts'), context], { cwd: ROOT, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`build-runtime-image failed: ${built.stdout}${built.stderr}`);
  });
  afterAll(() => {
    broker?.kill('SIGKILL');
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('holds exactly the context files; its package.json pins what the bundle imports at the library\'s locked versions', () => {
    expect(fs.readdirSync(context).sort()).toEqual([...RUNTIME_IMAGE.files].sort());
    const manifest = JSON.parse(fs.readFileSync(path.join(context, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies?: unknown };
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    expect(manifest.devDependencies).toBeUndefined();
    expect(Object.keys(manifest.dependencies)).toEqual(expect.arrayContaining(['@kubernetes/client-node', 'aws-jwt-verify', 'pg', 'prom-client']));
    for (const [name, version] of Object.entries(manifest.dependencies)) expect(version).toBe(lock.packages[`node_modules/${name}`].version);
    expect(fs.readFileSync(path.join(context, 'Dockerfile'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, RUNTIME_IMAGE.dockerfileSource), 'utf8'));
  });

  test('installs with npm ci --omit=dev (no dev packages), starts as the broker, and its asset hash ignores node_modules', async () => {
    const fingerprint = () => FileSystem.fingerprint(context, { exclude: ['*', ...RUNTIME_IMAGE.files.map((f) => `!${f}`)], ignoreMode: IgnoreMode.DOCKER });
    const before = fingerprint();
    // WHEN installed as the Dockerfile does (from the npm cache the repository's own install filled)
    const install = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: context, encoding: 'utf8' });
    expect(install.stderr).not.toMatch(/npm error/);
    expect(install.status).toBe(0);
    for (const dev of ['typescript', 'jest', 'puppeteer-core', 'esbuild', 'aws-cdk']) expect(fs.existsSync(path.join(context, 'node_modules', dev))).toBe(false);
    expect(fingerprint()).toBe(before);

    // THEN `node main.js broker` starts against an API server (client-node loads through the bundle's import())
    const { server, url } = await startApi();
    try {
      const kubeconfig = path.join(work, 'kubeconfig.json');
      fs.writeFileSync(kubeconfig, JSON.stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': 'test',
        clusters: [{ name: 'test', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'test', user: { token: 'test-token' } }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
      }));
      fs.writeFileSync(path.join(work, 'json-key'), '00112233445566778899aabbccddeeff');
      const [port, metricsPort] = [18_000 + Math.floor(Math.random() * 1000), 19_000 + Math.floor(Math.random() * 1000)];
      let stderr = '';
      broker = spawn(process.execPath, ['main.js', 'broker'], {
        cwd: context,
        env: {
          PATH: process.env.PATH, KUBECONFIG: kubeconfig, SESSIONS_NAMESPACE: 'desktop-sessions', DESKTOP_CLASS: 'win11',
          GUACAMOLE_URL: 'https://desktops.example.com/guacamole/', JSON_AUTH_KEY_FILE: path.join(work, 'json-key'),
          ALB_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/desktops/0123456789abcdef',
          OIDC_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example', OIDC_CLIENT_ID: 'client',
          PORT: String(port), METRICS_PORT: String(metricsPort), BASE_PATH: '/portal',
        },
      });
      broker.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
      const ok = await eventually(async () => (await fetch(`http://127.0.0.1:${port}/portal/healthz`).catch(() => undefined))?.status === 200, 20_000, `the broker to listen (${stderr})`);
      expect(ok).toBe(true);
      expect((await fetch(`http://127.0.0.1:${port}/portal/events`)).status).toBe(401);
      expect(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).toContain('desktop_broker_event_streams');
      expect(stderr).toBe('');
    } finally {
      broker?.kill('SIGTERM');
      await server.stop();
    }
  });
});

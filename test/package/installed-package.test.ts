import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * The package as a user gets it: `npm pack`, then `npm install` of the tarball into a scratch
 * app shaped like `cdk init app --language typescript` (the CLI's own template files, its
 * `constructs` range, its NodeNext tsconfig), then the app's own `tsc` and an offline
 * `cdk synth`.
 *
 * Differences from a real `cdk init` app, to keep the install to the npm cache: aws-cdk-lib is
 * the version this repository pins (the cache holds its tarball after `npm ci`) rather than the
 * template's caret range, and the app's devDependencies are only TypeScript and Node's types
 * (no jest, no CLI: the CLI is this repository's). Ranges still resolve against the registry,
 * as they do for a user.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const ROOT_PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};
const INIT_TEMPLATE = path.join(ROOT, 'node_modules', 'aws-cdk', 'lib', 'init-templates', 'app', 'typescript');
const INIT_VERSIONS = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'aws-cdk', 'lib', 'init-templates', '.init-version.json'), 'utf8')) as Record<string, string>;

/** The prebuilt Docker context of the session runtime, as `npm pack` lists it. */
const RUNTIME_IMAGE_FILES = ['.dockerignore', 'Dockerfile', 'main.js', 'package-lock.json', 'package.json'].map((f) => `dist/runtime-image/${f}`);

/** Environment without AWS credentials: synthesis must not need an account. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[key];
  return env;
}

function run(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: offlineEnv(), maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd} (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

const APP_STACK = `import * as cdk from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { DesktopCluster, DesktopSessionService, GuacamoleGateway, WindowsRuntimeClasses, WindowsVersion } from 'eks-windows-desktops';

export class ScratchAppStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    const desktops = new DesktopCluster(this, 'Desktops', {
      clusterName: 'desktops',
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      systemNamespaces: ['guacamole', 'external-secrets', 'cert-manager', 'desktop-sessions'],
    });
    const karpenter = desktops.addKarpenter('Karpenter');
    karpenter.addWindowsNodePool('Windows2022', { windowsVersion: WindowsVersion.WINDOWS_2022 });
    new WindowsRuntimeClasses(this, 'RuntimeClasses', {
      cluster: desktops.cluster,
      windowsVersions: [WindowsVersion.WINDOWS_2022],
      kubernetesVersion: desktops.kubernetesVersion,
    });
    // Desktop sessions with no image given: built from the package's own runtime context.
    const gateway = new GuacamoleGateway(this, 'Gateway', {
      cluster: desktops.cluster,
      vpc: desktops.vpc,
      hostname: 'desktops.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
      ingressGroupName: 'desktops',
    });
    new DesktopSessionService(this, 'Sessions', {
      gateway,
      desktopClass: 'windows11',
      loadBalancerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/k8s-desktops-0123456789/0123456789abcdef',
    });
  }
}
`;

const APP_BIN = `#!/usr/bin/env node
import * as cdk from 'aws-cdk-lib/core';
import { ScratchAppStack } from '../lib/scratch-app-stack';

const app = new cdk.App();
new ScratchAppStack(app, 'ScratchAppStack', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: 'eu-west-1' },
});
`;

describe('the packed package in a cdk init app', () => {
  let work: string;
  let app: string;
  let tarballFiles: string[];
  let synth: SpawnSyncReturns<string>;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'package-test-'));

    // GIVEN the tarball `npm pack` makes (its prepack script builds dist/)
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT).stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const tarball = path.join(work, packed[0].filename);
    tarballFiles = packed[0].files.map((f) => f.path).sort();

    // AND an app made from the CLI's `cdk init app --language typescript` template
    app = path.join(work, 'scratch-app');
    fs.mkdirSync(path.join(app, 'bin'), { recursive: true });
    fs.mkdirSync(path.join(app, 'lib'));
    fs.copyFileSync(path.join(INIT_TEMPLATE, 'tsconfig.json'), path.join(app, 'tsconfig.json'));
    const template = JSON.parse(fs.readFileSync(path.join(INIT_TEMPLATE, 'package.json'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({
      ...template,
      name: 'scratch-app',
      bin: { 'scratch-app': 'bin/scratch-app.js' },
      dependencies: {
        'aws-cdk-lib': ROOT_PACKAGE.devDependencies['aws-cdk-lib'],
        'constructs': INIT_VERSIONS.constructs,
      },
      devDependencies: {
        '@types/node': ROOT_PACKAGE.devDependencies['@types/node'],
        'typescript': ROOT_PACKAGE.devDependencies.typescript,
      },
    }, null, 2));
    // cdk init writes the currently recommended feature flags into cdk.json; so does this app.
    const recommended = (require(path.join(ROOT, 'node_modules', 'aws-cdk-lib', 'cx-api')) as { CURRENTLY_RECOMMENDED_FLAGS: Record<string, unknown> }).CURRENTLY_RECOMMENDED_FLAGS;
    fs.writeFileSync(path.join(app, 'cdk.json'), JSON.stringify({ app: 'node bin/scratch-app.js', context: recommended }, null, 2));
    fs.writeFileSync(path.join(app, 'lib', 'scratch-app-stack.ts'), APP_STACK);
    fs.writeFileSync(path.join(app, 'bin', 'scratch-app.ts'), APP_BIN);

    // WHEN the user installs their app, then the tarball, builds with their tsc and synthesizes
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app);
    run(path.join(app, 'node_modules', '.bin', 'tsc'), [], app);
    synth = run(path.join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet'], app);
  }, 10 * 60 * 1000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('the tarball holds the compiled JavaScript, declarations, the runtime image context, README, LICENSE and nothing else', () => {
    const outside = tarballFiles.filter((f) => !/^dist\/(lib|constructs)\/.+\.(js|d\.ts)$/.test(f));
    expect(outside).toEqual(['LICENSE', 'README.md', ...RUNTIME_IMAGE_FILES, 'package.json']);
    expect(tarballFiles).toContain('dist/lib/index.js');
    expect(tarballFiles).toContain('dist/lib/index.d.ts');
    expect(tarballFiles).toContain('dist/lib/blueprints.d.ts');
    // The reference app, examples, tests and TypeScript sources stay out.
    expect(tarballFiles.filter((f) => /^(bin|examples|test|scripts)\/|(?<!\.d)\.ts$/.test(f))).toEqual([]);
  });

  test('DesktopSessionService builds its image from the installed package: the asset manifest points at dist/runtime-image with its Dockerfile', () => {
    const context = path.join(app, 'node_modules', ROOT_PACKAGE.name, 'dist', 'runtime-image');
    expect(fs.readdirSync(context).sort()).toEqual(RUNTIME_IMAGE_FILES.map((f) => path.basename(f)).sort());
    const manifest = JSON.parse(fs.readFileSync(path.join(app, 'cdk.out', 'ScratchAppStack.assets.json'), 'utf8')) as { dockerImages: Record<string, { source: { directory: string; dockerFile?: string } }> };
    const images = Object.values(manifest.dockerImages);
    expect(images).toHaveLength(1);
    const staged = path.join(app, 'cdk.out', images[0].source.directory);
    // The staged copy is the package's context file for file (nothing from node_modules or the app).
    expect(images[0].source.dockerFile ?? 'Dockerfile').toBe('Dockerfile');
    expect(fs.readdirSync(staged).sort()).toEqual(fs.readdirSync(context).sort());
    for (const f of fs.readdirSync(context)) expect(fs.readFileSync(path.join(staged, f)).equals(fs.readFileSync(path.join(context, f)))).toBe(true);
  });

  test('installs one copy of constructs and aws-cdk-lib, the app\'s, and no eks-blueprints', () => {
    const resolveFrom = (from: string, request: string) => require.resolve(request, { paths: [from] });
    const packageDir = path.join(app, 'node_modules', ROOT_PACKAGE.name);
    expect(resolveFrom(packageDir, 'constructs')).toBe(resolveFrom(app, 'constructs'));
    expect(resolveFrom(packageDir, 'aws-cdk-lib')).toBe(resolveFrom(app, 'aws-cdk-lib'));
    expect(fs.existsSync(path.join(app, 'node_modules', 'constructs', 'package.json'))).toBe(true);
    expect(fs.existsSync(path.join(packageDir, 'node_modules', 'constructs'))).toBe(false);
    expect(fs.existsSync(path.join(app, 'node_modules', '@aws-quickstart'))).toBe(false);
  });

  test('type-checks and synthesizes offline with no warnings', () => {
    const out = path.join(app, 'cdk.out', 'ScratchAppStack.template.json');
    const template = JSON.parse(fs.readFileSync(out, 'utf8')) as { Resources: Record<string, { Type: string; Properties?: { Manifest?: unknown } }> };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types).toContain('AWS::EKS::Cluster');
    expect(JSON.stringify(template)).toContain('windows-2022');
    expect(`${synth.stdout}${synth.stderr}`).not.toMatch(/warning|feature flags are not configured/i);
  });

  test('also type-checks under the older `cdk init` tsconfig (CommonJS, node10 resolution)', () => {
    // THEN no error: `main`/`types` serve resolvers that do not read `exports`
    run(path.join(app, 'node_modules', '.bin', 'tsc'), ['--noEmit', '--module', 'commonjs', '--moduleResolution', 'node10', '--ignoreDeprecations', '5.0'], app);
  });

  test('the blueprints entry point loads without eks-blueprints installed (it imports only its types)', () => {
    const result = run(process.execPath, ['-e', `
      const addOns = require('${ROOT_PACKAGE.name}/blueprints');
      console.log(Object.keys(addOns).sort().join(','));
    `], app);
    expect(result.stdout.trim()).toBe('PortainerAddOn,WindowsClusterSupportAddOn,WindowsKarpenterAddOn,WindowsRuntimeClassesAddOn');
  });

  test('declares its CDK libraries as peer dependency ranges, eks-blueprints as an optional one', () => {
    const installed = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', ROOT_PACKAGE.name, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
      bin?: unknown;
    };
    expect(Object.keys(installed.dependencies)).not.toEqual(expect.arrayContaining(['aws-cdk-lib']));
    for (const name of ['aws-cdk-lib', 'constructs', 'cdk8s']) {
      expect(installed.peerDependencies[name]).toMatch(/^\^\d+\.\d+\.\d+$/);
      expect(installed.dependencies[name]).toBeUndefined();
    }
    expect(installed.peerDependenciesMeta['@aws-quickstart/eks-blueprints']).toEqual({ optional: true });
    expect(installed.bin).toBeUndefined();
  });
});

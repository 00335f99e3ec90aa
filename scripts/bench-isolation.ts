/**
 * Benchmark of per-user isolation at scale (examples/isolation, one VM desktop and one host per
 * user from a shared pool): 10, 100 and 1,000 users through CloudFormation and 5,000 through
 * GitOps, with wall time, peak RSS and the sizes that decide whether CloudFormation accepts the
 * result. Each target synthesizes in a fresh process (TypeScript loaded with tsx).
 *
 *   npm run bench:isolation              # 3 runs for 10 and 100 users, 1 for 1,000 and 5,000
 *   npm run bench:isolation -- --runs 5
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;

const CONTEXT = (JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

// The child synthesizes into CDK_OUTDIR (a temporary directory the parent removes) and prints
// its own peak RSS. For the isolation targets it also reads back what it wrote: template bytes
// and resources (parent and nested stacks), the largest kubectl custom resource request (an
// update carries old and new properties, plus an envelope of ids and a presigned URL, counted
// as 4,096 bytes) and, for GitOps, the files and the largest shard.
const CHILD = `
const start = process.hrtime.bigint();
require('tsx/cjs');
require(process.argv[1]);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
const rssKb = process.resourceUsage().maxRSS;
const fs = require('fs');
const path = require('path');
const out = process.env.CDK_OUTDIR;
const sizes = { templates: 0, templateBytes: 0, maxTemplateBytes: 0, maxResources: 0, manifests: 0, maxRequestBytes: 0, gitOpsFiles: 0, maxShardObjects: 0 };
for (const file of fs.readdirSync(out).filter((f) => f.endsWith('.template.json'))) {
  const text = fs.readFileSync(path.join(out, file), 'utf8');
  const resources = Object.values(JSON.parse(text).Resources || {});
  sizes.templates++;
  sizes.templateBytes += Buffer.byteLength(text);
  sizes.maxTemplateBytes = Math.max(sizes.maxTemplateBytes, Buffer.byteLength(text));
  sizes.maxResources = Math.max(sizes.maxResources, resources.length);
  for (const r of resources.filter((r) => r.Type === 'Custom::AWSCDK-EKS-KubernetesResource')) {
    sizes.manifests++;
    sizes.maxRequestBytes = Math.max(sizes.maxRequestBytes, 2 * JSON.stringify(r.Properties).length + 4096);
  }
}
const shards = path.join(out, 'gitops', 'WindowsDesktopsIsolation-Users', 'shards');
if (fs.existsSync(shards)) {
  for (const dir of fs.readdirSync(shards)) {
    let objects = 0;
    for (const f of fs.readdirSync(path.join(shards, dir)).filter((f) => f !== 'kustomization.yaml')) {
      sizes.gitOpsFiles++;
      objects += fs.readFileSync(path.join(shards, dir, f), 'utf8').split(/^---$/m).length;
    }
    sizes.maxShardObjects = Math.max(sizes.maxShardObjects, objects);
  }
}
console.log(JSON.stringify({ ms, rssMb: rssKb / 1024, sizes }));
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface Sample {
  ms: number;
  rssMb: number;
  sizes: { templates: number; templateBytes: number; maxTemplateBytes: number; maxResources: number; manifests: number; maxRequestBytes: number; gitOpsFiles: number; maxShardObjects: number };
}

function run(entry: string, context: Record<string, unknown>, runs: number): Sample[] {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    const result = spawnSync(process.execPath, ['-e', CHILD, path.join(ROOT, entry)], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      // What the CDK CLI hands the app: cdk.json's context and an output directory.
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
    });
    fs.rmSync(outdir, { recursive: true, force: true });
    if (result.status !== 0) {
      console.error(result.stderr);
      process.exit(1);
    }
    const line = result.stdout.trim().split('\n').pop() ?? '{}';
    samples.push(JSON.parse(line) as Sample);
  }
  return samples;
}

console.log(`node ${process.version}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${RUNS} runs (1 for 1,000 users and more)\n`);
// Per-user isolation at scale: one run each for 1,000+ users (they take tens of seconds).
const USER_TARGETS: Array<{ users: number; delivery: 'cloudformation' | 'gitops' }> = [
  { users: 10, delivery: 'cloudformation' },
  { users: 100, delivery: 'cloudformation' },
  { users: 1000, delivery: 'cloudformation' },
  { users: 5000, delivery: 'gitops' },
];
const kb = (bytes: number) => `${(bytes / 1000).toFixed(0)} kB`;
console.log('| users (delivery) | wall time | peak RSS | templates (total bytes) | largest template | most resources | kubectl manifests | largest request | GitOps files (largest shard) |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const target of USER_TARGETS) {
  const runs = target.users >= 1000 ? 1 : RUNS;
  const samples = run('examples/isolation/app.ts', { ...CONTEXT, 'isolation:users': target.users, 'isolation:delivery': target.delivery }, runs);
  const s = samples[0].sizes;
  const gitOps = s.gitOpsFiles > 0 ? `${s.gitOpsFiles} (${s.maxShardObjects} objects)` : '-';
  console.log(`| ${target.users} (${target.delivery}) | ${(median(samples.map((x) => x.ms)) / 1000).toFixed(1)} s | ${Math.max(...samples.map((x) => x.rssMb)).toFixed(0)} MiB | ${s.templates} (${kb(s.templateBytes)}) | ${kb(s.maxTemplateBytes)} | ${s.maxResources} | ${s.manifests} | ${kb(s.maxRequestBytes)} | ${gitOps} |`);
}

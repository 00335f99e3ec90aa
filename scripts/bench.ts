/**
 * Benchmark: wall time and peak memory of synthesizing the reference stack (and each example),
 * in a fresh process per run so module loading is counted as a user sees it.
 *
 *   npm run bench              # 3 runs each
 *   npm run bench -- --runs 5
 *
 * Measured with GNU time's max RSS where available, else Node's process.resourceUsage().
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;

const CONTEXT = (JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

const TARGETS: Array<{ name: string; entry: string }> = [
  { name: 'reference stack (bin/app.ts)', entry: 'bin/app.ts' },
  { name: 'examples/quick-start', entry: 'examples/quick-start/app.ts' },
  { name: 'examples/existing-cluster', entry: 'examples/existing-cluster/app.ts' },
  { name: 'examples/eks-blueprints', entry: 'examples/eks-blueprints/app.ts' },
  { name: 'examples/node-desktops', entry: 'examples/node-desktops/app.ts' },
];

// The child synthesizes into CDK_OUTDIR (a temporary directory the parent removes) and prints
// its own peak RSS.
const CHILD = `
const start = process.hrtime.bigint();
require('ts-node').register({ transpileOnly: true });
require(process.argv[1]);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
const rssKb = process.resourceUsage().maxRSS;
console.log(JSON.stringify({ ms, rssMb: rssKb / 1024 }));
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

console.log(`node ${process.version}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${RUNS} runs each\n`);
console.log('| target | median wall time | peak RSS |');
console.log('| --- | --- | --- |');
for (const target of TARGETS) {
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    const result = spawnSync(process.execPath, ['-e', CHILD, path.join(ROOT, target.entry)], {
      cwd: ROOT,
      encoding: 'utf8',
      // What the CDK CLI hands the app: cdk.json's context and an output directory.
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(CONTEXT), CDK_OUTDIR: outdir },
    });
    fs.rmSync(outdir, { recursive: true, force: true });
    if (result.status !== 0) {
      console.error(result.stderr);
      process.exit(1);
    }
    const line = result.stdout.trim().split('\n').pop() ?? '{}';
    const sample = JSON.parse(line) as { ms: number; rssMb: number };
    times.push(sample.ms);
    rss.push(sample.rssMb);
  }
  console.log(`| ${target.name} | ${(median(times) / 1000).toFixed(2)} s | ${Math.max(...rss).toFixed(0)} MiB |`);
}

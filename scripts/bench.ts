/**
 * Benchmark.
 *
 * 1. The README's command, `npx cdk synth --quiet`, on the reference app, in paired runs on
 *    this machine: the app as this repository runs it (cdk.json: bundled with esbuild, run as
 *    JavaScript) against the app as it ran before 0.2.0 (`npx ts-node --transpile-only
 *    bin/app.ts`, no build step). Each pair runs back to back, alternating which goes first,
 *    after one unmeasured warm-up of each, so both see the same machine load.
 * 2. Wall time and peak memory of synthesizing the reference stack and each example in a fresh
 *    process (TypeScript loaded with tsx), so module loading is counted as a user sees it.
 *
 *   npm run bench              # 5 pairs, 3 runs per target
 *   npm run bench -- --runs 7
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

const CDK_JSON = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
const CONTEXT = CDK_JSON.context;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Runs `npx cdk synth --quiet` in `cwd` (whose cdk.json says how to run the app); milliseconds. */
function timeCdkSynth(cwd: string, outdir: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', outdir], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(`npx cdk synth failed in ${cwd}:\n${result.stderr}`);
  }
  return ms;
}

function benchCdkSynth(): void {
  // The baseline project: the same sources and context, run the way cdk.json ran them before.
  // It lives inside the repository so that `npx` finds the local CLI and ts-node.
  const scratch = fs.mkdtempSync(path.join(ROOT, '.bench-'));
  try {
    const baseline = path.join(scratch, 'baseline');
    fs.mkdirSync(baseline);
    fs.writeFileSync(path.join(baseline, 'cdk.json'), JSON.stringify({
      app: `npx ts-node --transpile-only ${path.join(ROOT, 'bin', 'app.ts')}`,
      context: CONTEXT,
    }));
    const variants = [
      { name: 'before: npx ts-node --transpile-only bin/app.ts', cwd: baseline, times: [] as number[] },
      { name: 'now: esbuild bundle (cdk.json "build"), node dist/app/app.js', cwd: ROOT, times: [] as number[] },
    ];
    for (const v of variants) timeCdkSynth(v.cwd, path.join(scratch, 'warm-up'));
    for (let i = 0; i < RUNS; i++) {
      const order = i % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) v.times.push(timeCdkSynth(v.cwd, path.join(scratch, `out-${i}`)));
    }
    console.log(`\`npx cdk synth --quiet\` of the reference app, ${RUNS} paired runs:\n`);
    console.log('| app command | median | runs (s) |');
    console.log('| --- | --- | --- |');
    for (const v of variants) {
      console.log(`| ${v.name} | ${(median(v.times) / 1000).toFixed(2)} s | ${v.times.map((t) => (t / 1000).toFixed(2)).join(', ')} |`);
    }
    const ratios = variants[0].times.map((t, i) => t / variants[1].times[i]);
    console.log(`\nspeed-up: ${(median(variants[0].times) / median(variants[1].times)).toFixed(2)}x of medians; per pair ${ratios.map((r) => r.toFixed(2)).join(', ')}\n`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

const TARGETS: Array<{ name: string; entry: string }> = [
  { name: 'reference stack (bin/app.ts)', entry: 'bin/app.ts' },
  { name: 'examples/quick-start', entry: 'examples/quick-start/app.ts' },
  { name: 'examples/existing-cluster', entry: 'examples/existing-cluster/app.ts' },
  { name: 'examples/eks-blueprints', entry: 'examples/eks-blueprints/app.ts' },
  { name: 'examples/node-desktops', entry: 'examples/node-desktops/app.ts' },
];

// The child synthesizes into CDK_OUTDIR (a temporary directory the parent removes) and prints
// its own peak RSS. tsx resolves the examples' `eks-windows-desktops` imports through the
// tsconfig's `paths`.
const CHILD = `
const start = process.hrtime.bigint();
require('tsx/cjs');
require(process.argv[1]);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
const rssKb = process.resourceUsage().maxRSS;
console.log(JSON.stringify({ ms, rssMb: rssKb / 1024 }));
`;

function benchTargets(): void {
  const runs = Math.max(1, Math.min(RUNS, 3));
  console.log(`In-process synthesis (fresh process each, ${runs} runs):\n`);
  console.log('| target | median wall time | peak RSS | template size |');
  console.log('| --- | --- | --- | --- |');
  for (const target of TARGETS) {
    const times: number[] = [];
    const rss: number[] = [];
    let templateBytes = 0;
    for (let i = 0; i < runs; i++) {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
      const result = spawnSync(process.execPath, ['-e', CHILD, path.join(ROOT, target.entry)], {
        cwd: ROOT,
        encoding: 'utf8',
        // What the CDK CLI hands the app: cdk.json's context and an output directory.
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(CONTEXT), CDK_OUTDIR: outdir },
      });
      templateBytes = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'))
        .reduce((sum, f) => sum + fs.statSync(path.join(outdir, f)).size, 0);
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
    console.log(`| ${target.name} | ${(median(times) / 1000).toFixed(2)} s | ${Math.max(...rss).toFixed(0)} MiB | ${(templateBytes / 1024).toFixed(0)} kB |`);
  }
}

console.log(`node ${process.version}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${os.loadavg()[0].toFixed(1)}\n`);
benchCdkSynth();
benchTargets();

// npm run experiment -- --out DIR [--game cleanup] [--models a2c,influence-moa] [--seeds 3] [--steps N] [--parallel K] [-- train flags]
// Trains every model with several seeds (dist/cli.js train, K runs at a time, each resumed if it exists), then
// writes into DIR: runs/ (one run directory per model and seed), RESULTS.md (the final metrics per model with
// their 95% confidence interval and number of seeds, from `commons compare`, and the machine they were
// measured on) and curves.png/.svg (from `commons plot`). Nothing outside DIR is written. Flags after a lone
// `--` go to every `commons train` (e.g. -- --episode-length 200 --lr 0.001).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { availableParallelism, cpus, totalmem, type as osType, release } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const argv = process.argv.slice(2);
const split = argv.indexOf('--');
const trainFlags = split < 0 ? [] : argv.slice(split + 1);
const fail = (msg) => { console.error(`experiment: ${msg}`); process.exit(2); };
let values;
try {
  ({ values } = parseArgs({
    args: split < 0 ? argv : argv.slice(0, split),
    options: {
      game: { type: 'string', default: 'cleanup' }, models: { type: 'string', default: 'a2c,influence-moa' },
      seeds: { type: 'string', default: '3' }, steps: { type: 'string', default: '100000' },
      parallel: { type: 'string', default: String(availableParallelism()) },
      out: { type: 'string' }, envs: { type: 'string', default: '16' }, agents: { type: 'string', default: '5' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (e) {
  fail(e.message);
}
if (values.help) {
  console.log('npm run experiment -- --out DIR [--game cleanup] [--models a2c,influence-moa] [--seeds 3] [--steps 100000] [--envs 16] [--agents 5] [--parallel CORES] [-- commons train flags]');
  process.exit(0);
}
if (!values.out) fail('--out is required: the results directory to write (runs, RESULTS.md, curves), e.g. --out results/cleanup-1');
const out = resolve(values.out);
const models = values.models.split(',').map((s) => s.trim()).filter(Boolean);
const seeds = Number(values.seeds), parallel = Number(values.parallel);
for (const [k, v] of [['seeds', seeds], ['parallel', parallel], ['steps', Number(values.steps)]]) {
  if (!Number.isInteger(v) || v < 1) fail(`--${k}: expected a positive integer, got '${values[k]}'`);
}
if (!existsSync(cli)) fail(`${cli} is missing: run npm run build first`);
const jobs = [];
for (const model of models) for (let s = 0; s < seeds; s++) jobs.push({ model, seed: s, dir: join(out, 'runs', `${values.game}-${model}-s${s}`) });
mkdirSync(join(out, 'runs'), { recursive: true });

const t0 = Date.now();
async function runJob(job) {
  if (existsSync(join(job.dir, 'summary.json'))) { console.log(`skip ${job.dir}: already finished`); return; }
  const args = existsSync(join(job.dir, 'config.json'))
    ? ['train', '--resume', job.dir]
    : ['train', '--game', values.game, '--model', job.model, '--agents', values.agents, '--envs', values.envs, '--steps', values.steps,
      '--seed', String(job.seed), '--name', `${values.game}-${job.model}-s${job.seed}`, '--tag', 'experiment', ...trainFlags, '--out', job.dir];
  await new Promise((resolvePromise, reject) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.on('data', (d) => { for (const line of String(d).split('\n')) if (/^(report|done|stopped)/.test(line)) console.log(`[${job.model} s${job.seed}] ${line}`); });
    p.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`${job.dir}: commons train exited with status ${code}${code >= 128 ? ' (stopped; run the same command again to continue)' : ''}`))));
  });
}
const queue = [...jobs];
try {
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, async () => { while (queue.length) await runJob(queue.shift()); }));
} catch (e) {
  console.error(`experiment: ${e.message}`);
  process.exit(1);
}
const minutes = (Date.now() - t0) / 60000;

const cmd = (args) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) { console.error(r.stderr); process.exit(1); }
  return r.stdout;
};
const metrics = ['collective_return', 'equality', 'sustainability', 'apples_eaten', 'clean_actions'];
const cmp = JSON.parse(cmd(['compare', ...jobs.map((j) => j.dir), '--group-by', 'model', '--metrics', metrics.join(','), '--json']));
const cell = (s) => (s === null ? 'n/a' : `${s.mean.toFixed(Math.abs(s.mean) < 10 ? 3 : 1)} ± ${s.ci === null ? 'n/a' : s.ci.toFixed(Math.abs(s.mean) < 10 ? 3 : 1)} (${s.n})`);
const rows = cmp.groups.map((g) => `| ${g.label} | ${metrics.map((m) => cell(g.metrics[m])).join(' | ')} |`);
cmd(['plot', ...jobs.map((j) => j.dir), '--group-by', 'model', '--band', 'ci', '--out', join(out, 'curves.png'), '--title', `${values.game}: collective return, ${values.steps} env steps`]);
const version = cmd(['--version']).trim();
const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU';
const machine = `${cpu}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${osType()} ${release()}, Node ${process.version}`;
const command = `npm run experiment -- ${argv.join(' ')}`;
writeFileSync(join(out, 'RESULTS.md'), `# Results

Command: \`${command}\`, ${new Date().toISOString().slice(0, 10)}, ${version}.
Machine: ${machine}; ${Math.min(parallel, jobs.length)} run(s) at a time, ${minutes.toFixed(1)} minutes of wall time for this invocation.
Settings: ${values.agents} agents, ${values.envs} envs, ${values.steps} env steps per run${trainFlags.length ? `, train flags \`${trainFlags.join(' ')}\`` : ''}.

Each run's final value is its mean over the metrics lines of its last 10% of env steps; each cell is the mean over seeds ±
the half-width of the 95% Student t confidence interval, with the number of seeds in brackets (\`commons compare\`).

| model | ${metrics.join(' | ')} |
|---|${metrics.map(() => '---').join('|')}|
${rows.join('\n')}

![curves](curves.png)

Runs: \`runs/\` beside this file (config.json, metrics.jsonl, checkpoints, summary.json each).
`);
console.log(`wrote ${join(out, 'RESULTS.md')} and ${join(out, 'curves.png')} (${minutes.toFixed(1)} min)`);

// npm run experiment -- --game cleanup --models a2c,influence-moa --seeds 3 --steps N [--parallel 2] [--out runs/experiment]
// Trains every model with several seeds (dist/cli.js train, `--parallel` runs at a time), then writes a
// table of the final collective return (mean and min..max over seeds), equality and sustainability, and
// the learning curves, into docs/RESULTS.md and docs/results-curves.png.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const { values } = parseArgs({
  options: {
    game: { type: 'string', default: 'cleanup' }, models: { type: 'string', default: 'a2c,influence-moa' },
    seeds: { type: 'string', default: '3' }, steps: { type: 'string', default: '100000' }, parallel: { type: 'string', default: '2' },
    out: { type: 'string', default: 'runs/experiment' }, envs: { type: 'string', default: '16' }, agents: { type: 'string', default: '5' },
  },
});
const models = values.models.split(',');
const seeds = Number(values.seeds), parallel = Number(values.parallel);
for (const [k, v] of [['seeds', seeds], ['parallel', parallel], ['steps', Number(values.steps)]]) {
  if (!Number.isInteger(v) || v < 1) { console.error(`experiment: --${k} must be a positive integer`); process.exit(2); }
}
const jobs = [];
for (const model of models) for (let s = 0; s < seeds; s++) jobs.push({ model, seed: s, dir: join(values.out, `${values.game}-${model}-s${s}`) });
mkdirSync(join(root, values.out), { recursive: true });

const t0 = Date.now();
async function runJob(job) {
  if (existsSync(join(root, job.dir, 'summary.json'))) { console.log(`skip ${job.dir}: already finished`); return; }
  const args = existsSync(join(root, job.dir, 'config.json'))
    ? ['train', '--resume', job.dir]
    : ['train', '--game', values.game, '--model', job.model, '--agents', values.agents, '--envs', values.envs, '--steps', values.steps, '--seed', String(job.seed), '--out', job.dir];
  await new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.on('data', (d) => { for (const line of String(d).split('\n')) if (/^(report|done|stopped)/.test(line)) console.log(`[${job.model} s${job.seed}] ${line}`); });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${job.dir} exited with ${code}`))));
  });
}
const queue = [...jobs];
await Promise.all(Array.from({ length: parallel }, async () => { while (queue.length) await runJob(queue.shift()); }));
const minutes = ((Date.now() - t0) / 60000).toFixed(1);
const timingNote = jobs.every((j) => existsSync(join(root, j.dir, 'summary.json')))
  ? jobs.map((j) => JSON.parse(readFileSync(join(root, j.dir, 'summary.json'), 'utf8')).seconds).reduce((a, b) => a + b, 0) / 60
  : NaN;

const lastWithEpisodes = (dir) => readFileSync(join(root, dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.episodes > 0).at(-1);
const fmt = (xs) => {
  const ys = xs.filter((x) => x !== null && x !== undefined);
  if (!ys.length) return 'n/a';
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  const d = Math.max(...ys.map(Math.abs)) < 10 ? 3 : 1;
  return `${mean.toFixed(d)} (${Math.min(...ys).toFixed(d)} .. ${Math.max(...ys).toFixed(d)})${ys.length < xs.length ? ` [${ys.length} of ${xs.length} seeds defined]` : ''}`;
};
const rows = models.map((model) => {
  const last = jobs.filter((j) => j.model === model).map((j) => lastWithEpisodes(j.dir));
  return `| ${model} | ${seeds} | ${fmt(last.map((r) => r.collective_return))} | ${fmt(last.map((r) => r.equality))} | ${fmt(last.map((r) => r.sustainability))} | ` +
    `${fmt(last.map((r) => r.apples_eaten))} | ${fmt(last.map((r) => r.clean_actions))} | ${fmt(last.map((r) => r.influence?.total ?? null))} | ${fmt(last.map((r) => r.moa?.accuracy ?? null))} |`;
});
spawnSync(process.execPath, [cli, 'plot', ...jobs.map((j) => j.dir), '--out', join('docs', 'results-curves.png'), '--title', `${values.game}: collective return, ${values.steps} env steps`], { cwd: root, stdio: 'inherit' });
const cmd = `npm run experiment -- --game ${values.game} --models ${values.models} --seeds ${seeds} --steps ${values.steps}`;
writeFileSync(join(root, 'docs', 'RESULTS.md'), `# Results: a first look at the paper's claim

Command: \`${cmd}\` (${values.agents} agents, ${values.envs} envs, 2 runs in parallel on the 2-core development
machine, ${timingNote.toFixed(1)} training-minutes in all, ${new Date().toISOString().slice(0, 10)}). Each figure is the last metrics line with finished
episodes (the mean over that wave of ${values.envs} episodes), as mean (min .. max) over seeds; apples, cleans
and influence are per episode of 1000 steps summed over agents, influence per env-step.

| model | seeds | collective return | equality | sustainability | apples eaten | clean actions | total influence (nats/step) | MOA accuracy |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

![curves](results-curves.png)

${process.env.RESULTS_NOTE ?? ''}
`);
console.log(`wrote docs/RESULTS.md and docs/results-curves.png (${minutes} min)`);

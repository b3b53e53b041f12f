// Worker scaling, in interleaved rounds so that the machine's drift hits every configuration alike. Each
// round runs, one after another:
//   1 thread        commons bench train --workers 0 --envs E            (the main thread, no workers)
//   W workers       commons bench train --workers W --envs W*E          (for each W: E envs per worker)
//   W processes     W independent `--workers 0 --envs E` processes started together, their rates summed:
//                   what W threads make here with no coordination at all (W = 1: the 1-thread figure)
// and, with --main-thread, W workers again with the gradients exchanged through the main thread
// (COMMONS_EXCHANGE=main-thread, the exchange before shared memory) for comparison.
// The figure of merit is W workers / W processes: how much of the machine's parallel throughput one
// synchronous data-parallel run gets. Prints each round, then median and range over rounds, and the load
// (uptime) before and after. "per CPU-s" ratios divide agent-steps by the CPU time the processes used
// (all threads) instead of wall time: what the coordination costs in work, apart from waiting, which is
// what a shared, loaded machine distorts most.
//
// Run: npm run bench:workers [-- --rounds 5 --envs 32 --workers 1,2 --updates 20 --main-thread]
// Default W: 1, 2, and the powers of 2 up to the machine's cores. Needs npm run build.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const args = process.argv.slice(2);
const flag = (k: string) => (args.includes(`--${k}`) ? args[args.indexOf(`--${k}`) + 1] : undefined);
const int = (k: string, d: number, min = 1) => {
  const v = flag(k);
  if (v === undefined) return d;
  if (!/^\d+$/.test(v) || Number(v) < min) { console.error(`--${k}: expected an integer >= ${min}, got '${v}'`); process.exit(2); }
  return Number(v);
};
for (const a of args) {
  if (a.startsWith('--') && !['--rounds', '--envs', '--workers', '--updates', '--main-thread'].includes(a)) {
    console.error(`${a}: unknown flag; allowed: --rounds N, --envs E, --workers W1,W2,..., --updates N, --main-thread`);
    process.exit(2);
  }
}
const cores = availableParallelism();
const rounds = int('rounds', 5), E = int('envs', 32), updates = int('updates', 20);
const defaultW = [1, 2, ...[4, 8, 16, 32, 64].filter((w) => w <= cores)];
const Ws = (flag('workers') ?? defaultW.join(',')).split(',').map((s) => {
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 64) { console.error(`--workers: expected integers from 1 to 64, got '${s}'`); process.exit(2); }
  return Number(s);
});
const mainThread = args.includes('--main-thread');
if (!existsSync(CLI)) { console.error(`${CLI} is missing: run npm run build`); process.exit(1); }

const uptime = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

interface Rate { rate: number; agentSteps: number; cpu: number }

/** agent-steps/s of one `commons bench train` process, with the agent-steps and CPU seconds behind it. */
function rate(envs: number, workers: number, env: Record<string, string> = {}): Promise<Rate> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'bench', 'train', '--game', 'cleanup', '--model', 'a2c', '--agents', '5',
      '--envs', String(envs), '--workers', String(workers), '--updates', String(updates), '--json'], { env: { ...process.env, ...env } });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench train --workers ${workers} --envs ${envs}: exit ${code}\n${err}`));
      const j = JSON.parse(out.trim().split('\n').at(-1)!);
      resolve({ rate: j.agent_steps_per_s, agentSteps: j.env_steps * j.agents, cpu: j.cpu_seconds });
    });
  });
}

type Row = Record<string, number>;
const rows: Row[] = [];
const name = (w: number) => `${w} worker${w > 1 ? 's' : ''}`;
const cols: string[] = ['1 thread'];
for (const w of Ws) {
  cols.push(name(w));
  if (mainThread && w > 1) cols.push(`${w} workers (main-thread exchange)`);
  if (w > 1) cols.push(`${w} processes`);
}
const ratio = (w: number) => `${name(w)} / ${w === 1 ? '1 thread' : `${w} processes`}`;
const cpuRatio = (w: number) => `per CPU-s: ${ratio(w)}`;
const mainRatio = (w: number) => `${w} workers (main-thread) / ${w} processes`;
const cpuMainRatio = (w: number) => `per CPU-s: ${mainRatio(w)}`;
const ratios = [...Ws.map(ratio), ...(mainThread ? Ws.filter((w) => w > 1).map(mainRatio) : []), ...Ws.map(cpuRatio),
  ...(mainThread ? Ws.filter((w) => w > 1).map(cpuMainRatio) : [])];
const perCpu = (rs: Rate[]) => rs.reduce((a, r) => a + r.agentSteps, 0) / rs.reduce((a, r) => a + r.cpu, 0);

const load0 = uptime();
console.log(`${new Date().toISOString()}; ${cpus()[0]?.model ?? 'cpu'}, ${cores} cores; Node ${process.version}; load before: ${load0}`);
console.log(`Cleanup, A2C, 5 agents, ${E} envs per thread, ${updates} updates timed after 3 warm-ups; agent-steps/s\n`);
console.log(`| round | ${cols.join(' | ')} | ${ratios.join(' | ')} |`);
console.log(`|---|${cols.map(() => '---').join('|')}|${ratios.map(() => '---').join('|')}|`);
for (let r = 1; r <= rounds; r++) {
  const row: Row = {};
  const one = await rate(E, 0);
  row['1 thread'] = one.rate;
  for (const w of Ws) {
    const workers = await rate(w * E, w);
    row[name(w)] = workers.rate;
    const main = mainThread && w > 1 ? await rate(w * E, w, { COMMONS_EXCHANGE: 'main-thread' }) : undefined;
    if (main) row[`${w} workers (main-thread exchange)`] = main.rate;
    const procs = w === 1 ? [one] : await Promise.all(Array.from({ length: w }, () => rate(E, 0)));
    const sum = procs.reduce((a, x) => a + x.rate, 0);
    if (w > 1) row[`${w} processes`] = sum;
    row[ratio(w)] = workers.rate / sum;
    row[cpuRatio(w)] = perCpu([workers]) / perCpu(procs);
    if (main) {
      row[mainRatio(w)] = main.rate / sum;
      row[cpuMainRatio(w)] = perCpu([main]) / perCpu(procs);
    }
  }
  rows.push(row);
  const fmt = (k: string) => (ratios.includes(k) ? row[k].toFixed(3) : String(Math.round(row[k])));
  console.log(`| ${r} | ${[...cols, ...ratios].map(fmt).join(' | ')} |`);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
console.log(`\nload after: ${uptime()} (before: ${load0})\n`);
console.log('| configuration | median | range |\n|---|---|---|');
for (const k of [...cols, ...ratios]) {
  const xs = rows.map((row) => row[k]);
  const f = (x: number) => (ratios.includes(k) ? x.toFixed(3) : String(Math.round(x)));
  console.log(`| ${k} | ${f(median(xs))} | ${f(Math.min(...xs))}-${f(Math.max(...xs))} |`);
}

// commons sweep plan|run|submit|status|report: sweeps of training runs (docs/sweeps.md). The work lives in
// src/sweep/; this file parses flags and prints. The queue code (BullMQ, ioredis) is imported only by the
// subcommands that use it: every run's child process starts from the same bundle and need not load it.

import { availableParallelism } from 'node:os';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../util/errors.ts';
import { needOptional } from '../util/optional.ts';
import { invocation, warn, write } from './io.ts';
import { HelpRequested, helpText, type CommandSpec } from './args.ts';
import { parseFlags, intOf, required, onePositional } from '../sweep/flags.ts';
import { parsePairsSpec, planSweep, readSpec, type PairsSpec, type SweepPlan } from '../sweep/spec.ts';
import { readSweep, runState, writeSweep } from '../sweep/store.ts';
import { SweepProgress } from '../sweep/progress.ts';
import { runPool } from '../sweep/pool.ts';
import { formatStatus, sweepStatus, fmtDuration } from '../sweep/status.ts';
import { buildReport, followUpSpec, parseWindow, readReferences, reportMarkdown, writeReport, PAPER_REFERENCES } from '../sweep/report.ts';

export const SWEEP_HELP = `commons sweep plan SPEC [--json]
commons sweep run SPEC --out DIR [--jobs K]
commons sweep submit SPEC --queue redis://HOST:PORT --store DIR [--queue-name commons] [--retry-failed]
commons sweep status DIR [--queue redis://HOST:PORT] [--queue-name commons] [--json]
commons sweep report DIR [--baseline MODEL] [--window F|lastP] [--out DIR] [--reference paper|none|FILE]
                         [--rank METRIC [--top K] [--follow-up FILE [--seeds N]]] [--pairs A:B,... [--drop-below X]]
  Sweeps of training runs from a JSON spec (games, models, seeds, steps, config, grid, search; docs/sweeps.md).
  plan prints the runs. run trains them on this machine, K processes at a time (default: one per core);
  running it again continues (finished runs are skipped, stopped ones resume from their checkpoints).
  submit enqueues every run on Redis for \`commons worker\`s that share the store DIR (the sweep lives in
  DIR/NAME). status shows each run's state, steps, throughput and the ETA. report writes DIR/report/
  (Markdown, CSV, JSON, PNG): per game and model the final collective return and other social outcome
  metrics, mean over seeds with 99.5% Student-t intervals, and Welch's t-test against --baseline.`;

const SUB_HELP: Record<string, string> = {
  plan: `commons sweep plan SPEC [--json]
  Expands the spec into its runs and prints them (id, game, model, seed, env steps, grid settings);
  --json prints the planned runs with their resolved configurations. Checks every setting; trains nothing.`,
  run: `commons sweep run SPEC --out DIR [--jobs K]
  Trains every run of the spec on this machine, K child processes at a time (default ${availableParallelism()}, one per core),
  into DIR/runs/ID. Running the same command again continues the sweep: finished runs are skipped, stopped or
  crashed ones resume from their latest checkpoint. Ctrl-C (or SIGTERM) checkpoints every run and exits.`,
  submit: `commons sweep submit SPEC --queue redis://HOST:PORT --store DIR [--queue-name commons] [--retry-failed]
  Writes DIR/NAME/sweep.json and enqueues one job per run (submitting again adds only new runs; --retry-failed
  queues failed runs again). Start \`commons worker --queue ... --store DIR\` on every machine that mounts DIR.`,
  status: `commons sweep status DIR [--queue redis://HOST:PORT] [--queue-name commons] [--json]
  Each run's state (done, running, paused, pending, failed with its error), env steps, throughput, and the
  sweep's ETA, read from the sweep directory DIR; with --queue, each job's state and attempts too.`,
  report: `commons sweep report DIR [--baseline MODEL] [--window F|lastP] [--out DIR/report] [--reference paper|none|FILE]
                         [--rank METRIC [--top K] [--follow-up FILE [--seeds N]]] [--pairs A:B,... [--drop-below X]]
  Per game and model (and grid point or search sample): the final collective return, efficiency, equality,
  sustainability, peace and equality-weighted return R(1-G) of each finished run (mean over the last F of its
  env steps, or lastP: its last P percent; default the spec's report.window or 0.1), with the MOA's accuracy
  beside its most-frequent-action baseline and the correlation of influence received with return where the
  models measure them; mean over seeds with a 99.5% Student-t interval and the number of seeds; with
  --baseline, Welch's t-test of each against it. Prints the Markdown and writes report.md, report.csv,
  report.json and GAME-collective_return.png.
  --rank METRIC ranks the groups of each game and model by the metric's mean (a reported metric or any numeric
  field of metrics.jsonl, dotted: moa.accuracy) and lists the top K (default 5); --follow-up FILE then writes a
  sweep spec that re-runs those groups with N new seeds (default 5), to run with sweep run or submit.
  Beside ours, published numbers with their budget: by default the paper's Table 4 (--reference paper), saying
  what fraction of its budget ours is; --reference none leaves them out; --reference FILE reads them from
  { "cleanup": { "a2c": { "collective_return": X, "steps": N, "source": "..." } } }.
  Matched pairs (the spec's report.pairs, or --pairs A:B,C:D naming arms or groups): per game and pair, each
  seed's endpoint (default: collective return over the report's window), the difference of means A - B, a
  two-sided permutation test (exact when small enough), a 95% bootstrap interval, Holm over the pairs; the area
  under the curve, other windows and R(1-G) beside it; with and without the seed-dropping rule (report.drop, or
  --drop-below X: a run is dropped when an agent's mean return over the endpoint window is below X). Writes
  pairs.csv, seeds.csv, GAME-endpoint.png and GAME-pairs.png too.`,
};

/** The command's entry in `commons --help`; `commons sweep --help` prints its usage and every subcommand's. */
export const SWEEP: CommandSpec = {
  name: 'sweep',
  summary: 'sweeps of runs from a JSON spec: plan, run on this machine, submit to a Redis queue, status, report',
  usage: SWEEP_HELP.split('\n').filter((l) => l.startsWith('commons sweep')).map((l) => l.slice('commons '.length)),
  about: `${SWEEP_HELP.split('\n').filter((l) => !l.startsWith('commons sweep')).map((l) => l.trim()).join('\n')}

Each subcommand's flags: commons sweep SUBCOMMAND --help. Details: docs/sweeps.md.`,
  flags: {},
};

function help(sub: string | undefined): string {
  return sub && SUB_HELP[sub] ? SUB_HELP[sub] : helpText(SWEEP);
}

function planOf(specPath: string): SweepPlan {
  return planSweep(readSpec(specPath));
}

async function planCmd(argv: string[], out: (s: string) => void) {
  const { values, positionals } = parseFlags('sweep plan', argv, { json: { type: 'boolean' } });
  if (values.help) return out(help('plan'));
  const plan = planOf(onePositional(positionals, 'SPEC', 'commons sweep plan SPEC'));
  if (values.json) return out(JSON.stringify({ name: plan.spec.name, runs: plan.runs }, null, 2));
  const gridKeys = [...Object.keys(plan.spec.grid), ...Object.keys(plan.spec.search?.params ?? {})];
  const head = ['id', 'game', 'model', 'seed', 'env steps', ...gridKeys];
  const rows = plan.runs.map((r) => [r.id, r.game, r.model, String(r.seed), r.config.steps.toLocaleString('en-US'), ...gridKeys.map((k) => (k in r.point ? JSON.stringify(r.point[k]) : '-'))]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) out(r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd());
  const agentSteps = plan.runs.reduce((a, r) => a + r.config.steps * r.config.agents, 0);
  const { spec } = plan;
  const gridPoints = Object.values(spec.grid).reduce((a, v) => a * v.length, 1);
  const samples = spec.search?.samples;
  const full = spec.games.length * spec.models.length * gridPoints * (samples ?? 1) * spec.seeds.length;
  const groups = new Set(plan.runs.map((r) => r.group)).size;
  out(`sweep ${spec.name}: ${plan.runs.length} runs (${spec.games.length} game(s) x ${spec.models.length} model(s) x ` +
    `${gridPoints} grid point(s)${samples ? ` x ${samples} search sample(s)` : ''} x ${spec.seeds.length} seed(s)` +
    `${plan.runs.length < full ? `; ${groups} group(s) after ${spec.only ? 'keeping the groups spec.only names' : 'dropping samples a model would repeat'}` : ''}), ` +
    `${agentSteps.toLocaleString('en-US')} agent-steps in all`);
}

async function runCmd(argv: string[], out: (s: string) => void) {
  const { values, positionals } = parseFlags('sweep run', argv, { out: { type: 'string' }, jobs: { type: 'string' } });
  if (values.help) return out(help('run'));
  const spec = onePositional(positionals, 'SPEC', 'commons sweep run SPEC --out DIR');
  const dir = required('out', values.out, 'runs/my-sweep');
  const jobs = intOf('jobs', values.jobs, availableParallelism(), 1, 1024);
  const file = writeSweep(dir, planOf(spec));
  // Progress: a live line on a terminal, a line per checkpoint otherwise (src/sweep/progress.ts).
  const unfinished = file.runs.filter((r) => runState(dir, r).state !== 'done');
  const progress = new SweepProgress({
    title: `sweep ${file.name}`, live: Boolean(process.stdout.isTTY), write, columns: () => process.stdout.columns || 80,
    total: file.runs.length, finished: file.runs.length - unfinished.length, planned: new Map(unfinished.map((r) => [r.id, r.config.steps])),
  });
  const ac = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) process.exit(130);
    progress.log('stopping: every run saves a checkpoint (Ctrl-C again to quit at once; runs then stop on their own)');
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const r = await runPool(dir, file, { jobs, log: (line) => progress.log(line), watch: progress, signal: ac.signal }).finally(() => progress.close());
    const parts = [`${r.done.length + r.skipped} of ${file.runs.length} done`, `${r.failed.length} failed`];
    if (r.stopped.length) parts.push(`${r.stopped.length} stopped`);
    if (r.busy.length) parts.push(`${r.busy.length} held by other processes`);
    out(`sweep ${file.name}: ${parts.join(', ')} (${fmtDuration(r.seconds)})`);
    if (ac.signal.aborted || r.stopped.length) out(`continue with: ${invocation()} sweep run ${spec} --out ${dir}`);
    else if (r.failed.length === 0 && r.busy.length === 0) out(`report: ${invocation()} sweep report ${dir}`);
    if (r.failed.length) {
      throw Object.assign(new InputError(`${r.failed.length} run(s) failed: ${r.failed.map((f) => `${f.id} (${f.error})`).join('; ')}`), { exitCode: 1 });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function submitCmd(argv: string[], out: (s: string) => void) {
  const { values, positionals } = parseFlags('sweep submit', argv, {
    queue: { type: 'string' }, store: { type: 'string' }, 'queue-name': { type: 'string' }, 'retry-failed': { type: 'boolean' },
  });
  if (values.help) return out(help('submit'));
  const spec = onePositional(positionals, 'SPEC', 'commons sweep submit SPEC --queue redis://HOST:PORT --store DIR');
  const { checkRedisUrl, probeRedis, submitSweep, shownUrl, DEFAULT_QUEUE } = await needOptional('queue', 'the sweep queue', () => import('../sweep/queue.ts'));
  const url = checkRedisUrl(required('queue', values.queue, 'redis://127.0.0.1:6379'));
  const store = required('store', values.store, '/mnt/sweeps');
  const queueName = values['queue-name'] ?? DEFAULT_QUEUE;
  // Everything that can be checked here is checked before anything is written or enqueued.
  if (!existsSync(store) || !statSync(store).isDirectory()) throw new InputError(`--store: ${store} is not a directory (mount the shared store first)`);
  const plan = planOf(spec);
  await probeRedis(url);
  const dir = join(store, plan.spec.name);
  const file = writeSweep(dir, plan);
  const r = await submitSweep(url, queueName, file, { retryFailed: values['retry-failed'] });
  out(`sweep ${file.name}: ${r.added.length} run(s) enqueued, ${r.existing.length} already queued${r.retried.length ? `, ${r.retried.length} failed run(s) queued again` : ''} ` +
    `on ${shownUrl(url)} (queue ${queueName}); store ${resolve(dir)}`);
  const self = invocation();
  out(`workers: ${self} worker --queue ${shownUrl(url)} --store ${store}${queueName !== DEFAULT_QUEUE ? ` --queue-name ${queueName}` : ''}`);
  out(`progress: ${self} sweep status ${dir} --queue ${shownUrl(url)}`);
}

async function statusCmd(argv: string[], out: (s: string) => void) {
  const { values, positionals } = parseFlags('sweep status', argv, { queue: { type: 'string' }, 'queue-name': { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) return out(help('status'));
  const dir = onePositional(positionals, 'DIR', 'commons sweep status DIR [--queue redis://HOST:PORT]');
  const file = readSweep(dir);
  let queue;
  if (values.queue !== undefined) {
    const { checkRedisUrl, probeRedis, queueStates, DEFAULT_QUEUE } = await needOptional('queue', 'the sweep queue', () => import('../sweep/queue.ts'));
    const url = checkRedisUrl(values.queue);
    await probeRedis(url);
    queue = await queueStates(url, values['queue-name'] ?? DEFAULT_QUEUE, file);
  }
  const st = sweepStatus(dir, file, queue);
  if (values.json) return out(JSON.stringify(st, null, 2));
  out(formatStatus(st, queue !== undefined));
}

async function reportCmd(argv: string[], out: (s: string) => void) {
  const { values, positionals } = parseFlags('sweep report', argv, {
    baseline: { type: 'string' }, window: { type: 'string' }, out: { type: 'string' }, reference: { type: 'string' },
    rank: { type: 'string' }, top: { type: 'string' }, 'follow-up': { type: 'string' }, seeds: { type: 'string' },
    pairs: { type: 'string' }, 'drop-below': { type: 'string' },
  });
  if (values.help) return out(help('report'));
  const dir = onePositional(positionals, 'DIR', 'commons sweep report DIR');
  if (values.top !== undefined && values.rank === undefined) throw new InputError('--top: needs --rank METRIC (what to rank by)');
  if (values['follow-up'] !== undefined && values.rank === undefined) throw new InputError('--follow-up: needs --rank METRIC (which groups to re-run)');
  if (values.seeds !== undefined && values['follow-up'] === undefined) throw new InputError('--seeds: only with --follow-up FILE (the new seeds of the follow-up sweep)');
  if (values.rank !== undefined && !/^[A-Za-z_][\w.]*$/.test(values.rank)) throw new InputError(`--rank: expected a metric name (collective_return, equality_weighted_return, moa.accuracy, ...), got '${values.rank}'`);
  const top = intOf('top', values.top, 5, 1, 1000);
  const seeds = intOf('seeds', values.seeds, 5, 1, 1000);
  const file = readSweep(dir);
  const window = values.window === undefined ? file.spec.report?.window ?? 0.1 : parseWindow(values.window);
  // the paper's Table 4 unless a file, or none, is named
  const ref = values.reference ?? 'paper';
  const references = ref === 'none' ? undefined : ref === 'paper' ? PAPER_REFERENCES : readReferences(ref);
  const pairs = pairsOption(values.pairs, values['drop-below'], file.spec.report?.pairs, window, file.spec.games);
  const rep = buildReport(dir, file, {
    window, baseline: values.baseline ?? file.spec.report?.baseline, references, ...(values.rank ? { rank: { metric: values.rank, top } } : {}),
    ...(pairs ? { pairs } : {}),
  });
  if (rep.games.every((g) => g.groups.every((x) => x.runs.length === 0))) {
    throw new InputError(`DIR: no run of sweep ${file.name} has finished yet (see commons sweep status ${dir})`);
  }
  const followPath = values['follow-up'];
  const follow = followPath ? followUpSpec(file, rep, seeds) : null;
  const outDir = values.out ?? join(dir, 'report');
  const written = await writeReport(dir, rep, outDir, (line) => warn('sweep report', line));
  out(reportMarkdown(rep).trimEnd());
  out(`\nwrote ${written.join(', ')}`);
  if (follow && followPath) {
    writeFileSync(followPath, JSON.stringify(follow, null, 2) + '\n');
    const n = (follow.only as string[]).length * (follow.seeds as number[]).length;
    out(`wrote ${followPath}: ${(follow.only as string[]).length} group(s) x ${(follow.seeds as number[]).length} new seed(s) = ${n} run(s) ` +
      `(seeds ${(follow.seeds as number[]).join(', ')}); train it with: commons sweep run ${followPath} --out DIR (or sweep submit)`);
  }
}

/** The matched-pairs analysis of a report: the spec's (report.pairs), its pairs replaced by --pairs A:B,C:D and its
 * rule's threshold by --drop-below X (in the spec's drop games, or every game of the sweep). */
function pairsOption(flag: string | undefined, dropBelow: string | undefined, stored: PairsSpec | undefined, window: number, games: string[]): PairsSpec | undefined {
  let pairs = stored;
  if (flag !== undefined) {
    const list = flag.split(',').map((p) => p.trim().split(':'));
    if (list.some((p) => p.length !== 2 || !p[0] || !p[1])) throw new InputError(`--pairs: expected A:B pairs of arms or groups, comma-separated (influence:influence-beta0,a2c:prosocial), got '${flag}'`);
    const parsed = parsePairsSpec({ pairs: list }, window, '--pairs');
    pairs = stored ? { ...stored, pairs: parsed.pairs } : parsed;
  }
  if (dropBelow !== undefined) {
    if (!pairs) throw new InputError('--drop-below: needs pairs to analyse (--pairs A:B, or the spec\'s report.pairs)');
    const x = Number(dropBelow);
    if (dropBelow.trim() === '' || !Number.isFinite(x)) throw new InputError(`--drop-below: expected a number (a return per episode), got '${dropBelow}'`);
    pairs = { ...pairs, drop: { games: pairs.drop?.games ?? games, minAgentReturn: x } };
  }
  return pairs;
}

const SUBCOMMANDS: Record<string, (argv: string[], out: (s: string) => void) => Promise<void>> = {
  plan: planCmd, run: runCmd, submit: submitCmd, status: statusCmd, report: reportCmd,
};

export async function sweepCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined) throw new InputError('a subcommand is required: plan, run, submit, status or report (see commons sweep --help)');
  if (sub === '--help' || sub === '-h' || (sub === 'help' && !rest[0])) throw new HelpRequested(helpText(SWEEP));
  if (sub === 'help') return out(help(rest[0]));
  const run = SUBCOMMANDS[sub];
  if (!run) throw new InputError(`unknown subcommand '${sub}'; subcommands: ${Object.keys(SUBCOMMANDS).join(', ')} (see commons sweep --help)`);
  try {
    await run(rest, out);
  } catch (e) {
    // main() prefixes the message with the command: name the subcommand too (`commons sweep run: ...`).
    if (e !== null && typeof e === 'object' && !('command' in e)) Object.assign(e, { command: `sweep ${sub}` });
    throw e;
  }
}

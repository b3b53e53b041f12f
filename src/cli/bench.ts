// commons bench env: environment throughput with random actions and observations every step.

import { createVecEnv } from '../env/vec-env.ts';
import { GAMES, gameInfo, perGameText } from '../env/games.ts';
import { Rng } from '../util/rng.ts';
import { parseCommand, helpText, str, intFlag, choiceFlag, UsageError, HelpRequested, type CommandSpec } from './args.ts';
import { configFlags, settingsFromFlags } from './config-flags.ts';
import { modelOf } from '../learn/models/registry.ts';
import type { ExchangeTime } from '../parallel/exchange.ts';

export const BENCH_ENV: CommandSpec = {
  name: 'bench env',
  summary: 'environment throughput with random actions',
  usage: [`bench env --game ${GAMES.join('|')} [--envs 64] [--agents N] [--steps 300000] [--seed 0] [--json]`],
  about: `Steps B envs with uniformly random actions (observations produced every step) until --steps environment
steps have run over the whole batch; prints { game, envs, agents, env_steps, seconds, env_steps_per_s, agent_steps_per_s }.`,
  flags: {
    game: { arg: GAMES.join('|'), help: 'the game (required)' },
    envs: { arg: 'N', help: 'environments stepped together', default: '64' },
    agents: { arg: 'N', help: 'agents per environment', default: perGameText('defaultAgents') },
    steps: { arg: 'N', help: 'environment steps over the whole batch', default: '300000' },
    seed: { arg: 'N', help: 'seed', default: '0' },
    json: { type: 'boolean', help: 'print JSON' },
  },
};

export const BENCH_TRAIN: CommandSpec = {
  name: 'bench train',
  summary: 'throughput of the whole training loop',
  usage: ['bench train [--game cleanup] [--model a2c] [--algo a2c|ppo] [--agents 5] [--envs 16] [--updates 30] [--share-params] [--net-form head|paper] [--moa-form head|lstm] [--backend wasm] [--workers W] [--json]'],
  about: `Times the whole training loop (stepping, inference, updates) after 3 warm-up updates, in this thread or over W
workers; prints { game, model, algo, agents, envs, workers, env_steps, seconds, agent_steps_per_s, cpu_seconds,
agent_steps_per_cpu_s, split_seconds, exchange }. cpu_seconds: the process's CPU time over the timed updates, all
threads; agent_steps_per_cpu_s: agent-steps per second of it, which other work on the machine disturbs less than
the wall clock (null with workers, whose threads do the work). Influence models add net_form, MOA models
moa_form. split_seconds: env, inference, update; null with workers. exchange, with 2 or more workers: mode
(shared or main-thread) and, shared, the seconds each worker spent on average waiting for the others (wait_s)
and summing its slice of the gradients (reduce_s). Writes no files.`,
  flags: {
    ...configFlags(['game', 'model', 'algo', 'agents', 'envs', 'shareParams', 'netForm', 'moaForm', 'backend', 'seed', 'workers']),
    updates: { arg: 'N', help: 'updates timed, after 3 warm-up updates; 1 to 100000', default: '30' },
    json: { type: 'boolean', help: 'print JSON' },
  },
};

export const BENCH: CommandSpec = {
  name: 'bench',
  summary: 'measure throughput: bench env (the environments), bench train (the training loop)',
  usage: [...BENCH_ENV.usage, ...BENCH_TRAIN.usage],
  about: 'See commons bench env --help and commons bench train --help. Figures and how they were measured: BENCHMARKS.md.',
  flags: {},
};

export async function benchCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const [what, ...rest] = argv;
  if (what === 'train') return benchTrain(rest, out);
  if (what === '--help' || what === '-h') throw new HelpRequested(helpText(BENCH));
  if (what === undefined) throw new UsageError('bench: which benchmark? allowed values: env, train (see commons bench --help)');
  if (what !== 'env') throw new UsageError(`bench: unknown target '${what}'; allowed values: env, train (see commons bench --help)`);
  const { values } = parseCommand(rest, BENCH_ENV);
  const game = choiceFlag('game', str(values, 'game'), GAMES);
  const envs = intFlag('envs', str(values, 'envs'), 64, 1, 65536);
  const agents = intFlag('agents', str(values, 'agents'), gameInfo(game).defaultAgents, 1, 255);
  const steps = intFlag('steps', str(values, 'steps'), 300_000, 1);
  const seed = intFlag('seed', str(values, 'seed'), 0, 0);
  const env = await createVecEnv({ game, numEnvs: envs, numAgents: agents, seed });
  const rng = new Rng(seed);
  const iterations = Math.ceil(steps / envs);
  const nA = env.spec.numActions;
  // warm-up so that the timing measures the optimised code
  for (let k = 0; k < Math.min(200, iterations); k++) { rng.fillBelow(env.actions, nA); env.step(); }
  const t0 = performance.now();
  for (let k = 0; k < iterations; k++) {
    rng.fillBelow(env.actions, nA);
    env.step();
  }
  const seconds = (performance.now() - t0) / 1000;
  env.close();
  const envSteps = iterations * envs;
  const result = {
    game, envs, agents, env_steps: envSteps, seconds: Number(seconds.toFixed(4)),
    env_steps_per_s: Math.round(envSteps / seconds), agent_steps_per_s: Math.round((envSteps * agents) / seconds),
  };
  if (values.json) out(JSON.stringify(result));
  else out(`${game}: ${envs} envs x ${agents} agents, ${envSteps} env steps in ${result.seconds} s: ` +
    `${result.env_steps_per_s} env steps/s, ${result.agent_steps_per_s} agent steps/s`);
}

async function benchTrain(argv: string[], out: (s: string) => void): Promise<void> {
  const { values } = parseCommand(argv, BENCH_TRAIN);
  const { createTrainer } = await import('../hosting/run-dir.ts');
  const { WorkerGroup } = await import('../parallel/group.ts');
  const updates = intFlag('updates', str(values, 'updates'), 30, 1, 100_000);
  const trainer = await createTrainer({ ...settingsFromFlags(values), steps: Number.MAX_SAFE_INTEGER });
  const cfg = trainer.cfg;
  // Per-phase times are measured in the thread that trains (without workers: this one).
  const time = () => (cfg.workers ? undefined : { ...trainer.local.time });
  // With workers: the time they spent in the shared exchange (mean over workers).
  const group = trainer.group instanceof WorkerGroup && trainer.group.size > 1 ? trainer.group : undefined;
  const exchangeTime = async () => {
    const ts = await group!.exchangeTimes();
    const mean = (f: (t: ExchangeTime) => number) => ts.reduce((a, t) => a + f(t), 0) / Math.max(1, ts.length);
    return { wait: mean((t) => t.wait), reduce: mean((t) => t.reduce) };
  };
  let seconds = 0, envSteps = 0, split: { env: number; inference: number; update: number } | null = null;
  let exchange: { mode: string; wait_s?: number; reduce_s?: number } | null = null;
  let cpu = 0;
  try {
    for (let k = 0; k < 3; k++) await trainer.iterate();
    const before = time(), steps0 = trainer.envSteps;
    const x0 = group && await exchangeTime();
    const t0 = performance.now(), c0 = process.cpuUsage();
    for (let k = 0; k < updates; k++) await trainer.iterate();
    seconds = (performance.now() - t0) / 1000;
    const c1 = process.cpuUsage(c0);
    cpu = (c1.user + c1.system) / 1e6;
    envSteps = trainer.envSteps - steps0;
    if (group) {
      exchange = { mode: group.exchange };
      if (group.exchange === 'shared') {
        const x1 = await exchangeTime();
        exchange.wait_s = +(x1.wait - x0!.wait).toFixed(3);
        exchange.reduce_s = +(x1.reduce - x0!.reduce).toFixed(3);
      }
    }
    const after = time();
    if (before && after) {
      split = {
        env: +(after.env - before.env).toFixed(3),
        inference: +(after.inference - before.inference).toFixed(3),
        update: +(after.update - before.update).toFixed(3),
      };
    }
  } finally {
    await trainer.close();
  }
  const result = {
    game: cfg.game, model: cfg.model, algo: cfg.algo, agents: cfg.agents, envs: cfg.envs, share_params: cfg.shareParams,
    ...(modelOf(cfg.model).netForms ? { net_form: cfg.netForm } : {}), ...(modelOf(cfg.model).moaMetrics ? { moa_form: cfg.moaForm } : {}),
    backend: cfg.backend, workers: cfg.workers, env_steps: envSteps, seconds: +seconds.toFixed(3),
    agent_steps_per_s: Math.round((envSteps * cfg.agents) / seconds), cpu_seconds: +cpu.toFixed(3),
    agent_steps_per_cpu_s: cfg.workers ? null : Math.round((envSteps * cfg.agents) / cpu), split_seconds: split, exchange,
  };
  if (values.json) out(JSON.stringify(result));
  else out(`${cfg.model}/${cfg.algo} on ${cfg.game}, ${cfg.agents} agents x ${cfg.envs} envs` +
    `${cfg.workers ? ` over ${cfg.workers} workers` : ''}: ${result.agent_steps_per_s} agent-steps/s (${envSteps} env steps in ${result.seconds} s` +
    `${split ? `; env ${split.env} s, inference ${split.inference} s, updates ${split.update} s` : ''})`);
}

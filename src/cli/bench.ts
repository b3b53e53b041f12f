// commons bench env: environment throughput with random actions and observations every step.

import { createVecEnv } from '../env/vec-env.ts';
import { GAMES } from '../env/games.ts';
import { Rng } from '../util/rng.ts';
import { parse, intFlag, choiceFlag, UsageError } from './args.ts';

export const BENCH_HELP = `commons bench env --game harvest|cleanup [--envs 64] [--agents 5] [--steps 300000] [--seed 0] [--json]
  Steps B envs with uniformly random actions (observations produced every step) until --steps environment
  steps have run over the whole batch; prints { game, envs, agents, env_steps, seconds, env_steps_per_s, agent_steps_per_s }.`;

export const BENCH_TRAIN_HELP = `commons bench train --game cleanup --model a2c [--algo a2c|ppo] [--agents 5] [--envs 16] [--updates 30] [--share-params] [--backend wasm] [--workers W] [--json]
  Times the whole training loop (stepping, inference, updates) after 3 warm-up updates, in this thread or over W
  workers; prints { game, model, algo, agents, envs, workers, env_steps, seconds, agent_steps_per_s, split_seconds }
  (split_seconds: env, inference, update; null with workers).`;

export async function benchCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const [what, ...rest] = argv;
  if (what === 'train') return benchTrain(rest, out);
  if (what !== 'env') throw new UsageError(`bench: unknown target '${what ?? ''}'; allowed values: env, train`);
  const { values } = parse(rest, {
    game: { type: 'string' }, envs: { type: 'string' }, agents: { type: 'string' }, steps: { type: 'string' },
    seed: { type: 'string' }, json: { type: 'boolean' },
  });
  const game = choiceFlag('game', values.game, GAMES);
  const envs = intFlag('envs', values.envs, 64, 1, 65536);
  const agents = intFlag('agents', values.agents, 5, 1, 255);
  const steps = intFlag('steps', values.steps, 300_000, 1);
  const seed = intFlag('seed', values.seed, 0, 0);
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
  const { values } = parse(argv, {
    game: { type: 'string' }, model: { type: 'string' }, algo: { type: 'string' }, agents: { type: 'string' },
    envs: { type: 'string' }, updates: { type: 'string' }, 'share-params': { type: 'boolean' }, backend: { type: 'string' },
    seed: { type: 'string' }, json: { type: 'boolean' }, workers: { type: 'string' },
  });
  const { createTrainer } = await import('../learn/run-dir.ts');
  const { MODELS, ALGOS, BACKENDS } = await import('../learn/config.ts');
  const cfg = {
    game: choiceFlag('game', values.game, GAMES, 'cleanup'),
    model: choiceFlag('model', values.model, MODELS, 'a2c'),
    algo: choiceFlag('algo', values.algo, ALGOS, 'a2c'),
    agents: intFlag('agents', values.agents, 5, 1, 255),
    envs: intFlag('envs', values.envs, 16, 1, 4096),
    shareParams: values['share-params'] ?? false,
    backend: choiceFlag('backend', values.backend, BACKENDS, 'wasm'),
    seed: intFlag('seed', values.seed, 0, 0),
    steps: Number.MAX_SAFE_INTEGER,
    workers: intFlag('workers', values.workers, 0, 0, 64),
  };
  const updates = intFlag('updates', values.updates, 30, 1, 100_000);
  const trainer = await createTrainer(cfg);
  // Per-phase times are measured in the thread that trains (without workers: this one).
  const time = () => (cfg.workers ? undefined : { ...trainer.local.time });
  let seconds = 0, envSteps = 0, split: { env: number; inference: number; update: number } | null = null;
  try {
    for (let k = 0; k < 3; k++) await trainer.iterate();
    const before = time(), steps0 = trainer.envSteps;
    const t0 = performance.now();
    for (let k = 0; k < updates; k++) await trainer.iterate();
    seconds = (performance.now() - t0) / 1000;
    envSteps = trainer.envSteps - steps0;
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
    backend: cfg.backend, workers: cfg.workers, env_steps: envSteps, seconds: +seconds.toFixed(3),
    agent_steps_per_s: Math.round((envSteps * cfg.agents) / seconds), split_seconds: split,
  };
  if (values.json) out(JSON.stringify(result));
  else out(`${cfg.model}/${cfg.algo} on ${cfg.game}, ${cfg.agents} agents x ${cfg.envs} envs` +
    `${cfg.workers ? ` over ${cfg.workers} workers` : ''}: ${result.agent_steps_per_s} agent-steps/s (${envSteps} env steps in ${result.seconds} s` +
    `${split ? `; env ${split.env} s, inference ${split.inference} s, updates ${split.update} s` : ''})`);
}

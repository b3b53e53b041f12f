// commons bench env: environment throughput with random actions and observations every step.

import { createVecEnv } from '../env/vec-env.ts';
import { GAMES } from '../env/games.ts';
import { Rng } from '../util/rng.ts';
import { parse, intFlag, choiceFlag, UsageError } from './args.ts';

export const BENCH_HELP = `commons bench env --game harvest|cleanup [--envs 64] [--agents 5] [--steps 300000] [--seed 0] [--json]
  Steps B envs with uniformly random actions (observations produced every step) until --steps environment
  steps have run over the whole batch; prints { game, envs, agents, env_steps, seconds, env_steps_per_s, agent_steps_per_s }.`;

export async function benchCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const [what, ...rest] = argv;
  if (what !== 'env') throw new UsageError(`bench: unknown target '${what ?? ''}'; allowed values: env`);
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

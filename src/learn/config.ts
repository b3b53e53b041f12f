// Training configuration: every setting, its default and where the default comes from. One object per
// concern (cleanrl's Args): what to train (game, model, algo), the environment batch, the optimiser and
// each algorithm's own constants. `resolveTrainConfig` fills defaults and checks every field.

import { InputError } from '../util/errors.ts';
import { GAMES, type GameName } from '../env/games.ts';
import type { BackendName } from './tfjs/backend.ts';

import { MODELS, modelSpec, type ModelName } from './models.ts';

export { MODELS, type ModelName };
export const ALGOS = ['a2c', 'ppo'] as const;
export type AlgoName = (typeof ALGOS)[number];
export const BACKENDS = ['wasm', 'webgpu', 'cpu'] as const;

export interface TrainConfig {
  /** Game: 'harvest' or 'cleanup'. Default 'cleanup'. */
  game: GameName;
  /** Model: 'a2c' (the baseline), 'inequity-aversion' (Hughes et al. 2018 shaping), 'moa' (Models of Other
   * Agents, no influence reward) or 'influence-moa' (the paper's model III). Default 'a2c'. */
  model: ModelName;
  /** Algorithm: 'a2c' (synchronous A3C) or 'ppo'. Default 'a2c'. */
  algo: AlgoName;
  /** Agents per environment. Default 5. */
  agents: number;
  /** Environments stepped together. Default 16. */
  envs: number;
  /** Total environment steps over the whole batch. Default 2e6. */
  steps: number;
  /** Seed of environments, initial weights and action sampling. Default 0. */
  seed: number;
  /** One network per agent (false, the paper's independent learners) or one shared network with a one-hot
   * agent id input (true): one forward pass per step instead of N, N times fewer parameters, but agents
   * can no longer specialise except through the id. Default false. */
  shareParams: boolean;
  /** Steps per episode. Default 1000 (RULES.md). */
  episodeLength: number;
  /** Agent view radius; the paper's 15x15 view is 7. Default 7. */
  viewRadius: number;
  /** ASCII map replacing the game's default. */
  map?: string[];
  /** tfjs backend. Default 'wasm'. */
  backend: BackendName;
  /** Discount factor. Default 0.99 (Jaques et al. 2019; SSD repo). */
  gamma: number;
  /** Learning rate. Default 7e-4 for A2C (RMSprop, as in A3C/OpenAI baselines' A2C), 2.5e-4 for PPO (Adam, cleanrl). */
  lr: number;
  /** Entropy bonus weight. Default 0.01 (Mnih et al. 2016). */
  entropyCoef: number;
  /** Value loss weight. Default 0.5 (SSD repo's vf_loss_coeff, cleanrl). */
  valueCoef: number;
  /** Gradient clipping by global norm. Default 40 (SSD repo's grad_clip; rewards of -50 make gradients large). */
  maxGradNorm: number;
  /** Steps per rollout before each update (truncated BPTT length). Default 20 for A2C (A3C's t_max range);
   * 32 for PPO (cleanrl uses 128; the hand-written LSTM's per-step cost dominates small batches, so we keep it shorter). */
  rolloutSteps: number;
  /** PPO: GAE lambda. Default 0.95 (Schulman et al. 2017). */
  gaeLambda: number;
  /** PPO: clipping range of the probability ratio. Default 0.2. */
  clip: number;
  /** PPO: passes over each rollout. Default 4. */
  epochs: number;
  /** PPO: minibatches per pass, split by stream (agent x environment) so LSTM sequences stay whole. Default 2. */
  minibatches: number;
  /** Inequity aversion: disadvantageous weight alpha. Default 5 (SSD README; Hughes et al. 2018). */
  iaAlpha: number;
  /** Inequity aversion: advantageous weight beta. Default 0.05. */
  iaBeta: number;
  /** Model I (visible-actions, influence): the first this many agents are influencers; they act first and
   * the others see their actions. Default 1 (the paper). */
  influencers: number;
  /** Model II (comm, influence-comm): symbols in the cheap-talk vocabulary; 0 = the game's number of actions
   * (the paper's choice). Default 0. */
  vocab: number;
  /** MOA models: weight of the MOA's cross-entropy in each agent's loss. Default 1 (SSD repo's default). */
  moaLossWeight: number;
  /** Influence models (influence, influence-comm, influence-moa): the influence reward weight beta at the end of the curriculum. Default 1 (SSD repo's MOA scripts). */
  influenceBeta: number;
  /** Influence curriculum: beta is 0 until this env step, then ramps linearly... Default 2% of steps
   * (the SSD repo's MOA schedule, 10M of 500M, scaled to the run). */
  influenceStart: number;
  /** ...reaching influenceBeta at this env step. Default 20% of steps (SSD: 100M of 500M). */
  influenceEnd: number;
  /** The influence reward c_k is clipped to [0, influenceClip] before weighting. Default 10 (SSD repo). */
  influenceClip: number;
  /** Divergence of the influence reward: 'kl' (default, the paper), 'js' (Jensen-Shannon) or 'pmi' (pointwise
   * mutual information at the action the influencee took; with a MOA that action comes one step later, so
   * the reward is settled then and credited to the step that earned it). */
  divergence: 'kl' | 'js' | 'pmi';
  /** Sum c_kj only over the agents k can see (and train the MOA only on them). Default true (SSD repo). */
  influenceVisibleOnly: boolean;
  /** Write a metrics line every this many environment steps. Default envs x episodeLength: one line per
   * wave of finished episodes (all envs start together, so their episodes end together). */
  reportEvery: number;
  /** Write a checkpoint every this many environment steps. Default 100,000. */
  checkpointEvery: number;
  /** Workers (threads) to split the environments over; 0 trains in the calling thread. Each worker steps
   * envs / workers environments, computes gradients on its rollout, and every worker applies the average
   * (synchronous data parallelism): a run is reproducible for a given seed and worker count. Default 0. */
  workers: number;
}

export const DEFAULTS: Omit<TrainConfig, 'lr' | 'rolloutSteps' | 'map' | 'reportEvery' | 'influenceStart' | 'influenceEnd'> = {
  game: 'cleanup', model: 'a2c', algo: 'a2c', agents: 5, envs: 16, steps: 2e6, seed: 0, shareParams: false,
  episodeLength: 1000, viewRadius: 7, backend: 'wasm', gamma: 0.99, entropyCoef: 0.01, valueCoef: 0.5,
  maxGradNorm: 40, gaeLambda: 0.95, clip: 0.2, epochs: 4, minibatches: 2, iaAlpha: 5, iaBeta: 0.05,
  checkpointEvery: 100_000, influencers: 1, vocab: 0, moaLossWeight: 1, influenceBeta: 1, influenceClip: 10, divergence: 'kl', influenceVisibleOnly: true,
  workers: 0,
};

const ALGO_DEFAULTS: Record<AlgoName, { lr: number; rolloutSteps: number }> = {
  a2c: { lr: 7e-4, rolloutSteps: 20 },
  ppo: { lr: 2.5e-4, rolloutSteps: 32 },
};

type Field = { kind: 'int' | 'num'; min: number; max?: number } | { kind: 'choice'; values: readonly string[] } | { kind: 'bool' } | { kind: 'map' };

const FIELDS: Record<keyof TrainConfig, Field> = {
  game: { kind: 'choice', values: GAMES },
  model: { kind: 'choice', values: MODELS },
  algo: { kind: 'choice', values: ALGOS },
  agents: { kind: 'int', min: 1, max: 255 },
  envs: { kind: 'int', min: 1, max: 4096 },
  steps: { kind: 'int', min: 1 },
  seed: { kind: 'int', min: 0 },
  shareParams: { kind: 'bool' },
  episodeLength: { kind: 'int', min: 1, max: 1_000_000 },
  viewRadius: { kind: 'int', min: 1, max: 32 },
  map: { kind: 'map' },
  backend: { kind: 'choice', values: BACKENDS },
  gamma: { kind: 'num', min: 0, max: 1 },
  lr: { kind: 'num', min: 0, max: 1 },
  entropyCoef: { kind: 'num', min: 0 },
  valueCoef: { kind: 'num', min: 0 },
  maxGradNorm: { kind: 'num', min: 0 },
  rolloutSteps: { kind: 'int', min: 1, max: 100_000 },
  gaeLambda: { kind: 'num', min: 0, max: 1 },
  clip: { kind: 'num', min: 0, max: 10 },
  epochs: { kind: 'int', min: 1, max: 1000 },
  minibatches: { kind: 'int', min: 1, max: 4096 },
  iaAlpha: { kind: 'num', min: 0 },
  iaBeta: { kind: 'num', min: 0 },
  reportEvery: { kind: 'int', min: 1 },
  influencers: { kind: 'int', min: 1, max: 254 },
  vocab: { kind: 'int', min: 0, max: 64 },
  moaLossWeight: { kind: 'num', min: 0 },
  influenceBeta: { kind: 'num', min: 0 },
  influenceStart: { kind: 'int', min: 0 },
  influenceEnd: { kind: 'int', min: 0 },
  influenceClip: { kind: 'num', min: 0 },
  divergence: { kind: 'choice', values: ['kl', 'js', 'pmi'] },
  influenceVisibleOnly: { kind: 'bool' },
  checkpointEvery: { kind: 'int', min: 1 },
  workers: { kind: 'int', min: 0, max: 64 },
};

/** Fills defaults and checks every field; throws InputError naming the field and its allowed values. */
export function resolveTrainConfig(partial: Partial<TrainConfig>): TrainConfig {
  for (const key of Object.keys(partial)) {
    if (!(key in FIELDS)) throw new InputError(`config: unknown setting '${key}'; settings: ${Object.keys(FIELDS).join(', ')}`);
  }
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const algo = (defined.algo ?? DEFAULTS.algo) as AlgoName;
  const c = { ...DEFAULTS, ...(ALGO_DEFAULTS[algo] ?? {}), ...defined } as TrainConfig;
  if (defined.reportEvery === undefined && Number.isInteger(c.envs) && Number.isInteger(c.episodeLength)) c.reportEvery = c.envs * c.episodeLength;
  if (defined.influenceStart === undefined && Number.isFinite(c.steps)) c.influenceStart = Math.round(0.02 * c.steps);
  if (defined.influenceEnd === undefined && Number.isFinite(c.steps)) c.influenceEnd = Math.max(c.influenceStart, Math.round(0.2 * c.steps));
  for (const [key, f] of Object.entries(FIELDS) as [keyof TrainConfig, Field][]) {
    const v = c[key];
    if (f.kind === 'map') {
      if (v !== undefined && !(Array.isArray(v) && v.every((r) => typeof r === 'string'))) throw new InputError(`${key}: expected an array of strings`);
    } else if (f.kind === 'choice') {
      if (!f.values.includes(v as string)) throw new InputError(`${key}: unknown value ${JSON.stringify(v)}; allowed values: ${f.values.join(', ')}`);
    } else if (f.kind === 'bool') {
      if (typeof v !== 'boolean') throw new InputError(`${key}: expected true or false, got ${JSON.stringify(v)}`);
    } else {
      const ok = typeof v === 'number' && Number.isFinite(v) && (f.kind === 'num' || Number.isInteger(v)) &&
        v >= f.min && (f.max === undefined || v <= f.max);
      if (!ok) {
        const what = f.kind === 'int' ? 'an integer' : 'a number';
        const range = f.max === undefined ? `>= ${f.min}` : `from ${f.min} to ${f.max}`;
        throw new InputError(`${key}: expected ${what} ${range}, got ${JSON.stringify(v)}`);
      }
    }
  }
  if (c.influenceEnd < c.influenceStart) throw new InputError(`influenceEnd: must be >= influenceStart (${c.influenceStart}), got ${c.influenceEnd}`);
  const spec = modelSpec(c.model);
  if (spec.independentOnly && c.shareParams) {
    throw new InputError(`shareParams: model '${c.model}' needs each agent's own network; use independent learners (no --share-params)`);
  }
  if (spec.conditionsOnInfluencers && c.influencers >= c.agents) {
    throw new InputError(`influencers: model '${c.model}' needs at least one influencee; influencers must be from 1 to ${c.agents - 1} with ${c.agents} agents, got ${c.influencers}`);
  }
  if (c.agents < spec.minAgents) {
    throw new InputError(`agents: model '${c.model}' needs at least ${spec.minAgents} agents, got ${c.agents}`);
  }
  if (c.workers > 0 && c.envs % c.workers !== 0) {
    throw new InputError(`workers: each worker steps an equal share of the environments; workers must divide envs (${c.envs}), got ${c.workers}`);
  }
  const perWorker = c.workers > 0 ? c.envs / c.workers : c.envs;
  if (c.algo === 'ppo' && perWorker % c.minibatches !== 0) {
    throw new InputError(c.workers > 0
      ? `minibatches: PPO splits each worker's ${perWorker} environments into minibatches; minibatches must divide envs / workers (got ${c.minibatches})`
      : `minibatches: PPO splits the ${c.envs} environments into minibatches; minibatches must divide envs (got ${c.minibatches})`);
  }
  return c;
}

// Training configuration: every setting, its default and where the default comes from. One object per
// concern (cleanrl's Args): what to train (game, model, algo), the environment batch, the optimiser and
// each algorithm's own constants, and how the run is kept (reports, checkpoints, workers).
//
// FIELDS below is the one table of settings: each entry gives the default, the allowed values, the
// command-line flag, its help line, when the setting applies and what values are legal but suspicious.
// `resolveTrainConfig` (defaults and checks), `commons train` (flags, --config files, help) and the docs'
// flag table (checked by a test) are all made from it; adding a setting is one field in TrainConfig plus
// one entry here (the type checker insists on the entry).

import { InputError } from '../util/errors.ts';
import { GAMES, gameInfo, perGameText, type GameName } from '../env/games.ts';
import type { BackendName } from './tfjs/backend.ts';

import { MODELS, MODEL_TABLE, modelSpec, type ModelName } from './models.ts';
import { presetSettings } from './presets.ts';
import { scheduleAt } from './schedule.ts';

export { MODELS, type ModelName };
export const ALGOS = ['a2c', 'ppo'] as const;
export type AlgoName = (typeof ALGOS)[number];
export const BACKENDS = ['wasm', 'webgpu', 'cpu'] as const;
export const DIVERGENCES = ['kl', 'js', 'pmi'] as const;
export const MOA_LOSS_NORMS = ['visible', 'all'] as const;
export const MOA_FORMS = ['head', 'lstm'] as const;

export interface TrainConfig {
  /** Game: a name of the table of games (src/env/games.ts): 'harvest', 'cleanup' or 'box-trapped'. Default 'cleanup'. */
  game: GameName;
  /** Model: 'a2c' (the baseline), 'inequity-aversion' (Hughes et al. 2018 shaping), model I
   * ('visible-actions', 'influence'), model II ('comm', 'influence-comm') or model III ('moa',
   * 'influence-moa'), each influence model beside its ablation. Default 'a2c'. */
  model: ModelName;
  /** A preset of settings filled in before the defaults (settings given beside it win): 'paper' sets every value
   * of Jaques et al. 2019's Tables 1-3 for the game and model (src/learn/presets.ts, `commons presets`). Default 'none'. */
  preset: PresetName;
  /** Algorithm: 'a2c' (synchronous A3C) or 'ppo'. Default 'a2c'. */
  algo: AlgoName;
  /** Agents per environment. Default: the game's (5; Box trapped 2). */
  agents: number;
  /** Environments stepped together. Default 16. */
  envs: number;
  /** Environment steps over the whole batch. A run ends at the first update that reaches it: updates come in
   * envs x rolloutSteps steps, so a budget that is not a multiple ends just past it (see finalSteps). Default 2e6. */
  steps: number;
  /** Seed of environments, initial weights and action sampling. Default 0. */
  seed: number;
  /** One network per agent (false, the paper's independent learners) or one shared network with a one-hot
   * agent id input (true): one forward pass per step instead of N, N times fewer parameters, but agents
   * can no longer specialise except through the id. Default false. */
  shareParams: boolean;
  /** Steps per episode. Default: the game's (1000; Box trapped 100; docs/RULES.md). */
  episodeLength: number;
  /** Agent view radius; the paper's 15x15 view is 7. Default 7. */
  viewRadius: number;
  /** Steps a FIRE hit removes an agent from play for; 0 keeps it in play (the SSD repo's choice), which also
   * leaves the peace metric at N. Default 0. */
  tagTimeout: number;
  /** ASCII map replacing the game's default (rows of docs/RULES.md characters). */
  map?: string[];
  /** tfjs backend. Default 'wasm'. */
  backend: BackendName;
  /** Discount factor. Default 0.99 (Jaques et al. 2019; SSD repo). */
  gamma: number;
  /** Learning rate. Default 7e-4 for A2C (RMSprop, as in A3C/OpenAI baselines' A2C), 2.5e-4 for PPO (Adam, cleanrl). */
  lr: number;
  /** The learning rate at lrAnnealSteps: it falls linearly from lr at step 0 to lrEnd there, and stays. Default lr
   * (constant). */
  lrEnd: number;
  /** Env steps over which the learning rate anneals from lr to lrEnd. Default 2e7 (the SSD repo's lr_schedule). */
  lrAnnealSteps: number;
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
  /** MOA models: where the MOA reads the actions of step t. 'head': with its LSTM's output, in the head after
   * the LSTM (a counterfactual re-runs only the head). 'lstm': with the conv features, into its LSTM, as
   * the paper and the SSD repo do (a counterfactual re-runs an LSTM step). Default 'head'. */
  moaForm: 'head' | 'lstm';
  /** Model II: entropy bonus weight of the message head. Default entropyCoef (the paper searches it apart:
   * Table 2's comm entropy). */
  commEntropyCoef: number;
  /** Model II: weight of the message stream's loss (policy, value, entropy) in each agent's loss. Default 1. */
  commLossWeight: number;
  /** Model II: size of a learned embedding (linear) of the heard symbols before they join the heads' input;
   * 0 feeds the one-hot symbols as they are. Default 0 (the paper's Table 2 uses 16 and 32). */
  commEmbedding: number;
  /** Influence models (influence, influence-comm, influence-moa): the influence reward weight beta at the end of the curriculum. Default 1 (SSD repo's MOA scripts). */
  influenceBeta: number;
  /** Extrinsic reward weight alpha of r = alpha * e + beta * c, for the stream the influence reward trains (model
   * II's messages; the actions otherwise). Default 1; the paper's model II in Cleanup uses 0. */
  extrinsicWeight: number;
  /** Influence curriculum: beta is 0 until this env step, then ramps linearly... Default 2% of steps
   * (the SSD repo's MOA schedule, 10M of 500M, scaled to the run). */
  influenceStart: number;
  /** ...reaching influenceBeta at this env step. Default 20% of steps (SSD: 100M of 500M). */
  influenceEnd: number;
  /** The curriculum as points [env step, multiplier of influenceBeta], linear between points, held after the
   * last (the SSD repo's influence_reward_schedule). Default [[influenceStart, 0], [influenceEnd, 1]]. */
  influenceSchedule: [number, number][];
  /** The influence reward c_k is clipped to [-influenceClip, influenceClip] before weighting (the SSD repo's
   * np.clip; only PMI can be negative: KL and JS are not). Default 10 (SSD repo). */
  influenceClip: number;
  /** Divergence of the influence reward: 'kl' (default, the paper), 'js' (Jensen-Shannon) or 'pmi' (pointwise
   * mutual information at the action the influencee took; with a MOA that action comes one step later, so
   * the reward is settled then and credited to the step that earned it). */
  divergence: 'kl' | 'js' | 'pmi';
  /** Sum c_kj only over the agents k can see at the step of k's action (or symbol). Default true for model III
   * (the paper: a MOA predicts well only the agents in view; SSD repo), false for models I and II (their
   * influence is computed from the influencees' own policies, and model II's channel is broadcast). */
  influenceVisibleOnly: boolean;
  /** MOA models: train the MOA only on the agents it sees when they take the predicted action (the paper's
   * "train MOA only when visible": False for the MOA baseline, True for influence-MOA). Default true. */
  moaVisibleOnly: boolean;
  /** MOA models: the MOA loss is the mean cross-entropy over the predictions trained on ('visible'), or over
   * all predictions with the masked ones counting 0 ('all', the SSD repo's, with which the paper's MOA loss
   * weights were tuned). Default 'visible'. */
  moaLossNorm: 'visible' | 'all';
  /** Model I: influencees also learn from the influence they receive, beta * clip(sum_k c_kj) (our reading
   * of the paper's "influencee reward", Table 1: 1 in Cleanup, 0 in Harvest). Default false. */
  influenceeReward: boolean;
  /** Write a metrics line every this many environment steps. Default envs x episodeLength: one line per
   * wave of finished episodes (all envs start together, so their episodes end together). */
  reportEvery: number;
  /** Write a checkpoint every this many environment steps. Default 100,000. */
  checkpointEvery: number;
  /** Checkpoints kept in a run directory: the newest this many, plus any marked to keep (`commons
   * checkpoints RUN --mark ID`); older ones are deleted after each save. 0 keeps every checkpoint. Default 5. */
  keep: number;
  /** Workers (threads) to split the environments over; 0 trains in the calling thread. Each worker steps
   * envs / workers environments, computes gradients on its rollout, and every worker applies the average
   * (synchronous data parallelism): a run is reproducible for a given seed and worker count. Default 0. */
  workers: number;
  /** A name for the run, for people and tools comparing runs (no effect on training). Default ''. */
  name: string;
  /** Free-form labels of the run, e.g. ['baseline', 'sweep-3'] (no effect on training). Default []. */
  tags: string[];
}

/** Where a setting sits in `commons train --help` and the docs. */
export type PresetName = 'none' | 'paper';

export type Section = 'what' | 'env' | 'optim' | 'ppo' | 'models' | 'run';
export const SECTIONS: Record<Section, string> = {
  what: 'What to train',
  env: 'Environment',
  optim: 'Learning',
  ppo: 'PPO (--algo ppo)',
  models: 'Models',
  run: 'The run',
};

/** Facts about the machine that make some settings suspicious (the number of cores, for workers). */
export interface HostFacts { cores?: number }

/** One setting: its type and range, default, flag and help. */
export interface FieldSpec<V> {
  kind: 'int' | 'num' | 'choice' | 'bool' | 'map' | 'string' | 'strings' | 'schedule';
  /** Allowed range of numbers; `above` makes `min` exclusive (the value must be greater). */
  min?: number;
  max?: number;
  above?: boolean;
  values?: readonly string[];
  /** The default: a value, or a function of the settings before it in this table (lr by algorithm). */
  default: V | ((c: TrainConfig) => V);
  /** The default as the help shows it, where it is computed. */
  defaultText?: string;
  /** The command-line flag, without '--'; null for settings that have none. Booleans: the flag sets `flagSets`. */
  flag: string | null;
  /** The value a boolean flag sets (default true): `--influence-all` sets influenceVisibleOnly to false. */
  flagSets?: boolean;
  /** The flag's argument placeholder in help (N, X, FILE...). */
  arg?: string;
  section: Section;
  /** One line of help. */
  help: string;
  /** When the setting has an effect: a test of the settings and the words for it ("--algo ppo"). */
  appliesWhen?: { test: (c: TrainConfig) => boolean; text: string };
  /** A warning for a legal value that is almost surely a mistake. */
  suspicious?: (v: V, c: TrainConfig, host: HostFacts) => string | undefined;
}

/** Model predicates: which settings each model reads. */
const INFLUENCE_REWARD = (c: TrainConfig) => modelSpec(c.model).influenceReward;
const MEASURES_INFLUENCE = (c: TrainConfig) => modelSpec(c.model).influence !== 'none';
const MODEL_I = (c: TrainConfig) => modelSpec(c.model).conditionsOnInfluencers;
const MODEL_II = (c: TrainConfig) => modelSpec(c.model).communicates;
const MOA = (c: TrainConfig) => modelSpec(c.model).moa;
const PPO = { test: (c: TrainConfig) => c.algo === 'ppo', text: '--algo ppo' };
/** Each influence model's ablation (the same model without the influence reward), from the model table. */
const ABLATION: Record<string, string> = Object.fromEntries(
  Object.entries(MODEL_TABLE).flatMap(([name, spec]) => ('ablationOf' in spec ? [[spec.ablationOf, name]] : [])));

const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : String(n));

type Fields = { [K in keyof TrainConfig]-?: FieldSpec<TrainConfig[K]> };

export const FIELDS: Fields = {
  game: { kind: 'choice', values: GAMES, default: 'cleanup', flag: 'game', section: 'what', help: 'the game' },
  model: { kind: 'choice', values: MODELS, default: 'a2c', flag: 'model', section: 'what', help: 'the agents\' model (docs/training.md, Models)' },
  preset: {
    kind: 'choice', values: ['none', 'paper'], default: 'none', flag: 'preset', section: 'what',
    help: 'settings of a published experiment for --game and --model (commons presets); flags given beside it win',
  },
  algo: { kind: 'choice', values: ALGOS, default: 'a2c', flag: 'algo', section: 'what', help: 'the learning algorithm' },
  agents: {
    kind: 'int', min: 1, max: 255, default: (c) => gameInfo(c.game).defaultAgents, defaultText: perGameText('defaultAgents'),
    flag: 'agents', arg: 'N', section: 'what', help: 'agents per environment (at most the map\'s spawn points)',
  },
  envs: { kind: 'int', min: 1, max: 4096, default: 16, flag: 'envs', arg: 'N', section: 'what', help: 'environments stepped together' },
  steps: {
    kind: 'int', min: 1, default: 2e6, flag: 'steps', arg: 'N', section: 'what',
    help: 'environment steps over the whole batch (accepts 2e6); the run ends at the first update that reaches them',
    suspicious: (v, c) => (v < c.envs * c.rolloutSteps
      ? `less than one update (envs ${c.envs} x rollout ${c.rolloutSteps} = ${fmt(c.envs * c.rolloutSteps)} env steps): the run makes one update`
      : undefined),
  },
  seed: { kind: 'int', min: 0, default: 0, flag: 'seed', arg: 'N', section: 'what', help: 'seed of environments, initial weights and action sampling' },
  shareParams: { kind: 'bool', default: false, flag: 'share-params', section: 'what', help: 'one network for all agents, with an agent id input (not for influence models)' },
  episodeLength: {
    kind: 'int', min: 1, max: 1_000_000, default: (c) => gameInfo(c.game).episodeLength, defaultText: perGameText('episodeLength'),
    flag: 'episode-length', arg: 'N', section: 'env', help: 'steps per episode',
  },
  viewRadius: { kind: 'int', min: 1, max: 32, default: 7, flag: 'view-radius', arg: 'N', section: 'env', help: 'view radius: agents see (2r+1) x (2r+1) cells; the paper\'s 15x15 is 7' },
  tagTimeout: {
    kind: 'int', min: 0, max: 1_000_000, default: 0, flag: 'tag-timeout', arg: 'N', section: 'env',
    help: 'steps a FIRE hit removes an agent for; 0 keeps it in play (the SSD repo), so peace stays N',
  },
  map: { kind: 'map', default: undefined, defaultText: 'the game\'s', flag: 'map', arg: 'FILE', section: 'env', help: 'a text file of ASCII map rows replacing the game\'s map (docs/RULES.md characters)' },
  backend: { kind: 'choice', values: BACKENDS, default: 'wasm', flag: 'backend', section: 'run', help: 'tfjs backend' },
  gamma: {
    kind: 'num', min: 0, max: 1, default: 0.99, flag: 'gamma', arg: 'X', section: 'optim', help: 'discount factor',
    suspicious: (v) => (v < 0.9 ? `discounts rewards more than ~${Math.max(1, Math.round(1 / (1 - v)))} steps away to almost nothing; the paper uses 0.99` : undefined),
  },
  lr: {
    kind: 'num', min: 0, above: true, max: 1, default: (c) => (c.algo === 'ppo' ? 2.5e-4 : 7e-4), defaultText: '7e-4 (a2c), 2.5e-4 (ppo)',
    flag: 'lr', arg: 'X', section: 'optim', help: 'learning rate (RMSprop for a2c, Adam for ppo)',
    suspicious: (v) => (v > 0.01 ? 'high for RMSprop or Adam on this network (the defaults are 7e-4 and 2.5e-4): training is likely to diverge' : undefined),
  },
  lrEnd: {
    kind: 'num', min: 0, max: 1, default: (c) => c.lr, defaultText: '--lr (constant)', flag: 'lr-end', arg: 'X', section: 'optim',
    help: 'the learning rate anneals linearly from --lr to this over --lr-anneal-steps, then stays',
    suspicious: (v, c) => (v > c.lr ? `above --lr (${c.lr}): the learning rate rises during the run` : undefined),
  },
  lrAnnealSteps: {
    kind: 'int', min: 1, default: 2e7, flag: 'lr-anneal-steps', arg: 'N', section: 'optim',
    help: 'env steps over which the learning rate goes from --lr to --lr-end (the SSD repo: 2e7)',
  },
  entropyCoef: {
    kind: 'num', min: 0, default: 0.01, flag: 'entropy', arg: 'X', section: 'optim', help: 'entropy bonus weight',
    suspicious: (v) => (v > 0.1 ? 'an entropy bonus this large keeps the policies close to uniformly random' : undefined),
  },
  valueCoef: {
    kind: 'num', min: 0, default: 0.5, flag: 'value-coef', arg: 'X', section: 'optim', help: 'value loss weight',
    suspicious: (v) => (v === 0 ? 'the value head never learns, and advantages are measured against an untrained baseline' : undefined),
  },
  maxGradNorm: { kind: 'num', min: 0, above: true, default: 40, flag: 'max-grad-norm', arg: 'X', section: 'optim', help: 'clip each agent\'s gradients to this global norm' },
  rolloutSteps: {
    kind: 'int', min: 1, max: 100_000, default: (c) => (c.algo === 'ppo' ? 32 : 20), defaultText: '20 (a2c), 32 (ppo)',
    flag: 'rollout', arg: 'N', section: 'optim', help: 'steps per rollout, one update each (the LSTM\'s truncated backpropagation length)',
  },
  gaeLambda: { kind: 'num', min: 0, max: 1, default: 0.95, flag: 'gae-lambda', arg: 'X', section: 'ppo', appliesWhen: PPO, help: 'GAE lambda' },
  clip: { kind: 'num', min: 0, above: true, max: 10, default: 0.2, flag: 'clip', arg: 'X', section: 'ppo', appliesWhen: PPO, help: 'clipping range of the probability ratio' },
  epochs: { kind: 'int', min: 1, max: 1000, default: 4, flag: 'epochs', arg: 'N', section: 'ppo', appliesWhen: PPO, help: 'passes over each rollout' },
  minibatches: { kind: 'int', min: 1, max: 4096, default: 2, flag: 'minibatches', arg: 'N', section: 'ppo', appliesWhen: PPO, help: 'minibatches per pass, split by (agent, env) stream; must divide envs / workers' },
  iaAlpha: {
    kind: 'num', min: 0, default: 5, flag: 'ia-alpha', arg: 'X', section: 'models', help: 'inequity aversion: weight of disadvantageous inequity',
    appliesWhen: { test: (c) => c.model === 'inequity-aversion', text: '--model inequity-aversion' },
  },
  iaBeta: {
    kind: 'num', min: 0, default: 0.05, flag: 'ia-beta', arg: 'X', section: 'models', help: 'inequity aversion: weight of advantageous inequity',
    appliesWhen: { test: (c) => c.model === 'inequity-aversion', text: '--model inequity-aversion' },
  },
  influencers: {
    kind: 'int', min: 1, max: 254, default: 1, flag: 'influencers', arg: 'K', section: 'models', help: 'model I: agents 0..K-1 are influencers, acting first',
    appliesWhen: { test: MODEL_I, text: '--model visible-actions or influence' },
  },
  vocab: {
    kind: 'int', min: 0, max: 64, default: 0, defaultText: '0 = the number of actions', flag: 'vocab', arg: 'V', section: 'models',
    help: 'model II: symbols in the cheap-talk vocabulary; 0 means the game\'s number of actions',
    appliesWhen: { test: MODEL_II, text: '--model comm or influence-comm' },
  },
  moaLossWeight: {
    kind: 'num', min: 0, default: 1, flag: 'moa-loss-weight', arg: 'X', section: 'models', help: 'MOA models: weight of the MOA\'s cross-entropy',
    appliesWhen: { test: MOA, text: '--model moa or influence-moa' },
    suspicious: (v) => (v === 0 ? 'the Model of Other Agents is never trained, so its predictions (and any influence from them) stay random' : undefined),
  },
  moaForm: {
    kind: 'choice', values: MOA_FORMS, default: 'head', flag: 'moa-form', section: 'models',
    help: 'MOA models: where the actions of step t enter the MOA: its head (a counterfactual re-runs the head) or its LSTM (the paper; a counterfactual re-runs an LSTM step)',
    appliesWhen: { test: MOA, text: '--model moa or influence-moa' },
  },
  commEntropyCoef: {
    kind: 'num', min: 0, default: (c) => c.entropyCoef, defaultText: '--entropy', flag: 'comm-entropy', arg: 'X', section: 'models',
    help: 'model II: entropy bonus weight of the message head',
    appliesWhen: { test: MODEL_II, text: '--model comm or influence-comm' },
  },
  commLossWeight: {
    kind: 'num', min: 0, default: 1, flag: 'comm-loss-weight', arg: 'X', section: 'models', help: 'model II: weight of the message stream\'s loss in each agent\'s loss',
    appliesWhen: { test: MODEL_II, text: '--model comm or influence-comm' },
    suspicious: (v) => (v === 0 ? 'the message head is never trained, so the symbols stay random' : undefined),
  },
  commEmbedding: {
    kind: 'int', min: 0, max: 1024, default: 0, defaultText: '0 = one-hot', flag: 'comm-embedding', arg: 'E', section: 'models',
    help: 'model II: the heard symbols pass a learned linear embedding of this size before the heads; 0 feeds them one-hot',
    appliesWhen: { test: MODEL_II, text: '--model comm or influence-comm' },
  },
  influenceBeta: {
    kind: 'num', min: 0, default: 1, flag: 'beta', arg: 'X', section: 'models', help: 'influence reward weight at the end of the curriculum',
    appliesWhen: { test: INFLUENCE_REWARD, text: '--model influence, influence-comm or influence-moa' },
    suspicious: (v, c) => (v === 0 ? `no influence reward: ${c.model} trains as its ablation ${ABLATION[c.model] ?? ''} does` : undefined),
  },
  extrinsicWeight: {
    kind: 'num', min: 0, default: 1, flag: 'alpha', arg: 'X', section: 'models',
    help: 'weight alpha of the game\'s reward in alpha * e + beta * c, for the stream the influence trains (model II: the messages)',
    appliesWhen: { test: INFLUENCE_REWARD, text: '--model influence, influence-comm or influence-moa' },
  },
  influenceStart: {
    kind: 'int', min: 0, default: (c) => Math.round(0.02 * c.steps), defaultText: '2% of --steps', flag: 'influence-start', arg: 'N', section: 'models',
    help: 'curriculum: beta is 0 before this env step, then ramps linearly',
    appliesWhen: { test: INFLUENCE_REWARD, text: '--model influence, influence-comm or influence-moa' },
  },
  influenceEnd: {
    kind: 'int', min: 0, default: (c) => Math.max(c.influenceStart, Math.round(0.2 * c.steps)), defaultText: '20% of --steps', flag: 'influence-end', arg: 'N', section: 'models',
    help: 'curriculum: ...reaching --beta at this env step',
    appliesWhen: { test: INFLUENCE_REWARD, text: '--model influence, influence-comm or influence-moa' },
  },
  influenceSchedule: {
    kind: 'schedule', default: (c) => [[c.influenceStart, 0], [c.influenceEnd, 1]], defaultText: 'START:0,END:1 (from --influence-start, --influence-end)',
    flag: 'beta-schedule', arg: 'STEP:X,...', section: 'models',
    help: 'the curriculum as points env-step:multiplier of --beta, linear between them, held after the last (e.g. 0:0,1e7:0,1e8:1,3e8:0.5)',
    appliesWhen: { test: INFLUENCE_REWARD, text: '--model influence, influence-comm or influence-moa' },
    suspicious: (v, c) => {
      const top = Math.max(...v.map((p) => p[1])), atEnd = scheduleAt(v, finalSteps(c));
      return c.influenceBeta > 0 && atEnd < top
        ? `the curriculum is unfinished at the run's end (${fmt(finalSteps(c))} env steps): beta reaches ${+(c.influenceBeta * atEnd).toPrecision(3)} of ${+(c.influenceBeta * top).toPrecision(3)}`
        : undefined;
    },
  },
  influenceClip: {
    kind: 'num', min: 0, default: 10, flag: 'influence-clip', arg: 'X', section: 'models', help: 'the influence reward c_k is clipped to [-X, X] (only PMI can be negative)',
    appliesWhen: { test: INFLUENCE_REWARD, text: '--model influence, influence-comm or influence-moa' },
    suspicious: (v, c) => (v === 0 ? `the influence reward is always 0: ${c.model} trains as its ablation ${ABLATION[c.model] ?? ''} does` : undefined),
  },
  divergence: {
    kind: 'choice', values: DIVERGENCES, default: 'kl', flag: 'divergence', section: 'models', help: 'divergence of the influence reward (pmi: at the action taken)',
    appliesWhen: { test: MEASURES_INFLUENCE, text: 'models that measure influence' },
  },
  influenceVisibleOnly: {
    kind: 'bool', default: (c) => MOA(c), flag: 'influence-all', flagSets: false, section: 'models',
    defaultText: 'off (model III); on for models I and II',
    help: 'reward influence on all agents, not only those the influencer sees at its action\'s step',
    appliesWhen: { test: MEASURES_INFLUENCE, text: 'models that measure influence' },
  },
  moaVisibleOnly: {
    kind: 'bool', default: true, flag: 'moa-train-all', flagSets: false, section: 'models', defaultText: 'off',
    help: 'train the MOA on every other agent, not only those it sees when they act (the paper\'s MOA baseline)',
    appliesWhen: { test: MOA, text: '--model moa or influence-moa' },
  },
  moaLossNorm: {
    kind: 'choice', values: MOA_LOSS_NORMS, default: 'visible', flag: 'moa-loss-norm', section: 'models',
    help: 'MOA loss: mean over the predictions trained on (visible) or over all, masked ones as 0 (all: the SSD repo)',
    appliesWhen: { test: MOA, text: '--model moa or influence-moa' },
  },
  influenceeReward: {
    kind: 'bool', default: false, flag: 'influencee-reward', section: 'models',
    help: 'model I: influencees also get beta x the influence they receive (the paper\'s "influencee reward")',
    appliesWhen: { test: (c) => c.model === 'influence', text: '--model influence' },
  },
  reportEvery: {
    kind: 'int', min: 1, default: (c) => c.envs * c.episodeLength, defaultText: 'envs x episode length', flag: 'report-every', arg: 'N', section: 'run',
    help: 'env steps between lines of metrics.jsonl',
    suspicious: (v, c) => (v > c.steps ? `more than --steps (${fmt(c.steps)}): the run writes no metrics line before its end` : undefined),
  },
  checkpointEvery: { kind: 'int', min: 1, default: 100_000, flag: 'checkpoint-every', arg: 'N', section: 'run', help: 'env steps between checkpoints (and one at the end)' },
  keep: { kind: 'int', min: 0, max: 1_000_000, default: 5, flag: 'keep', arg: 'K', section: 'run', help: 'keep the newest K checkpoints (and marked ones); 0 keeps all' },
  workers: {
    kind: 'int', min: 0, max: 64, default: 0, flag: 'workers', arg: 'W', section: 'run',
    help: 'worker threads to split the envs over (must divide --envs); 0 trains in this thread',
    suspicious: (v, _c, host) => (host.cores !== undefined && v > host.cores
      ? `more workers than the machine's ${host.cores} cores: they compete for the cores and wait for each other at every update, which slows the run down`
      : undefined),
  },
  name: { kind: 'string', default: '', flag: 'name', arg: 'TEXT', section: 'run', help: 'a name for the run (kept in config.json; no effect on training)' },
  tags: { kind: 'strings', default: [], defaultText: 'none', flag: 'tag', arg: 'TAG', section: 'run', help: 'a label for the run; repeat or separate with commas (kept in config.json)' },
};

/** The settings' defaults, where they do not depend on other settings. */
export const DEFAULTS = Object.fromEntries(
  Object.entries(FIELDS).filter(([, f]) => typeof f.default !== 'function' && f.default !== undefined).map(([k, f]) => [k, f.default]),
) as Partial<TrainConfig>;

/** The keys of TrainConfig, in the table's order. */
export const CONFIG_KEYS = Object.keys(FIELDS) as (keyof TrainConfig)[];

const describe = (v: unknown) => JSON.stringify(v) ?? String(v);

/** The allowed values of a setting, in words ("an integer from 1 to 255", "one of a2c, ppo"). */
export function allowedText(f: FieldSpec<unknown>): string {
  switch (f.kind) {
    case 'choice': return `one of ${f.values!.join(', ')}`;
    case 'bool': return 'true or false';
    case 'map': return 'an array of strings (map rows)';
    case 'string': return 'a string';
    case 'strings': return 'an array of strings';
    case 'schedule': return 'points [env step, value] with steps >= 0 in non-decreasing order (equal steps make a jump) and values >= 0 (on the command line STEP:X,STEP:X,...)';
    default: {
      const what = f.kind === 'int' ? 'an integer' : 'a number';
      const lo = f.above ? `> ${f.min}` : `>= ${f.min}`;
      if (f.max === undefined) return `${what} ${lo}`;
      return f.above ? `${what} > ${f.min} and <= ${f.max}` : `${what} from ${f.min} to ${f.max}`;
    }
  }
}

/** Throws InputError unless `v` is an allowed value of setting `key`; `label` names it in the message (the
 * field name, or the flag on the command line). */
export function checkField(key: keyof TrainConfig, v: unknown, label: string = key): void {
  const f = FIELDS[key] as FieldSpec<unknown>;
  const fail = () => { throw new InputError(`${label}: expected ${allowedText(f)}, got ${describe(v)}`); };
  switch (f.kind) {
    case 'map':
      if (v !== undefined && !(Array.isArray(v) && v.length > 0 && v.every((r) => typeof r === 'string'))) fail();
      return;
    case 'choice':
      if (!f.values!.includes(v as string)) throw new InputError(`${label}: unknown value ${describe(v)}; allowed values: ${f.values!.join(', ')}`);
      return;
    case 'bool':
      if (typeof v !== 'boolean') fail();
      return;
    case 'string':
      if (typeof v !== 'string') fail();
      return;
    case 'strings':
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) fail();
      return;
    case 'schedule': {
      const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
      if (!Array.isArray(v) || v.length === 0) fail();
      const pts = v as unknown[];
      for (let i = 0; i < pts.length; i++) {
        const p = pts[i];
        if (!Array.isArray(p) || p.length !== 2 || !num(p[0]) || !num(p[1])) fail();
        if (i > 0 && (p as number[])[0] < (pts[i - 1] as number[])[0]) fail();
      }
      return;
    }
    default: {
      const ok = typeof v === 'number' && Number.isFinite(v) && (f.kind === 'num' || Number.isInteger(v)) &&
        (f.above ? v > f.min! : v >= f.min!) && (f.max === undefined || v <= f.max);
      if (!ok) fail();
      // 1e300 is an integer to JavaScript, but not one it counts exactly: no count or step may be that large
      if (f.kind === 'int' && !Number.isSafeInteger(v)) {
        throw new InputError(`${label}: expected an integer below 2^53 (${Number.MAX_SAFE_INTEGER.toLocaleString('en-US')}), got ${describe(v)}`);
      }
    }
  }
}

/** Fills defaults and checks every field; throws InputError naming the field and its allowed values. */
export function resolveTrainConfig(partial: Partial<TrainConfig>): TrainConfig {
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) throw new InputError('config: expected an object of settings');
  for (const key of Object.keys(partial)) {
    if (!(key in FIELDS)) throw new InputError(`config: unknown setting '${key}'; settings: ${CONFIG_KEYS.join(', ')}`);
  }
  let defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<TrainConfig>;
  if (defined.preset !== undefined && defined.preset !== 'none') {
    checkField('preset', defined.preset);
    for (const key of ['game', 'model'] as const) if (defined[key] !== undefined) checkField(key, defined[key]);
    // The preset's values sit under the settings given beside it.
    defined = { ...presetSettings(defined.preset, defined.game ?? (FIELDS.game.default as GameName), defined.model ?? (FIELDS.model.default as ModelName)), ...defined };
  }
  const c = {} as Record<string, unknown>;
  // In table order, so that a computed default sees the settings it depends on (lr sees algo; influenceEnd
  // sees influenceStart), checked before use.
  for (const key of CONFIG_KEYS) {
    const f = FIELDS[key] as FieldSpec<unknown>;
    let v = key in defined ? defined[key] : typeof f.default === 'function' ? (f.default as (c: TrainConfig) => unknown)(c as unknown as TrainConfig) : f.default;
    if (Array.isArray(v)) v = v.map((x) => (Array.isArray(x) ? [...x] : x));
    // checked at once: a later default may read it (influenceVisibleOnly reads the model)
    checkField(key, v);
    if (v !== undefined) c[key] = v;
  }
  return checkCombination(c as unknown as TrainConfig);
}

/** Checks the settings against each other. */
function checkCombination(c: TrainConfig): TrainConfig {
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
  checkUpdateMemory(c);
  return c;
}

/** The most memory one update of one shard may need: the WASM backend (the default) holds an update's
 * tensors in a 32-bit address space of 4 GiB; the other backends are held to the same bound. */
export const UPDATE_MEMORY_LIMIT = 4 * 2 ** 30;

/**
 * About the memory one update of one shard needs (bytes): every agent-step of its rollout (envs / workers x
 * rolloutSteps x agents) is kept for the update with its view, its activations and their gradients. Measured
 * on the WASM backend (its heap after two updates, commons' networks): about 8 KB plus 27 bytes per byte of
 * the (2r+1)^2 x 3 view per agent-step, twice that for the models with a Model of Other Agents (BENCHMARKS.md,
 * "Memory of one update"). An estimate: it decides only what is refused up front.
 */
export function updateMemoryBytes(c: Pick<TrainConfig, 'envs' | 'workers' | 'rolloutSteps' | 'agents' | 'viewRadius' | 'model'>): number {
  const view = (2 * c.viewRadius + 1) ** 2 * 3;
  const samples = (c.envs / Math.max(1, c.workers)) * c.rolloutSteps * c.agents;
  return samples * (8192 + 27 * view) * (modelSpec(c.model).moa ? 2 : 1);
}

/** Refuses sizes whose update cannot be allocated (UPDATE_MEMORY_LIMIT), saying what they would need. */
function checkUpdateMemory(c: TrainConfig): void {
  const need = updateMemoryBytes(c);
  if (need <= UPDATE_MEMORY_LIMIT) return;
  const gib = (b: number) => `${+(b / 2 ** 30).toPrecision(3)} GiB`;
  const side = 2 * c.viewRadius + 1;
  const shard = c.workers > 0 ? `each of ${c.workers} workers' ${c.envs / c.workers} envs` : `${c.envs} envs`;
  throw new InputError(`envs: ${shard} x ${c.rolloutSteps} rollout steps x ${c.agents} agents of ${side}x${side} views need about ` +
    `${gib(need)} for one update, more than the ${gib(UPDATE_MEMORY_LIMIT)} it may use (the WASM backend's memory); ` +
    'use fewer envs, a shorter rollout, or more workers (each holds envs / workers of it)');
}

/** Env steps per update: every environment steps a rollout. */
export const stepsPerUpdate = (c: Pick<TrainConfig, 'envs' | 'rolloutSteps'>) => c.envs * c.rolloutSteps;

/** Where a run of `c` ends: the first update boundary at or past c.steps. Updates come in whole rollouts of
 * every environment, so a budget that is not a multiple of envs x rolloutSteps ends just past it, and
 * every display (progress, ETA, summary) counts to this figure. */
export function finalSteps(c: Pick<TrainConfig, 'steps' | 'envs' | 'rolloutSteps'>): number {
  const per = stepsPerUpdate(c);
  return Math.ceil(c.steps / per) * per;
}

/**
 * Warnings for a resolved configuration: settings given (keys of `given`) that have no effect with this
 * model or algorithm, and values that are legal but almost surely a mistake. One line each, naming the
 * setting by `label` (the flag on the command line).
 */
export function configWarnings(given: Partial<TrainConfig>, c: TrainConfig, host: HostFacts = {},
  label: (key: keyof TrainConfig) => string = (k) => k): string[] {
  const out: string[] = [];
  // A value the preset set is not a default: say where it came from.
  const fromPreset: Partial<TrainConfig> = c.preset !== 'none' ? presetSettings(c.preset, c.game, c.model) : {};
  for (const key of CONFIG_KEYS) {
    const f = FIELDS[key] as FieldSpec<unknown>;
    const isGiven = given[key] !== undefined;
    if (isGiven && f.appliesWhen && !f.appliesWhen.test(c)) {
      out.push(`${label(key)} has no effect here: it applies with ${f.appliesWhen.text} (this run: --model ${c.model}, --algo ${c.algo})`);
      continue;
    }
    if (f.appliesWhen && !f.appliesWhen.test(c)) continue;
    // Suspicious values are reported whether given or computed (a computed default can still be odd next to
    // a given setting, e.g. reportEvery beyond a short --steps).
    const why = f.suspicious?.(c[key], c, host);
    if (why) out.push(`${label(key)} ${describe(c[key])}${isGiven ? '' : fromPreset[key] !== undefined ? ` (--preset ${c.preset})` : ' (default)'}: ${why}`);
  }
  return out;
}

/** A run's environment settings, as createVecEnv takes them (the caller adds numEnvs, seed and firstEnv). */
export function envSettings(c: TrainConfig): { game: GameName; numAgents: number; map?: string[]; viewRadius: number; episodeLength: number; tagTimeout: number } {
  return { game: c.game, numAgents: c.agents, map: c.map, viewRadius: c.viewRadius, episodeLength: c.episodeLength, tagTimeout: c.tagTimeout };
}

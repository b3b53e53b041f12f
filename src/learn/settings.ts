// The settings every model shares (CoreConfig), and the shape of a setting's entry in the settings table
// (FieldSpec). A model's own settings live in its module (src/learn/models/), which declares their entries
// there; src/learn/config.ts joins the two into TrainConfig and FIELDS. Nothing here imports a model, so
// the models can import this file.

import type { GameName } from '../env/games.ts';
import type { BackendName } from './tfjs/backend.ts';

export type PresetName = 'none' | 'paper';
export const NET_FORMS = ['head', 'paper'] as const;
export type NetForm = (typeof NET_FORMS)[number];

/** The settings of a run that do not belong to one model (the model's own: its module's `settings`). */
export interface CoreConfig {
  /** Game: a name of the table of games (src/env/games.ts): 'harvest', 'cleanup' or 'box-trapped'. Default 'cleanup'. */
  game: GameName;
  /** Model: one of the models in the registry (src/learn/models/registry.ts): 'a2c' (the baseline), the
   * reward-shaping baselines, and the paper's models I, II, III, each beside its ablation. Default 'a2c'. */
  model: string;
  /** A preset of settings filled in before the defaults (settings given beside it win): 'paper' sets every value
   * of Jaques et al. 2019's Tables 1-3 for the game and model (src/learn/presets.ts, `commons presets`). Default 'none'. */
  preset: PresetName;
  /** Algorithm: one of the algorithms' registry (src/learn/algos/registry.ts): 'a2c' (synchronous A3C) or 'ppo'. Default 'a2c'. */
  algo: string;
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
  /** Influence models and their ablations: where the conditioning inputs enter the network. 'paper': into
   * the LSTM, as the paper builds them (model I's influencees see the influencers' actions of this step,
   * model II's listeners the symbols of the last step, model III's policies the others' last actions and
   * its MOA the actions of this step); counterfactuals run their own LSTM steps. 'head': after the LSTM,
   * beside its output before the heads, so that a counterfactual re-runs only the heads (commons' faster
   * form, a departure from the paper). Default 'head'; --preset paper sets 'paper'. */
  netForm: NetForm;
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

/** One setting: its type and range, default, flag and help. C: the settings its functions see. */
export interface FieldSpec<V, C = CoreConfig> {
  kind: 'int' | 'num' | 'choice' | 'bool' | 'map' | 'string' | 'strings' | 'schedule';
  /** Allowed range of numbers; `above` makes `min` exclusive (the value must be greater). */
  min?: number;
  max?: number;
  above?: boolean;
  values?: readonly string[];
  /** The default: a value, or a function of the settings before it in the table (lr by algorithm). */
  default: V | ((c: C) => V);
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
  /** When the setting has an effect: a test of the settings and the words for it ("--algo ppo"). A model's
   * own settings get theirs from the models that declare them. */
  appliesWhen?: { test: (c: C) => boolean; text: string };
  /** A warning for a legal value that is almost surely a mistake. */
  suspicious?: (v: V, c: C, host: HostFacts) => string | undefined;
}

// What a model is: the interface every model implements, in one module per model (or per model and its
// ablation, which share a network), listed once in ./registry.ts. A model says what it adds to each agent's
// network (conditioning inputs, a message head), which settings it reads and where they apply, what
// counterfactuals it measures influence with, what state it carries from step to step, which reward terms it
// learns from and which losses it adds to the algorithm's. The generic Policy (../policy/policy.ts) calls the
// hooks through a PolicyView, the part of the policy a model may read; the algorithms (../algos/) add the
// models' losses in one place (../algos/update.ts).

import type * as tf from '@tensorflow/tfjs-core';
import type { CoreConfig, FieldSpec } from '../settings.ts';
import type { Population, Heads } from '../policy/population.ts';
import type { Rollout } from '../rollout.ts';
import type { RewardTerm } from '../rewards.ts';
import type { InfluenceKernel } from '../../core/influence.ts';
import type { NamedTensor } from '../state.ts';
import type { UpdateStats } from '../algos/algorithm.ts';

/** A model's own settings: an entry of the settings table for each (they apply to the models declaring them). */
export type ModelFields<S> = { readonly [K in keyof S]-?: FieldSpec<S[K], CoreConfig & S> };

/** What a model adds to every agent's network. */
export interface NetworkSpec {
  /** Conditioning inputs of every stream (one-hot blocks: other agents' actions, symbols heard), `width`
   * values, entering at `at`: 'lstm' beside the dense layers' output into the LSTM (the paper's form), or
   * 'head' beside the LSTM's output before the heads. With `embedding` E > 0 ('head' only) they pass a learned
   * linear layer of E units first. */
  conditioning?: { width: number; at: 'lstm' | 'head'; embedding?: number };
  /** A second categorical output (model II's symbols) of `vocab` values with its own value head; with
   * `embedding` E > 0 both read a learned linear layer of E units of the LSTM output. Its loss in the update:
   * the entropy weight and its weight in the total (defaults: the actions' entropy weight, 1). */
  messages?: { vocab: number; embedding?: number; entropyCoef?: number; lossWeight?: number };
}

/**
 * Counterfactual conditioning inputs of networks [g0, g1), run by the acting step beside the real input (the
 * 'lstm' form): alternative k of stream (g, s) is the real conditioning with entry realIdx[g, altGroup[k], s]
 * of the conditioning block cleared and entry altIdx[g, k] set (entries count from the block's first column).
 */
export interface Alternatives {
  /** One-hot blocks that alternatives swap (per stream). */
  R: number;
  /** Alternatives per network. */
  K: number;
  /** [G', R, S]: the entry of block r set in the real input; -1 where none is. */
  realIdx: Int32Array;
  /** [G', K]: the entry alternative k sets. */
  altIdx: Int32Array;
  /** [K]: the block alternative k swaps. */
  altGroup: Int32Array;
}

/** The sequence outputs the update replays, [G, T * S', ...]: the heads, and the conv features (the MOA reads them). */
export type Unrolled = Heads & { conv: tf.Tensor3D };

/** A model's loss beside the algorithm's: per network [G], added with `weight`, reported as `name`. */
export interface ExtraLoss { name: string; perNetwork: tf.Tensor1D; weight: number }

/**
 * The part of a policy a model reads. Streams: with independent learners network g serves the B streams of
 * agent g (stream s = env s); with shared parameters one network serves all B * N streams (stream s = agent
 * s % N of env floor(s / N)). Env order: index b * N + i for agent i of env b.
 */
export interface PolicyView {
  readonly cfg: CoreConfig;
  readonly B: number;
  readonly N: number;
  /** Networks, and streams per network. */
  readonly G: number;
  readonly S: number;
  readonly numActions: number;
  readonly net: Population;
  /** The env-order index of network g's stream s, and its env. */
  stream(g: number, s: number): number;
  envOf(g: number, s: number): number;
  /** The last act(): policy logits [G * S * A], message logits [G * S * V] (with a message head), LSTM
   * outputs [G, S, H] and conv features [G, S, C], keep mask [G * S] (0 where an episode started), resets [B]. */
  readonly lastLogits: Float32Array;
  readonly msgLogits?: Float32Array;
  readonly lastFeatures?: tf.Tensor3D;
  readonly lastConv?: tf.Tensor3D;
  readonly lastKeep: Float32Array;
  readonly lastResets: Uint8Array;
  /** The symbols emitted at the last act() [B * N], env order (with a message head). */
  readonly symbols: Uint8Array;
  /** The LSTM outputs of the last act()'s counterfactual alternatives ('lstm' conditioning): [G', K, S, H] of
   * networks [g0, g1). */
  readonly lastAlternatives?: { hAlt: tf.Tensor4D; g0: number; g1: number };
  /** The rollout the last act() recorded its step into, if any. */
  readonly stepRollout?: Rollout;
}

/** The hooks of a model in one policy (all optional: a baseline has none). */
export interface ModelParts {
  /** Networks in the order they act, as ranges [g0, g1) (model I: the influencers first); default all at once. */
  readonly phases?: readonly (readonly [number, number])[];
  /** Whether its influence measured at a step belongs to the previous step (a symbol heard a step later, PMI
   * waiting for the others' next actions). */
  readonly lags?: boolean;
  /** Trainable variables beside the policy network's (the MOA's), in a fixed order; their format-1 (commons
   * 0.1) checkpoint prefix. */
  readonly variables?: readonly tf.Variable[];
  readonly legacyPrefix?: string;
  /** Start of act() (not of a bootstrap): advance the state that moves with every step. */
  beforeAct?(resets: Uint8Array): void;
  /** Fills the conditioning inputs of networks [g0, g1), out [G * S * width] (rows of other networks are left
   * as they are; all start at 0), from the env-order actions chosen so far this step and the resets [B]. */
  conditioning?(actions: ArrayLike<number>, resets: ArrayLike<number>, out: Float32Array, g0: number, g1: number): void;
  /** The counterfactual alternatives of networks [g0, g1) to run with this step ('lstm' conditioning). */
  alternatives?(actions: ArrayLike<number>, resets: ArrayLike<number>, g0: number, g1: number): Alternatives | undefined;
  /** Measures the influence of this step (after act(), before the environments step): c_k [B * N] and c_kj [B, N, N]. */
  measure?(actions: Uint8Array, visible: Uint8Array, kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): Promise<void>;
  /** After the environments stepped: the actions taken [B * N], done flags [B], and this step's influence (when measured). */
  afterStep?(actions: Uint8Array, dones: Uint8Array, ck?: Float32Array, ckj?: Float32Array): void;
  /** A rollout starts (record: acting's forward passes are kept for the update). */
  beginRollout?(r: Rollout, record: boolean): void;
  /** Step r.t is being recorded: the actions taken [B * N] and who sees whom after them [B * N * N]. */
  recordStep?(r: Rollout, actions: Uint8Array, visibleAfter: Uint8Array): void;
  /** Losses beside the algorithm's, on the replayed rollout (envs: the minibatch's streams, all when omitted). */
  losses?(r: Rollout, out: Unrolled, envs?: Int32Array): ExtraLoss[];
  /** After an update: statistics beside the losses' means (the MOA's accuracy counts). */
  afterUpdate?(): Promise<Partial<UpdateStats>>;
  /** State acting needs to continue exactly (checkpoints), and its restore; a fresh start of every episode. */
  getState?(): Promise<NamedTensor[]>;
  setState?(byName: Map<string, NamedTensor>): void;
  resetState?(): void;
  dispose?(): void;
}

/** A model: what it is, its settings and capabilities, and how it builds its part of a policy. */
export interface ModelDef<N extends string = string, S = {}> {
  readonly name: N;
  /** Its entry in the web app's menu. */
  readonly label: string;
  /** One line for help and docs, and where it comes from. */
  readonly summary: string;
  readonly source: string;
  /** The paper model this one is the ablation of (no influence reward), if any. */
  readonly ablationOf?: string;
  /** Its own settings (see ModelFields). */
  readonly settings?: ModelFields<S>;
  /** Defaults it gives shared settings (model III: the influence counts only agents in view). */
  readonly defaults?: Partial<CoreConfig>;
  /** Needs each agent's own network (no --share-params), and this many agents at least. */
  readonly independentOnly?: boolean;
  readonly minAgents?: number;
  /** Measures influence (the influence kernel runs; metrics and evaluation report it). */
  readonly measuresInfluence?: boolean;
  /** Learns from the influence reward (the curriculum and influence weights apply). */
  readonly influenceReward?: boolean;
  /** Has the paper's and commons' network forms (--net-form applies). */
  readonly netForms?: boolean;
  /** Its metrics lines carry the MOA block (loss and accuracy of the next-action predictions). */
  readonly moaMetrics?: boolean;
  /** A check of its settings against each other: [setting, message] when they do not fit. */
  check?(c: CoreConfig & S): [string, string] | undefined;
  /** The reward terms it learns from, in the order they apply (B envs of N agents). */
  rewardTerms?(c: CoreConfig & S, B: number, N: number): RewardTerm[];
  /** What it adds to every agent's network (N agents, A actions). */
  network?(c: CoreConfig & S, dims: { N: number; A: number }): NetworkSpec;
  /** Its hooks in a policy. */
  create?(view: PolicyView, c: CoreConfig & S): ModelParts;
}

/** Declares a model (keeps its name's literal type for the registry). */
export const defineModel = <const N extends string, S = {}>(def: ModelDef<N, S>): ModelDef<N, S> => def;

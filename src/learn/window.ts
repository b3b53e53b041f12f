// Metrics windows: what happened between two lines of metrics.jsonl. Each environment shard keeps one for
// its episodes and influence; the trainer keeps one for its updates and merges the shards' into it (in
// shard order, so a run's metrics are a function of its configuration) when it writes a line.

import type { EpisodeStats } from '../env/vec-env.ts';
import type { UpdateStats } from './learner.ts';

/** One line of metrics.jsonl. Fields that depend on wall-clock time are grouped under `timing`. */
export interface MetricsRow {
  env_steps: number;
  agent_steps: number;
  updates: number;
  /** Episodes finished since the previous line; the episode statistics below average over them (null if 0). */
  episodes: number;
  collective_return: number | null;
  returns: number[] | null;
  efficiency: number | null;
  equality: number | null;
  sustainability: number | null;
  peace: number | null;
  apples_eaten: number | null;
  fire_actions: number | null;
  clean_actions: number | null;
  hits: number | null;
  /** Mean over the updates since the previous line. */
  policy_loss: number;
  value_loss: number;
  entropy: number;
  grad_norm: number;
  /** Influence models: mean c_kj per ordered pair [k][j] over the agent-steps since the previous line,
   * their total (mean over steps of the sum over pairs, per env), and the beta in force at the end. */
  influence?: { matrix: number[][]; total: number; beta: number };
  /** influence.total, at the top level for plotting (null for models without influence). */
  influence_total: number | null;
  /** MOA models: cross-entropy and accuracy of the next-action predictions, beside chance (log A, 1/A). */
  moa?: {
    loss: number; accuracy: number | null; chance_loss: number; chance_accuracy: number;
    /** The accuracy of predicting, for each agent and each other agent, that one's most frequent action among
     * the same targets (the marginal predictor; docs/metrics.md); null when none was counted. */
    majority_accuracy: number | null;
  };
  /** Games with statistics of their own (Box trapped): each one's mean over the episodes since the previous line
   * where it has a value (a flag's mean is the fraction of episodes; a step's, the mean where it happened). */
  game_stats?: Record<string, number | null>;
  timing: { agent_steps_per_s: number; env_s: number; inference_s: number; update_s: number; wall_s: number };
}

/** Influence measured over env-steps: sums of c_kj per ordered pair [k, j] and the env-steps counted; the
 * matrix of means, and their total per env-step. Training windows, evaluation and playback all average it
 * this way. */
export class InfluenceMeter {
  readonly sum: number[];
  steps = 0;
  constructor(readonly agents: number) {
    this.sum = new Array(agents * agents).fill(0);
  }

  /** Adds one step of ckj [B, N, N] over B envs. */
  add(ckj: ArrayLike<number>, B: number): void {
    const NN = this.agents * this.agents;
    for (let b = 0; b < B; b++) for (let k = 0; k < NN; k++) this.sum[k] += ckj[b * NN + k];
    this.steps += B;
  }

  /** Mean c_kj [k][j] per env-step (zeros before any step). */
  matrix(): number[][] {
    const N = this.agents;
    return Array.from({ length: N }, (_, k) => Array.from({ length: N }, (_, j) => (this.steps ? this.sum[k * N + j] / this.steps : 0)));
  }

  /** Mean over env-steps of the sum over all pairs (0 before any step). */
  total(): number {
    return this.steps ? this.sum.reduce((a, x) => a + x, 0) / this.steps : 0;
  }

  reset(): void {
    this.sum.fill(0);
    this.steps = 0;
  }
}

export class Window {
  episodes = 0;
  sums = { collective: 0, efficiency: 0, peace: 0, apples: 0, fires: 0, cleans: 0, hits: 0, equality: 0, sustainability: 0 };
  counts = { equality: 0, sustainability: 0 };
  returns: number[];
  updates = 0;
  loss = { policy: 0, value: 0, entropy: 0, grad: 0 };
  time = { env: 0, inference: 0, update: 0 };
  agentSteps = 0;
  readonly meter: InfluenceMeter;
  moa: { loss: number; correct: number; counted: number; targets?: number[] } = { loss: 0, correct: 0, counted: 0 };
  /** The game's own statistics: name -> [sum, episodes with a value]. */
  game: Record<string, [number, number]> = {};

  constructor(readonly agents: number) {
    this.returns = new Array(agents).fill(0);
    this.meter = new InfluenceMeter(agents);
  }

  /** Adds one step of pairwise influence ckj [B, N, N] over B envs. */
  addInfluence(ckj: Float32Array, B: number) {
    this.meter.add(ckj, B);
  }

  addEpisode(s: EpisodeStats) {
    const sum = (x: number[]) => x.reduce((a, b) => a + b, 0);
    this.episodes++;
    this.sums.collective += s.collectiveReturn;
    this.sums.efficiency += s.efficiency;
    this.sums.peace += s.peace;
    this.sums.apples += sum(s.applesEaten);
    this.sums.fires += sum(s.fireActions);
    this.sums.cleans += sum(s.cleanActions);
    this.sums.hits += sum(s.hitsReceived);
    if (s.equality !== null) { this.sums.equality += s.equality; this.counts.equality++; }
    if (s.sustainability !== null) { this.sums.sustainability += s.sustainability; this.counts.sustainability++; }
    s.returns.forEach((r, i) => (this.returns[i] += r));
    for (const [name, v] of Object.entries(s.game)) {
      const acc = (this.game[name] ??= [0, 0]);
      if (v !== null) { acc[0] += v; acc[1]++; }
    }
  }

  addUpdate(u: UpdateStats) {
    this.updates++;
    this.loss.policy += u.policyLoss;
    this.loss.value += u.valueLoss;
    this.loss.entropy += u.entropy;
    this.loss.grad += u.gradNorm;
    if (u.moaLoss !== undefined) {
      this.moa.loss += u.moaLoss;
      this.moa.correct += u.moaCorrect ?? 0;
      this.moa.counted += u.moaCounted ?? 0;
      if (u.moaTargets) addCounts(this.moa, u.moaTargets);
    }
  }

  /** The metrics line. `busy`: seconds the trainer spent in iterations (the throughput's denominator); `shards`:
   * how many shards' times were added (the env/inference/update times are reported per shard). */
  row(envSteps: number, agentSteps: number, updates: number, wall: number, busy: number, shards: number,
    extra: { beta?: number; numActions?: number; moa?: boolean } = {}): MetricsRow {
    const e = this.episodes;
    const per = (x: number) => (e ? x / e : null);
    const u = Math.max(this.updates, 1);
    return {
      env_steps: envSteps, agent_steps: agentSteps, updates, episodes: e,
      collective_return: per(this.sums.collective), returns: e ? this.returns.map((r) => r / e) : null,
      efficiency: per(this.sums.efficiency),
      equality: this.counts.equality ? this.sums.equality / this.counts.equality : null,
      sustainability: this.counts.sustainability ? this.sums.sustainability / this.counts.sustainability : null,
      peace: per(this.sums.peace), apples_eaten: per(this.sums.apples), fire_actions: per(this.sums.fires),
      clean_actions: per(this.sums.cleans), hits: per(this.sums.hits),
      policy_loss: this.loss.policy / u, value_loss: this.loss.value / u, entropy: this.loss.entropy / u, grad_norm: this.loss.grad / u,
      influence_total: extra.beta !== undefined && this.meter.steps ? this.meter.total() : null,
      ...(extra.beta !== undefined ? {
        influence: {
          matrix: this.meter.matrix(),
          total: this.meter.total(),
          beta: extra.beta,
        },
      } : {}),
      ...(Object.keys(this.game).length > 0 ? {
        game_stats: Object.fromEntries(Object.entries(this.game).map(([k, [sum, n]]) => [k, n ? sum / n : null])),
      } : {}),
      ...(extra.moa ? {
        moa: {
          loss: this.moa.loss / u, accuracy: this.moa.counted ? this.moa.correct / this.moa.counted : null,
          chance_loss: Math.log(extra.numActions!), chance_accuracy: 1 / extra.numActions!,
          majority_accuracy: majorityAccuracy(this.moa.targets, extra.numActions!),
        },
      } : {}),
      timing: {
        agent_steps_per_s: busy > 0 ? Math.round(this.agentSteps / busy) : 0,
        env_s: round(this.time.env / shards), inference_s: round(this.time.inference / shards), update_s: round(this.time.update / shards),
        wall_s: round(wall),
      },
    };
  }

  toJSON(): WindowState {
    return {
      episodes: this.episodes, sums: { ...this.sums }, counts: { ...this.counts }, returns: [...this.returns], updates: this.updates,
      loss: { ...this.loss }, influence: [...this.meter.sum], influenceSteps: this.meter.steps,
      moa: { ...this.moa, ...(this.moa.targets ? { targets: [...this.moa.targets] } : {}) },
      time: { ...this.time }, agentSteps: this.agentSteps,
      ...(Object.keys(this.game).length > 0 ? { game: Object.fromEntries(Object.entries(this.game).map(([k, v]) => [k, [...v] as [number, number]])) } : {}),
    };
  }

  static from(agents: number, o: WindowState): Window {
    const w = new Window(agents);
    w.add(o);
    return w;
  }

  /** Adds another window's counts to this one's (a shard's into the trainer's). */
  add(o: WindowState): void {
    this.episodes += o.episodes;
    for (const k of Object.keys(this.sums) as (keyof Window['sums'])[]) this.sums[k] += o.sums[k];
    this.counts.equality += o.counts.equality;
    this.counts.sustainability += o.counts.sustainability;
    o.returns.forEach((r, i) => (this.returns[i] += r));
    this.updates += o.updates;
    for (const k of Object.keys(this.loss) as (keyof Window['loss'])[]) this.loss[k] += o.loss[k];
    o.influence.forEach((x, k) => (this.meter.sum[k] += x));
    this.meter.steps += o.influenceSteps;
    this.moa.loss += o.moa.loss;
    this.moa.correct += o.moa.correct;
    this.moa.counted += o.moa.counted;
    // windows saved before the targets were counted have none
    if (o.moa.targets) addCounts(this.moa, o.moa.targets);
    // Checkpoints written before timing was kept have none.
    if (o.time) for (const k of Object.keys(this.time) as (keyof Window['time'])[]) this.time[k] += o.time[k];
    this.agentSteps += o.agentSteps ?? 0;
    for (const [name, [sum, n]] of Object.entries(o.game ?? {})) {
      const acc = (this.game[name] ??= [0, 0]);
      acc[0] += sum;
      acc[1] += n;
    }
  }
}

/** A window as plain data (checkpoints, messages between workers). */
export interface WindowState {
  episodes: number;
  sums: Window['sums'];
  counts: Window['counts'];
  returns: number[];
  updates: number;
  loss: Window['loss'];
  influence: number[];
  influenceSteps: number;
  moa: Window['moa'];
  time?: Window['time'];
  agentSteps?: number;
  /** The game's own statistics (games that keep any): name -> [sum, episodes with a value]. */
  game?: Record<string, [number, number]>;
}

export const round = (x: number) => Math.round(x * 1000) / 1000;

/** Adds counts into moa.targets (created at the counts' length). */
function addCounts(moa: { targets?: number[] }, counts: readonly number[]): void {
  const t = (moa.targets ??= new Array<number>(counts.length).fill(0));
  counts.forEach((x, k) => (t[k] += x));
}

/** The accuracy of the most-frequent-action predictor: over each (agent, other agent) block of A counts, the
 * largest count, summed, over all counts; null when nothing was counted. */
export function majorityAccuracy(counts: readonly number[] | undefined, A: number): number | null {
  if (!counts || counts.length === 0) return null;
  let best = 0, all = 0;
  for (let b = 0; b + A <= counts.length; b += A) {
    let m = 0;
    for (let a = 0; a < A; a++) { m = Math.max(m, counts[b + a]); all += counts[b + a]; }
    best += m;
  }
  return all > 0 ? best / all : null;
}

// Inequity aversion's shaping (Hughes et al. 2018), one of the reward terms of the learner's pipeline
// (./rewards.ts; the model that uses it: ./models/inequity-aversion.ts). Shaping lives in the learner: the
// environment never changes its rewards with flags (its rewards are the game's, docs/RULES.md), and metrics
// report those.

/** A shaping term sees one step of extrinsic rewards for every env and agent and adds to `out`. */
export interface ShapingTerm {
  readonly name: string;
  /** rewards, out: [B*N], agent i of env b at b*N + i; dones [B] mark envs whose episode just ended. */
  apply(rewards: Float32Array, dones: Uint8Array, out: Float32Array): void;
  /** State to checkpoint (plain numbers). */
  getState(): number[];
  setState(s: number[]): void;
}

export interface InequityAversionOptions {
  /** Disadvantageous inequity aversion: weight on others doing better. Default 5, the SSD repository's (Hughes et
   * al.'s own per-game values are not verified: docs/training.md, "Inequity aversion: which settings"). */
  alpha?: number;
  /** Advantageous inequity aversion: weight on doing better than others. Default 0.05 (the same). */
  beta?: number;
  /** Discount of the temporal smoothing. Default 0.99. */
  gamma?: number;
  /** Smoothing factor: e_t = gamma * lambda * e_{t-1} + r_t. Default 0.975. */
  lambda?: number;
}

/**
 * Inequity aversion (Hughes et al. 2018, Sec. 3): each agent keeps temporally smoothed rewards
 * e_i <- gamma lambda e_i + r_i, and receives
 *   r_i - alpha/(N-1) sum_j max(e_j - e_i, 0) - beta/(N-1) sum_j max(e_i - e_j, 0).
 * Smoothed rewards restart at 0 when an episode ends.
 */
export class InequityAversion implements ShapingTerm {
  readonly name = 'inequity-aversion';
  readonly alpha: number;
  readonly beta: number;
  readonly decay: number;
  private readonly smoothed: Float64Array;

  constructor(readonly numEnvs: number, readonly numAgents: number, opts: InequityAversionOptions = {}) {
    this.alpha = opts.alpha ?? 5;
    this.beta = opts.beta ?? 0.05;
    this.decay = (opts.gamma ?? 0.99) * (opts.lambda ?? 0.975);
    this.smoothed = new Float64Array(numEnvs * numAgents);
  }

  apply(rewards: Float32Array, dones: Uint8Array, out: Float32Array): void {
    const N = this.numAgents, e = this.smoothed;
    for (let k = 0; k < e.length; k++) e[k] = this.decay * e[k] + rewards[k];
    if (N > 1) {
      for (let b = 0; b < this.numEnvs; b++) {
        for (let i = 0; i < N; i++) {
          const ei = e[b * N + i];
          let dis = 0, adv = 0;
          for (let j = 0; j < N; j++) {
            if (j === i) continue;
            const d = e[b * N + j] - ei;
            if (d > 0) dis += d;
            else adv -= d;
          }
          out[b * N + i] -= (this.alpha * dis + this.beta * adv) / (N - 1);
        }
      }
    }
    for (let b = 0; b < this.numEnvs; b++) if (dones[b]) e.fill(0, b * N, (b + 1) * N);
  }

  getState(): number[] { return Array.from(this.smoothed); }
  setState(s: number[]): void { this.smoothed.set(s); }
}

// Model II (Jaques et al. 2019, Sec. 2.2), influential communication, and its ablation comm (the same
// network, no influence reward). Every agent emits a symbol each step from a message head of its own and
// hears the other agents' symbols of the previous step. The influence of agent k's symbol of step t is how
// much it moved every listener's action at t+1: for every alternative symbol the listener's policy is
// evaluated again with k's symbol replaced; the speaker's prior is its message policy of step t. It rewards
// the message stream of step t (measured a step late). Envs whose episode started at t+1 heard nothing: their
// influence is 0. With influenceVisibleOnly a listener counts when the speaker saw it at the step the symbol
// was emitted (the speaker's view when it chose the symbol, as the SSD repo's fixed MOA masks by the
// influencer's view at the step of its action), not at the step heard.
//
// Where the symbols enter (--net-form): 'paper' the others' symbols into the listener's LSTM (the paper's
// Fig. 3), and the comm embedding is a linear layer of E units between the LSTM and the message heads (the
// speaker's side, 10.4.2); 'head' every agent's symbols (its own included) beside the LSTM's output, through
// an embedding of E units of the heard symbols, so a counterfactual re-runs only the heads.

import * as tf from '@tensorflow/tfjs-core';
import { defineModel, type ModelFields, type ModelParts, type PolicyView, type Alternatives } from './model.ts';
import type { CoreConfig } from '../settings.ts';
import type { InfluenceKernel } from '../../core/influence.ts';
import type { NamedTensor } from '../state.ts';
import { InfluenceBonus } from '../rewards.ts';
import { readAndDispose } from '../tfjs/read.ts';
import { softmaxInto, scatterInfluence, othersOf } from '../counterfactual.ts';

export interface CommSettings {
  /** Symbols in the cheap-talk vocabulary; 0 = the game's number of actions (the paper's choice). Default 0. */
  vocab: number;
  /** Entropy bonus weight of the message head. Default entropyCoef (the paper searches it apart: Table 2's comm entropy). */
  commEntropyCoef: number;
  /** Weight of the message stream's loss (policy, value, entropy) in each agent's loss. Default 1. */
  commLossWeight: number;
  /** The comm embedding: units of a learned linear layer, between the LSTM and the message heads ('paper'), or of
   * the heard symbols before the heads ('head'); 0: none. Default 0 (the paper's Table 2 uses 16 and 32). */
  commEmbedding: number;
}

const settings: ModelFields<CommSettings> = {
  vocab: {
    kind: 'int', min: 0, max: 64, default: 0, defaultText: '0 = the number of actions', flag: 'vocab', arg: 'V', section: 'models',
    help: 'model II: symbols in the cheap-talk vocabulary; 0 means the game\'s number of actions',
  },
  commEntropyCoef: {
    kind: 'num', min: 0, default: (c) => c.entropyCoef, defaultText: '--entropy', flag: 'comm-entropy', arg: 'X', section: 'models',
    help: 'model II: entropy bonus weight of the message head',
  },
  commLossWeight: {
    kind: 'num', min: 0, default: 1, flag: 'comm-loss-weight', arg: 'X', section: 'models', help: 'model II: weight of the message stream\'s loss in each agent\'s loss',
    suspicious: (v) => (v === 0 ? 'the message head is never trained, so the symbols stay random' : undefined),
  },
  commEmbedding: {
    kind: 'int', min: 0, max: 1024, default: 0, defaultText: '0 = none', flag: 'comm-embedding', arg: 'E', section: 'models',
    help: 'model II: a learned linear layer of E units between the LSTM and the message heads (--net-form paper), or of the heard symbols before the heads (head); 0: none',
  },
};

export class Channel implements ModelParts {
  readonly lags = true;
  /** The symbols heard at the last act() (emitted the step before) [B * N], env order, and their message logits [G * S * V]. */
  readonly prevSymbols: Uint8Array;
  prevMsgLogits?: Float32Array;
  /** Who saw whom [B, N, N] at the step the last act()'s symbols were emitted (set by measure(), read at the
   * next step: a symbol's influence is masked by its speaker's view then). */
  readonly symbolVisible: Uint8Array;
  /** The last measure()'s counterfactual policies, softmax [N, slots * V, S, A]: listener j's, with the speaker
   * in slot x's symbol replaced by v (alternative x * V + v; slots: every agent in the 'head' form, the others
   * in the 'lstm' form), in stream s (kept for tests and tools). */
  lastCounterfactuals?: Float32Array;
  private readonly at: 'lstm' | 'head';
  private readonly V: number;

  constructor(private readonly p: PolicyView, c: CoreConfig & CommSettings) {
    this.V = c.vocab || p.numActions;
    this.at = c.netForm === 'paper' ? 'lstm' : 'head';
    this.prevSymbols = new Uint8Array(p.B * p.N);
    this.symbolVisible = new Uint8Array(p.B * p.N * p.N);
  }

  /** Position of speaker k in listener j's conditioning block: 'head' every agent's, 'lstm' the others' only. */
  slot(k: number, j: number): number {
    return this.at === 'head' || k < j ? k : k - 1;
  }

  beforeAct(): void {
    this.prevSymbols.set(this.p.symbols);
    this.prevMsgLogits = this.p.msgLogits;
  }

  /** One-hot symbols heard (emitted the step before: the policy's last symbols), all zero where an episode
   * starts; speaker k's replaced by `alt` when given. */
  conditioning(_actions: ArrayLike<number>, resets: ArrayLike<number>, out: Float32Array, g0: number, g1: number, k = -1, alt = 0): void {
    const { S, N } = this.p, V = this.V, w = (this.at === 'head' ? N : N - 1) * V;
    for (let g = g0; g < g1; g++) {
      for (let s = 0; s < S; s++) {
        const row = (g * S + s) * w, b = this.p.envOf(g, s), j = this.p.G === 1 ? s % N : g;
        out.fill(0, row, row + w);
        if (resets[b]) continue;
        for (let i = 0; i < N; i++) {
          if (this.at === 'lstm' && i === j) continue;
          out[row + this.slot(i, j) * V + (i === k ? alt : this.p.symbols[b * N + i])] = 1;
        }
      }
    }
  }

  /** 'lstm' form: for each other speaker (position q of the listener's block) and symbol v, alternative q * V + v. */
  alternatives(_actions: ArrayLike<number>, resets: ArrayLike<number>, g0: number, g1: number): Alternatives | undefined {
    if (this.at !== 'lstm') return undefined;
    const { B, N } = this.p, V = this.V, R = N - 1, Gp = g1 - g0;
    const realIdx = new Int32Array(Gp * R * B), altIdx = new Int32Array(Gp * R * V), altGroup = new Int32Array(R * V);
    for (let q = 0; q < R; q++) for (let v = 0; v < V; v++) altGroup[q * V + v] = q;
    for (let x = 0; x < Gp; x++) {
      const j = g0 + x;
      for (let y = 0; y < R * V; y++) altIdx[x * R * V + y] = y;
      for (let q = 0; q < R; q++) {
        const k = q < j ? q : q + 1;
        for (let b = 0; b < B; b++) realIdx[(x * R + q) * B + b] = resets[b] ? -1 : q * V + this.p.symbols[b * N + k];
      }
    }
    return { R, K: R * V, realIdx, altIdx, altGroup };
  }

  /** Writes c_k [B * N] (env order, owed to each speaker's symbol of the previous step) and c_kj [B, N, N]. */
  async measure(actions: Uint8Array, visible: Uint8Array, kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): Promise<void> {
    const { B, N } = this.p;
    ck.fill(0);
    ckj.fill(0);
    try {
      if (this.prevMsgLogits) await this.measureHeard(actions, kernel, ck, ckj); // else nothing was said before this step
    } finally {
      this.symbolVisible.set(visible.subarray(0, B * N * N)); // the view at this step's symbols, for the next step
    }
  }

  private async measureHeard(actions: Uint8Array, kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): Promise<void> {
    const p = this.p, { B, N, numActions: A, S, G } = p, V = this.V, cfg = p.cfg;
    const J = N - 1, resets = p.lastResets;
    // probs [G, slots * V, S, A]: listener g's policy with the speaker in slot x's symbol replaced by v (alternative x * V + v)
    const slots = this.at === 'head' ? N : N - 1;
    const probsT = tf.tidy(() => {
      if (this.at === 'lstm') {
        const { hAlt } = p.lastAlternatives!;
        const [, K, Sx, H] = hAlt.shape;
        return tf.softmax(tf.reshape(p.net.policyLogits(tf.reshape(hAlt, [G, K * Sx, H]) as tf.Tensor3D), [G, K, Sx, A]));
      }
      const width = N * V, alts = new Float32Array(N * V * S * width);
      for (let k = 0; k < N; k++) {
        for (let v = 0; v < V; v++) {
          // the symbols heard are the same in every listener's row: rows of network 0
          const rows = new Float32Array(S * width);
          this.heardRows(resets, rows, k, v);
          alts.set(rows, (k * V + v) * S * width);
        }
      }
      return tf.softmax(p.net.counterfactualLogits(p.lastFeatures!, tf.tensor3d(alts, [N * V, S, width])));
    });
    const [probs] = await readAndDispose([probsT]) as Float32Array[];
    this.lastCounterfactuals = probs;
    for (let k = 0; k < N; k++) {
      const listeners = othersOf(k, N);
      const v = kernel.prepare(B, V, J, A);
      for (let b = 0; b < B; b++) {
        for (let alt = 0; alt < V; alt++) {
          listeners.forEach((j, q) => {
            const from = ((j * slots * V + this.slot(k, j) * V + alt) * S + b) * A;
            v.cond.set(probs.subarray(from, from + A), ((b * V + alt) * J + q) * A);
          });
        }
        softmaxInto(this.prevMsgLogits!, k * S + b, V, v.prior, b * V);
        v.taken[b] = this.prevSymbols[b * N + k];
        listeners.forEach((j, q) => {
          v.jTaken[b * J + q] = actions[b * N + j];
          v.mask[b * J + q] = resets[b] ? 0 : cfg.influenceVisibleOnly ? this.symbolVisible[(b * N + k) * N + j] : 1;
        });
      }
      scatterInfluence(kernel.run(cfg.divergence), k, listeners, B, N, ck, ckj);
    }
  }

  /** 'head' form: every agent's one-hot symbols heard, one row per env [B * N*V] (zero where an episode starts
   * now), from the symbols heard with speaker k's replaced by `alt`. */
  private heardRows(resets: ArrayLike<number>, out: Float32Array, k: number, alt: number): void {
    const { B, N } = this.p, V = this.V;
    out.fill(0);
    for (let b = 0; b < B; b++) {
      if (resets[b]) continue;
      for (let i = 0; i < N; i++) out[(b * N + i) * V + (i === k ? alt : this.prevSymbols[b * N + i])] = 1;
    }
  }

  resetState(): void {
    this.prevSymbols.fill(0);
    this.symbolVisible.fill(0);
    this.prevMsgLogits = undefined;
  }

  async getState(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [
      { name: 'comm/prevSymbols', data: Float32Array.from(this.prevSymbols), shape: [this.prevSymbols.length] },
      { name: 'comm/symbolVisible', data: Float32Array.from(this.symbolVisible), shape: [this.symbolVisible.length] },
    ];
    if (this.prevMsgLogits) out.push({ name: 'comm/prevMsg', data: Float32Array.from(this.prevMsgLogits), shape: [this.prevMsgLogits.length] });
    return out;
  }

  setState(byName: Map<string, NamedTensor>): void {
    const get = (n: string) => byName.get(n)?.data;
    this.prevSymbols.set(get('comm/prevSymbols') ?? []);
    this.symbolVisible.set(get('comm/symbolVisible') ?? []);
    const pm = get('comm/prevMsg');
    this.prevMsgLogits = pm ? Float32Array.from(pm) : undefined;
  }
}

const common = {
  settings, independentOnly: true, minAgents: 2, measuresInfluence: true, netForms: true,
  network: (c: CoreConfig & CommSettings, d: { N: number; A: number }) => {
    const V = c.vocab || d.A, paper = c.netForm === 'paper';
    return {
      messages: { vocab: V, embedding: paper ? c.commEmbedding : 0, entropyCoef: c.commEntropyCoef, lossWeight: c.commLossWeight },
      conditioning: { width: (paper ? d.N - 1 : d.N) * V, at: paper ? 'lstm' as const : 'head' as const, embedding: paper ? 0 : c.commEmbedding },
    };
  },
  create: (p: PolicyView, c: CoreConfig & CommSettings) => new Channel(p, c),
};

export const comm = defineModel<'comm', CommSettings>({
  name: 'comm',
  label: 'comm: ablation of model II',
  summary: 'a cheap-talk channel, no influence reward',
  source: 'Jaques et al. 2019, model II ablation',
  ablationOf: 'influence-comm',
  ...common,
});

export const influenceComm = defineModel<'influence-comm', CommSettings>({
  name: 'influence-comm',
  label: 'influence-comm: model II, communication',
  summary: 'model II: messages rewarded for their influence on the listeners\' actions',
  source: 'Jaques et al. 2019, Sec. 2.2',
  ...common,
  influenceReward: true,
  rewardTerms: (c: CoreConfig & CommSettings) => [new InfluenceBonus(c, 'previousMessages')],
});

/** Model II's part of a policy (tests and tools read the channel through it). */
export const channelOf = (p: { model: unknown }): Channel | undefined => (p.model instanceof Channel ? p.model : undefined);

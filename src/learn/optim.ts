// The optimisers, over stacked variables [G, ...]: elementwise, so G networks step exactly as G independent
// optimisers would. RMSprop (decay 0.99, eps 1e-5, no momentum: A2C, as in A3C and OpenAI baselines) and Adam
// (betas 0.9 and 0.999, eps 1e-5: PPO, as in cleanrl), with tfjs's formulas. With the wasm kernels a
// variable's step is one kernel call (./tfjs/wasm-kernels.ts); elsewhere it is composed from tfjs ops. The
// learning rate is given at every step (a schedule may change it).

import * as tf from '@tensorflow/tfjs-core';
import { ADAM, RMSPROP, learnKernelsActive } from './tfjs/wasm-kernels.ts';
import { read } from './tfjs/read.ts';
import type { NamedTensor } from './state.ts';

export type OptimizerKind = 'rmsprop' | 'adam';

const RMS = { decay: 0.99, eps: 1e-5 };
const ADAM_C = { b1: 0.9, b2: 0.999, eps: 1e-5 };

export class Optimizer {
  /** Per variable: RMSprop's mean square, or Adam's first and second moments. */
  private slots: tf.Tensor[][];
  /** Steps taken (Adam's bias correction uses beta^steps, accumulated in float64 step by step). */
  private steps = 0;
  private p1 = 1;
  private p2 = 1;

  constructor(readonly kind: OptimizerKind, readonly vars: tf.Variable[]) {
    const n = kind === 'adam' ? 2 : 1;
    this.slots = vars.map((v) => Array.from({ length: n }, () => tf.zerosLike(v)));
  }

  /** One step with gradients `grads` (in `vars` order) and learning rate `lr`. */
  step(grads: tf.Tensor[], lr: number): void {
    this.steps++;
    this.p1 *= ADAM_C.b1;
    this.p2 *= ADAM_C.b2;
    const kernels = learnKernelsActive();
    const e = tf.engine() as unknown as { runKernel(n: string, i: Record<string, tf.Tensor>, a: Record<string, number>): tf.Tensor[] };
    this.vars.forEach((v, k) => {
      const g = grads[k], s = this.slots[k];
      let out: tf.Tensor[];
      if (this.kind === 'rmsprop') {
        out = kernels ? e.runKernel(RMSPROP, { w: v, g, ms: s[0] }, { lr, ...RMS }) : tf.tidy(() => {
          const ms = tf.add(tf.mul(RMS.decay, s[0]), tf.mul(1 - RMS.decay, tf.square(g)));
          return [tf.sub(v, tf.div(tf.mul(lr, g), tf.sqrt(tf.add(ms, RMS.eps)))), ms];
        });
      } else {
        const { b1, b2, eps } = ADAM_C, p1 = this.p1, p2 = this.p2;
        out = kernels ? e.runKernel(ADAM, { w: v, g, m: s[0], v: s[1] }, { lr, b1, b2, eps, p1, p2 }) : tf.tidy(() => {
          const m = tf.add(tf.mul(b1, s[0]), tf.mul(1 - b1, g));
          const vv = tf.add(tf.mul(b2, s[1]), tf.mul(1 - b2, tf.square(g)));
          return [tf.sub(v, tf.mul(lr, tf.div(tf.div(m, 1 - p1), tf.add(tf.sqrt(tf.div(vv, 1 - p2)), eps)))), m, vv];
        });
      }
      v.assign(out[0]);
      out[0].dispose();
      tf.dispose(s);
      this.slots[k] = out.slice(1);
    });
  }

  async getState(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [{ name: 'opt/steps', data: Float32Array.of(this.steps), shape: [] }];
    for (const [k, s] of this.slots.entries()) {
      for (const [j, t] of s.entries()) out.push({ name: `opt/${k}/${j}`, data: await read(t), shape: t.shape });
    }
    return out;
  }

  setState(byName: Map<string, NamedTensor>): void {
    const steps = byName.get('opt/steps');
    if (!steps) throw new Error("checkpoint: the optimiser's state ('opt/steps') is missing");
    this.steps = steps.data[0];
    this.p1 = 1;
    this.p2 = 1;
    for (let t = 0; t < this.steps; t++) { this.p1 *= ADAM_C.b1; this.p2 *= ADAM_C.b2; }
    this.slots = this.slots.map((s, k) => s.map((old, j) => {
      const x = byName.get(`opt/${k}/${j}`);
      if (!x || x.data.length !== old.size) throw new Error(`checkpoint: optimiser slot 'opt/${k}/${j}' is missing or has the wrong size`);
      old.dispose();
      return tf.tensor(x.data, old.shape);
    }));
  }

  dispose(): void {
    tf.dispose(this.slots.flat());
  }
}

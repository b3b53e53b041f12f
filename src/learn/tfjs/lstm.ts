/**
 * Hand-written LSTM cell (tf.layers' LSTM was ~15x slower on wasm).
 *
 * One fused kernel [in + H, 4H] and bias [4H]; gate order i, f, g, o
 * (same as Keras). Forget-gate bias initialised to 1, other biases 0; kernel
 * glorot-uniform from a seeded PRNG (deterministic, backend independent).
 *
 * All methods only use differentiable tfjs ops, so they can be called inside
 * tf.grad / tf.variableGrads / optimizer.minimize. Only plain matMuls are
 * used (no transpose flags, no tf.fused.matMul): see kernels.ts.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Small deterministic PRNG (mulberry32) for weight initialisation. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Glorot/Xavier-uniform values for a [fanIn, fanOut]-like weight of `size` elements. */
export function glorotUniform(rng: () => number, size: number, fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (rng() * 2 - 1) * limit;
  return out;
}

export type LSTMState = {
  h: tf.Tensor2D;
  c: tf.Tensor2D;
};

export type LSTMUnrollResult = LSTMState & {
  /** [T, B, H] hidden output at every step. */
  outputs: tf.Tensor3D;
};

export interface LSTMCellOptions {
  inputSize: number;
  hiddenSize: number;
  /** PRNG used for the kernel; default mulberry32(seed ?? 0). */
  rng?: () => number;
  seed?: number;
  /** Initial forget-gate bias (default 1). */
  forgetBias?: number;
}

export class LSTMCell {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** [inputSize + hiddenSize, 4 * hiddenSize], gates i, f, g, o. */
  readonly kernel: tf.Variable;
  /** [4 * hiddenSize]. */
  readonly bias: tf.Variable;

  constructor(opts: LSTMCellOptions) {
    const { inputSize, hiddenSize, forgetBias = 1 } = opts;
    if (!(inputSize > 0 && hiddenSize > 0 && Number.isInteger(inputSize) && Number.isInteger(hiddenSize))) {
      throw new Error(`LSTMCell: inputSize and hiddenSize must be positive integers, got ${inputSize}, ${hiddenSize}`);
    }
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    const rng = opts.rng ?? mulberry32(opts.seed ?? 0);
    const rows = inputSize + hiddenSize;
    const cols = 4 * hiddenSize;
    const k = glorotUniform(rng, rows * cols, rows, cols);
    const b = new Float32Array(cols);
    b.fill(forgetBias, hiddenSize, 2 * hiddenSize);
    this.kernel = tf.variable(tf.tensor2d(k, [rows, cols]), true);
    this.bias = tf.variable(tf.tensor1d(b), true);
  }

  get variables(): tf.Variable[] {
    return [this.kernel, this.bias];
  }

  zeroState(batch: number): LSTMState {
    return { h: tf.zeros([batch, this.hiddenSize]), c: tf.zeros([batch, this.hiddenSize]) };
  }

  /** Gate nonlinearities given pre-activations z [B, 4H]. */
  private gates(z: tf.Tensor2D, c: tf.Tensor2D): LSTMState {
    const [i, f, g, o] = tf.split(z, 4, 1);
    const cNew = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
    const hNew = tf.mul(tf.sigmoid(o), tf.tanh(cNew)) as tf.Tensor2D;
    return { h: hNew, c: cNew };
  }

  /** One step: x [B, in], h [B, H], c [B, H] -> new {h, c}. */
  step(x: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D): LSTMState {
    return tf.tidy(() => {
      const z = tf.add(tf.matMul(tf.concat([x, h], 1), this.kernel), this.bias) as tf.Tensor2D;
      return this.gates(z, c);
    });
  }

  /**
   * Unroll over time. xs [T, B, in]; h0, c0 [B, H]; resetMask [T, B] with
   * 1 where an episode starts at step t: the state is zeroed before that step.
   * Each step is exactly step() (one fused matMul of [x_t, h] with the
   * kernel). Hoisting the input projection of all T steps into one big matMul
   * was measured slower on wasm (large unstack + extra adds), so it is not done.
   */
  unroll(xs: tf.Tensor3D, h0: tf.Tensor2D, c0: tf.Tensor2D, resetMask?: tf.Tensor2D): LSTMUnrollResult {
    const [T, B, inSize] = xs.shape;
    if (inSize !== this.inputSize) {
      throw new Error(`LSTMCell.unroll: input size ${inSize} != ${this.inputSize}`);
    }
    if (T < 1) throw new Error('LSTMCell.unroll: empty sequence');
    if (resetMask != null && (resetMask.shape[0] !== T || resetMask.shape[1] !== B)) {
      throw new Error(`LSTMCell.unroll: resetMask shape ${resetMask.shape} != [${T}, ${B}]`);
    }
    return tf.tidy(() => {
      const x = tf.unstack(xs) as tf.Tensor2D[];
      const keep = resetMask != null
        ? (tf.unstack(tf.expandDims(tf.sub(1, resetMask), 2)) as tf.Tensor2D[])
        : null;
      let h = h0;
      let c = c0;
      const outs: tf.Tensor2D[] = [];
      for (let t = 0; t < T; t++) {
        if (keep != null) {
          h = tf.mul(h, keep[t]);
          c = tf.mul(c, keep[t]);
        }
        const z = tf.add(tf.matMul(tf.concat([x[t], h], 1), this.kernel), this.bias) as tf.Tensor2D;
        ({ h, c } = this.gates(z, c));
        outs.push(h);
      }
      return { outputs: tf.stack(outs) as tf.Tensor3D, h, c };
    });
  }

  dispose(): void {
    this.kernel.dispose();
    this.bias.dispose();
  }
}

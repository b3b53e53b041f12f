// What learning adds to a policy: the optimiser over every network's weights (and its Models of Other
// Agents), the gradient of a loss, the exchange with the other workers in data-parallel training, and
// clipping per network before the step. The algorithms (./algos/) say which loss, on which samples, how
// often.
//
// The optimisers step stacked weights [G, ...] elementwise, which is exactly G independent optimisers;
// clipping is per network (slice g of every gradient), as independent learners clip their own.

import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from './config.ts';
import type { Policy } from './policy/policy.ts';
import type { NamedTensor } from './state.ts';
import { clipPerNetwork } from './losses.ts';
import { lrAt } from './schedule.ts';
import { Optimizer } from './optim.ts';
import { read, readAndDispose } from './tfjs/read.ts';
import { checkForms } from './checkpoint-format.ts';
import { algorithmOf } from './algos/registry.ts';

export type { UpdateStats } from './algos/algorithm.ts';

/**
 * Data-parallel training: how a worker's gradients are averaged with the other workers'. The learner writes
 * its gradients (every variable's, flattened in `variables` order) into input()'s buffer, or a new one when
 * there is no input(), and applies what reduce() resolves with.
 */
export interface GradientReducer {
  /** Where to write this worker's `total` gradient values (e.g. its slot of shared memory). */
  input?(total: number): Float32Array;
  /** Resolves with the average over all workers. It may be a view of shared memory (valid until the next exchange). */
  reduce(grads: Float32Array): Promise<Float32Array>;
}

/** A loss and the tensors to report from it (per-network values [G], read back after the step). */
export interface LossOut {
  total: tf.Scalar;
  report: Record<string, tf.Tensor>;
}

export class Learner {
  readonly optimizer: Optimizer;
  readonly variables: tf.Variable[];
  /** Data-parallel training: averages this worker's gradients with the others' before they are applied.
   * Unset, gradients are applied as computed. */
  reducer?: GradientReducer;
  /** Env steps of the whole run before this update, for the learning-rate schedule (set by the shard). */
  envSteps = 0;

  constructor(readonly cfg: TrainConfig, readonly policy: Policy) {
    this.variables = policy.variables;
    this.optimizer = new Optimizer(algorithmOf(cfg.algo).optimizer, this.variables);
  }

  /**
   * One optimiser step on `lossFn`: its gradients (averaged with the other workers' when training in
   * parallel), clipped per network to cfg.maxGradNorm. Resolves with the mean of each reported tensor over
   * its elements and the mean gradient norm over networks (before clipping).
   */
  async step(lossFn: () => LossOut): Promise<{ report: Record<string, number>; gradNorm: number }> {
    let kept: Record<string, tf.Tensor> = {};
    const { value, grads } = tf.variableGrads(() => {
      const out = lossFn();
      kept = Object.fromEntries(Object.entries(out.report).map(([k, t]) => [k, tf.keep(t)]));
      return out.total;
    }, this.variables);
    value.dispose();
    let gs = this.variables.map((v) => grads[v.name]);
    const names = Object.keys(kept);
    const means = await readAndDispose(names.map((k) => kept[k]));
    const report = Object.fromEntries(names.map((k, i) => [k, means[i]!.reduce((a, x) => a + x, 0) / means[i]!.length]));
    if (this.reducer) gs = await this.exchange(gs);
    const { grads: clipped, norms } = await clipPerNetwork(gs, this.cfg.maxGradNorm);
    this.optimizer.step(clipped, lrAt(this.cfg, this.envSteps));
    tf.dispose(clipped);
    return { report, gradNorm: norms.reduce((a, x) => a + x, 0) / norms.length };
  }

  /** Sends this worker's gradients to the reducer and returns the averages as tensors (the inputs are released). */
  private async exchange(gs: tf.Tensor[]): Promise<tf.Tensor[]> {
    const reducer = this.reducer!;
    const total = gs.reduce((n, t) => n + t.size, 0);
    const flat = reducer.input?.(total) ?? new Float32Array(total);
    let off = 0;
    // On wasm the gradients are copied straight from the backend's memory: reading them (a new 2.4 MB array
    // per update with 5 agents) made each worker collect garbage several times as often as one thread.
    const views = gs.map(inPlace);
    for (const values of views.every((v) => v) ? views : await readAndDispose(gs)) {
      flat.set(values!, off);
      off += values!.length;
    }
    tf.dispose(gs);
    const mean = await reducer.reduce(flat);
    if (mean.length !== total) throw new Error(`reducer: expected ${total} gradient values, got ${mean.length}`);
    // The wasm backend copies a new tensor's values into its heap; others (cpu, webgpu) may keep the array,
    // which must then not be shared memory that the next exchange overwrites.
    const keep = !(mean.buffer instanceof ArrayBuffer) && tf.getBackend() !== 'wasm';
    off = 0;
    return this.variables.map((v) => {
      const values = mean.subarray(off, (off += v.size));
      return tf.tensor(keep ? values.slice() : values, v.shape);
    });
  }

  /** Weights and optimiser state, for checkpoints. */
  async getState(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [];
    for (const [k, v] of this.variables.entries()) out.push({ name: `w/${k}`, data: await read(v), shape: v.shape });
    out.push(...await this.optimizer.getState());
    return out;
  }

  /** Restores getState()'s output; `weightsOnly` leaves the optimiser as it is (evaluation). */
  async setState(byName: Map<string, NamedTensor>, weightsOnly = false): Promise<void> {
    assignWeights(this.variables, byName);
    if (weightsOnly) return;
    this.optimizer.setState(byName);
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** A float32 tensor's values where the wasm backend keeps them (valid until memory grows or the tensor goes;
 * its kernels run synchronously, so the values are final), else undefined. */
function inPlace(t: tf.Tensor): Float32Array | undefined {
  if (t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return undefined;
  const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array }; dataIdMap?: { get(id: tf.DataId): { memoryOffset?: number } | undefined } };
  const at = b.dataIdMap?.get(t.dataId)?.memoryOffset, heap = b.wasm?.HEAPU8;
  return at == null || !heap ? undefined : new Float32Array(heap.buffer, at, t.size);
}

/** The weights of the population's variables (and its model's, e.g. the MOA's) from a checkpoint of any format:
 * versions 2 and 3 store them stacked ('w/k'), version 1 one set per network ('net{g}/w{k}', 'moa{i}/w{k}'),
 * stacked here. A run trained with workers stores every replica; shard 0's (no prefix) are used. A checkpoint of
 * another network form (--net-form, --moa-form) is refused. */
export function weightsOf(policy: Policy, ckpt: { manifest: { formatVersion: number; config?: Record<string, unknown> }; tensors: NamedTensor[] }): Map<string, NamedTensor> {
  checkForms(policy.cfg, policy.def, ckpt.manifest);
  const own = ckpt.tensors.filter((t) => !/^shard\d+\//.test(t.name));
  const byName = new Map(own.map((t) => [t.name, t]));
  if (ckpt.manifest.formatVersion !== 1) return byName;
  const out = new Map<string, NamedTensor>();
  const stack = (vars: tf.Variable[], nameOf: (g: number, k: number) => string, offset: number) => {
    vars.forEach((v, k) => {
      const [G, ...inner] = v.shape, n = v.size / G;
      const data = new Float32Array(v.size);
      for (let g = 0; g < G; g++) {
        const x = byName.get(nameOf(g, k));
        if (!x) throw new Error(`checkpoint: format 1 tensor '${nameOf(g, k)}' is missing`);
        // Model I's influencers had no head inputs in format 1: their head weights get zero rows for them.
        if (x.data.length > n) throw new Error(`checkpoint: format 1 tensor '${nameOf(g, k)}' has ${x.data.length} values, the network needs ${n} [${inner}]`);
        data.set(x.data, g * n);
      }
      out.set(`w/${offset + k}`, { name: `w/${offset + k}`, data, shape: v.shape });
    });
  };
  const pv = policy.net.variables, prefix = policy.model.legacyPrefix;
  stack(pv, (g, k) => `net${g}/w${k}`, 0);
  if (policy.model.variables && prefix) stack([...policy.model.variables], (g, k) => `${prefix}${g}/w${k}`, pv.length);
  return out;
}

/** Sets the population's (and MOA's) weights from 'w/k' tensors. */
export function assignWeights(vars: tf.Variable[], byName: Map<string, NamedTensor>): void {
  tf.tidy(() => vars.forEach((v, k) => {
    const x = byName.get(`w/${k}`);
    if (!x) throw new Error(`checkpoint: tensor 'w/${k}' is missing`);
    if (x.data.length !== v.size) throw new Error(`checkpoint: tensor 'w/${k}' has ${x.data.length} values, this run's network needs ${v.size} [${v.shape}]`);
    v.assign(tf.tensor(x.data, v.shape));
  }));
}

/** Loads a checkpoint's weights (either format) into a policy, for playing it. */
export function loadWeights(policy: Policy, ckpt: { manifest: { formatVersion: number; config?: Record<string, unknown> }; tensors: NamedTensor[] }): void {
  assignWeights(policy.variables, weightsOf(policy, ckpt));
}

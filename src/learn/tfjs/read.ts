/**
 * Reading tensors back from the backend, always asynchronously.
 *
 * The learner never calls dataSync(): tfjs-webgpu serves a synchronous read through a canvas, and in
 * headless Chromium with a software adapter the device then refuses uploads once the event loop turns
 * ("createBuffer failed ... mappedAtCreation"). An asynchronous read maps a staging buffer instead, works
 * there, and on the wasm and cpu backends costs one microtask. test/async-reads.test.ts keeps it that way.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A float32 tensor's values, as a copy the caller owns (some backends hand out their own storage). */
export async function read(t: tf.Tensor): Promise<Float32Array> {
  return Float32Array.from(await t.data() as ArrayLike<number>);
}

/** A tensor's values, which are only good while nothing writes to the tensor. */
async function view(t: tf.Tensor): Promise<Float32Array> {
  const v = await t.data();
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

/**
 * The values of several tensors (undefined entries stay undefined), read together, then the tensors
 * disposed. Reading outside tf.tidy matters: tidy would walk a returned array element by element.
 */
export async function readAndDispose(ts: readonly (tf.Tensor | undefined)[]): Promise<(Float32Array | undefined)[]> {
  try {
    return await Promise.all(ts.map((t) => (t ? view(t) : undefined)));
  } finally {
    for (const t of ts) t?.dispose();
  }
}

// Initial weights: a small seeded generator (mulberry32) and Glorot-uniform values, computed the same way
// on every backend and runtime, so the same seed gives the same network everywhere.

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

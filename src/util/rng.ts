// A small seeded generator for the host side (random policies, shuffles): xoshiro128** seeded through
// splitmix32. Integer arithmetic only (Math.imul, >>> 0), so every JavaScript engine gives the same stream.

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seeds from a non-negative integer below 2^53 and an optional stream index. */
  constructor(seed: number, stream = 0) {
    const st = { s: (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) | 0, 0x27d4eb2f) ^ Math.imul(stream + 1, 0x165667b1) };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.nextU32() / 4294967296) * n);
  }

  /** Fills `out` with uniform integers in [0, n). */
  fillBelow(out: Uint8Array, n: number): void {
    for (let k = 0; k < out.length; k++) out[k] = Math.floor((this.nextU32() / 4294967296) * n);
  }

  /** The generator's state, for checkpoints. */
  getState(): [number, number, number, number] {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }

  setState(s: readonly number[]): void {
    [this.a, this.b, this.c, this.d] = s.map((x) => x | 0);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

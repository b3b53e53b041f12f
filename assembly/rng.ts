// Per-environment random generator: xoshiro128** (Blackman & Vigna), 128 bits of state per env,
// seeded from (seed, env index) through splitmix64. Nothing in the core uses a shared generator:
// the step loop loads one env's state into these globals, draws, and stores it back (rngLoad/rngStore),
// so the same seed gives the same trajectory whatever the batch size or the host.

let s0: u32 = 0;
let s1: u32 = 0;
let s2: u32 = 0;
let s3: u32 = 0;

let sm: u64 = 0;
@inline function splitmix64(): u64 {
  sm += 0x9E3779B97F4A7C15;
  let z = sm;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

/** Writes the initial state for env `index` under `seed` at `ptr` (4 x u32). */
export function rngSeed(ptr: usize, seed: u64, index: u32): void {
  // Mix the env index in through its own splitmix step so that neighbouring (seed, index) pairs
  // do not share state prefixes.
  sm = seed ^ ((<u64>index + 1) * 0xD1B54A32D192ED03);
  const a = splitmix64();
  const b = splitmix64();
  let x0 = <u32>a, x1 = <u32>(a >> 32), x2 = <u32>b, x3 = <u32>(b >> 32);
  if ((x0 | x1 | x2 | x3) == 0) x0 = 1; // the all-zero state is a fixed point
  store<u32>(ptr, x0);
  store<u32>(ptr, x1, 4);
  store<u32>(ptr, x2, 8);
  store<u32>(ptr, x3, 12);
}

@inline export function rngLoad(ptr: usize): void {
  s0 = load<u32>(ptr);
  s1 = load<u32>(ptr, 4);
  s2 = load<u32>(ptr, 8);
  s3 = load<u32>(ptr, 12);
}

@inline export function rngStore(ptr: usize): void {
  store<u32>(ptr, s0);
  store<u32>(ptr, s1, 4);
  store<u32>(ptr, s2, 8);
  store<u32>(ptr, s3, 12);
}

@inline export function nextU32(): u32 {
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl<u32>(s3, 11);
  return result;
}

/** Uniform in [0, 1) with 32 bits of resolution. */
@inline export function nextUnit(): f64 {
  return <f64>nextU32() * (1.0 / 4294967296.0);
}

/** Uniform integer in [0, n), n >= 1 (multiply-shift; bias below 2^-32 * n). */
@inline export function nextBelow(n: i32): i32 {
  return <i32>((<u64>nextU32() * <u64>n) >> 32);
}

/** True with probability p. Draws nothing when p <= 0, so impossible events cost no randomness. */
@inline export function chance(p: f64): bool {
  if (p <= 0.0) return false;
  return nextUnit() < p;
}

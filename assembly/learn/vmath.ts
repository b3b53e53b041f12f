// Four-lane float32 exp, sigmoid and tanh for the learner's kernels (WebAssembly SIMD has no
// transcendental instructions). exp: range reduction x = n ln2 + r with |r| <= ln2/2, a degree-6 Taylor
// polynomial for e^r (truncation error below 1.3e-7 relative), and 2^n built in the exponent bits.
// Inputs are clamped to [-87.3, 88.7] so the result stays a normal float32: exp of a smaller input gives
// about 1.2e-38 instead of a denormal or 0, which changes nothing in sigmoid or tanh.

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.4426950408889634;
// ln 2 split in two so that n * LN2_HI is exact for |n| < 2^9
// @ts-ignore: decorator
@inline const LN2_HI: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const LN2_LO: f32 = -2.12194440e-4;
// 1.5 * 2^23: float32 sums with it in [2^23, 2^24) have no fraction bits
// @ts-ignore: decorator
@inline const ROUND: f32 = 12582912.0;

// @ts-ignore: decorator
@inline
export function vexp(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.3)), f32x4.splat(88.7));
  // n = x log2(e) rounded to the nearest integer (ties to even): adding 1.5 * 2^23 leaves no fraction bits, and
  // leaves n + 0x4B400000 as the sum's bits (no f32x4.nearest or i32x4.trunc_sat, which cost several
  // instructions each on x86)
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUND));
  const n = f32x4.sub(t, f32x4.splat(ROUND));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  // 1 + r + r^2/2! + ... + r^6/6!, Horner form
  let p = f32x4.splat(1.0 / 720.0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  // 2^n: n + 127 in the exponent field (n is in [-126, 128) after the clamp); the shift drops t's high bits
  const scale = i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** 1 / (1 + e^-x) */
// @ts-ignore: decorator
@inline
export function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}

/** tanh(x) = sign(x) (1 - e^-2|x|) / (1 + e^-2|x|); absolute error about 1e-7 near 0. */
// @ts-ignore: decorator
@inline
export function vtanh(x: v128): v128 {
  const one = f32x4.splat(1.0);
  const e = vexp(f32x4.mul(f32x4.abs(x), f32x4.splat(-2.0)));
  const t = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  // copy the sign bit of x onto t (t >= 0)
  return v128.or(t, v128.and(x, i32x4.splat(0x80000000)));
}

/** Scalar versions (same formulas, for the tails of rows that are not a multiple of 4 long). */
export function sexp(x: f32): f32 {
  return f32x4.extract_lane(vexp(f32x4.splat(x)), 0);
}

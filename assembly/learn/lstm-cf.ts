// One LSTM step of G networks for the real input and for K counterfactual inputs that differ from it in a
// one-hot block (src/learn/tfjs/lstm-counterfactual.ts calls it). A one-hot entry enters the gate
// pre-activations linearly, so alternative k of stream s needs no product of its own: with
//
//   u[r, s]  = z[s] + bias - W[offset + real(r, s)]        (per group r and stream; nothing subtracted for -1)
//   w[k]     = W[offset + alt(k)]                          (per alternative)
//
// its pre-activations are u[altGroup[k], s] + w[k]. The exponentials the gates need separate over that sum,
// e^-(u + w) = e^-u e^-w, so they are taken once per (r, s) row and once per alternative, not per pair:
//
//   sigma(u + w) = 1 / (1 + e^-u e^-w)        tanh(u + w) = 2 / (1 + e^-2u e^-2w) - 1
//
// and each (k, s) pair costs a product, a sum and a division per gate, the cell update and one tanh (of the
// new cell, which does not separate). The exponentials are taken as 2^y with y clamped to [-120, 120], so each
// factor is a normal float; their product may overflow to infinity or underflow to 0, and both give the gate's
// limit (never 0 * inf, never NaN). A gate differs from the summed pre-activation's by about 1e-7; only a factor
// at its clamp (|u| or |w| above 83, or 41 in the g quarter: a saturated gate) is off, and only if the other
// term is about as large and of the other sign.
//
// z[s] = x[s] Wx + hin[s] Wh is the real step's, computed with lstmForward's products and cell update (./lstm.ts:
// the same calls, so the real outputs are lstmForward's bits for T = 1). An alternative equal to the real input
// copies the real h.
//
// Buffers (float32 unless said, row-major, byte addresses in tfjs's wasm memory): x [G, S, I], W [G, I + H, 4H],
// bias [G, 4H], h0 and c0 [G, S, H], keep [G, S]; realIdx [G, R, S] int32 (-1: no hot entry), altIdx [G, K]
// int32, altGroup [K] int32 (indices within the block that starts at input column `offset`; the caller checks
// their ranges). Outputs: hT and cT [G, S, H], gates [G, S, 4H] (after the nonlinearities) and cs [G, S, H]
// (lstmForward's internals for T = 1), hAlt [G, K, S, H]. H must be a multiple of 4.

import { gemm } from './gemm';
import { maskRows, cellRows } from './lstm';

// @ts-ignore: decorator
@inline const F4: usize = 4;

// The constants of the loop over alternatives, read from a table in scratch memory rather than written as
// v128.const: V8 builds each v128.const use from immediates with a few instructions and does not hoist them
// out of loops. Byte offsets in the table:
// @ts-ignore: decorator
@inline const ONE = 0;
// @ts-ignore: decorator
@inline const TWO = 16;
// @ts-ignore: decorator
@inline const M2LOG2E = 32;
// @ts-ignore: decorator
@inline const LO = 48;
// @ts-ignore: decorator
@inline const HI = 64;
// @ts-ignore: decorator
@inline const ROUND = 80;
// @ts-ignore: decorator
@inline const BIAS = 96;
// @ts-ignore: decorator
@inline const MLOG2E = 112;
// @ts-ignore: decorator
@inline const P0 = 128;
// @ts-ignore: decorator
@inline const TABLE_BYTES = P0 + 6 * 16;

function writeTable(t: usize): void {
  v128.store(t, f32x4.splat(1.0), ONE);
  v128.store(t, f32x4.splat(2.0), TWO);
  v128.store(t, f32x4.splat(-2.8853900817779268), M2LOG2E); // -2 log2(e)
  v128.store(t, f32x4.splat(-1.4426950408889634), MLOG2E); // -log2(e)
  v128.store(t, f32x4.splat(-120.0), LO);
  v128.store(t, f32x4.splat(120.0), HI);
  v128.store(t, f32x4.splat(12582912.0), ROUND); // 1.5 * 2^23
  v128.store(t, i32x4.splat(127), BIAS);
  // 2^f on [-1/2, 1/2], degree 5, fitted for the least largest relative error (7.5e-8)
  v128.store(t, f32x4.splat(1.000000072), P0);
  v128.store(t, f32x4.splat(0.6931469671), P0 + 16);
  v128.store(t, f32x4.splat(0.2402211974), P0 + 32);
  v128.store(t, f32x4.splat(0.05550713310), P0 + 48);
  v128.store(t, f32x4.splat(0.009675540363), P0 + 64);
  v128.store(t, f32x4.splat(0.001327645459), P0 + 80);
}

/**
 * 2^y for y clamped to [-120, 120] (results stay normal floats), as 2^round(y) times a polynomial in the rest.
 * Relative error about 7.5e-8 plus |y| 6e-8 (the rounding of y, where it came from a product): e^v this way is
 * as accurate as a sigmoid or tanh of v needs, not more.
 */
// @ts-ignore: decorator
@inline
function exp2Cf(y: v128, t: usize): v128 {
  y = f32x4.pmin(f32x4.pmax(y, v128.load(t, LO)), v128.load(t, HI));
  const m = f32x4.add(y, v128.load(t, ROUND));
  const f = f32x4.sub(y, f32x4.sub(m, v128.load(t, ROUND)));
  let p = v128.load(t, P0 + 80);
  p = f32x4.add(f32x4.mul(p, f), v128.load(t, P0 + 64));
  p = f32x4.add(f32x4.mul(p, f), v128.load(t, P0 + 48));
  p = f32x4.add(f32x4.mul(p, f), v128.load(t, P0 + 32));
  p = f32x4.add(f32x4.mul(p, f), v128.load(t, P0 + 16));
  p = f32x4.add(f32x4.mul(p, f), v128.load(t, P0));
  // 2^round(y): round(y) + 127 in the exponent field (m's bits are 0x4B400000 + round(y); the shift drops the high ones)
  return f32x4.mul(p, i32x4.shl(i32x4.add(m, v128.load(t, BIAS)), 23));
}

/** tanh(x) = 2 / (1 + e^-2x) - 1; absolute error below 3e-7 (exp2Cf's relative error matters only where tanh
 * is flat). */
// @ts-ignore: decorator
@inline
function tanhCf(x: v128, t: usize): v128 {
  const one = v128.load(t, ONE);
  const e = exp2Cf(f32x4.mul(x, v128.load(t, M2LOG2E)), t);
  return f32x4.sub(f32x4.div(v128.load(t, TWO), f32x4.add(one, e)), one);
}

/** Scratch floats lstmStepCf needs: the masked state, e^-u [R, S, 4H], e^-w [K, 4H] and the table. */
export function lstmStepCfScratch(S: i32, H: i32, R: i32, K: i32): i32 {
  return S * H + (R * S + K) * 4 * H + TABLE_BYTES / 4;
}

/** e^-v over a row of 4H pre-activations (gates i, f, o) with e^-2v over its g quarter; v = a - b, or a alone
 * when b is 0. */
function expRow(a: usize, b: usize, hB: usize, out: usize, t: usize): void {
  for (let q: usize = 0; q < 4; q++) {
    const scale = v128.load(t + <usize>(q == 2 ? M2LOG2E : MLOG2E));
    for (let j = q * hB; j < (q + 1) * hB; j += 16) {
      const v = b ? f32x4.sub(v128.load(a + j), v128.load(b + j)) : v128.load(a + j);
      v128.store(out + j, exp2Cf(f32x4.mul(v, scale), t));
    }
  }
}

export function lstmStepCf(G: i32, S: i32, I: i32, H: i32, R: i32, K: i32, offset: i32, x: usize, W: usize, bias: usize,
  h0: usize, c0: usize, keep: usize, realIdx: usize, altIdx: usize, altGroup: usize, hT: usize, cT: usize, gates: usize,
  cs: usize, hAlt: usize, scratch: usize): void {
  const H4 = 4 * H;
  const hB = <usize>H * F4, zB = <usize>H4 * F4, stateBytes = <usize>S * hB;
  const hin = scratch;
  const eu = hin + stateBytes;
  const ew = eu + <usize>R * <usize>S * zB;
  const tb = ew + <usize>K * zB;
  writeTable(tb);
  for (let g = 0; g < G; g++) {
    const xg = x + <usize>g * <usize>S * <usize>I * F4;
    const Wg = W + <usize>g * <usize>(I + H) * zB;
    const Wh = Wg + <usize>I * zB;
    const Wb = Wg + <usize>offset * zB;
    const bg = bias + <usize>g * zB;
    const h0g = h0 + <usize>g * stateBytes, c0g = c0 + <usize>g * stateBytes;
    const kg = keep + <usize>g * <usize>S * F4;
    const zg = gates + <usize>g * <usize>S * zB;
    const hg = hT + <usize>g * stateBytes, cg = cs + <usize>g * stateBytes;
    const rg = realIdx + <usize>g * <usize>R * <usize>S * 4;
    // the real step's pre-activations, as lstmForward computes them for T = 1
    gemm(S, H4, I, xg, <usize>I, 1, Wg, <usize>H4, zg, <usize>H4, false);
    maskRows(h0g, kg, S, H, hin);
    gemm(S, H4, H, hin, <usize>H, 1, Wh, <usize>H4, zg, <usize>H4, true);
    // e^-u[r, s], u = z[s] + bias - W[offset + real(r, s)], before the cell update overwrites z with the gates
    for (let r = 0; r < R; r++) {
      for (let s = 0; s < S; s++) {
        const re = load<i32>(rg + (<usize>r * <usize>S + <usize>s) * 4);
        const zs = zg + <usize>s * zB, ur = eu + (<usize>r * <usize>S + <usize>s) * zB;
        // z + bias first, into the output row, then less the real entry's row
        for (let j: usize = 0; j < zB; j += 16) v128.store(ur + j, f32x4.add(v128.load(zs + j), v128.load(bg + j)));
        expRow(ur, re >= 0 ? Wb + <usize>re * zB : 0, hB, ur, tb);
      }
    }
    cellRows(S, H, zg, bg, kg, c0g, hg, cg);
    memory.copy(cT + <usize>g * stateBytes, cg, stateBytes);
    // e^-w[k]
    for (let k = 0; k < K; k++) {
      expRow(Wb + <usize>load<i32>(altIdx + (<usize>g * <usize>K + <usize>k) * 4) * zB, 0, hB, ew + <usize>k * zB, tb);
    }
    // every alternative
    const one = v128.load(tb, ONE), two = v128.load(tb, TWO);
    for (let k = 0; k < K; k++) {
      const r = load<i32>(altGroup + <usize>k * 4);
      const a = load<i32>(altIdx + (<usize>g * <usize>K + <usize>k) * 4);
      const wk = ew + <usize>k * zB;
      const outK = hAlt + (<usize>g * <usize>K + <usize>k) * stateBytes;
      for (let s = 0; s < S; s++) {
        const out = outK + <usize>s * hB;
        if (load<i32>(rg + (<usize>r * <usize>S + <usize>s) * 4) === a) {
          memory.copy(out, hg + <usize>s * hB, hB);
          continue;
        }
        const us = eu + (<usize>r * <usize>S + <usize>s) * zB;
        const kv = f32x4.splat(load<f32>(kg + <usize>s * F4));
        const cp = c0g + <usize>s * hB;
        for (let j: usize = 0; j < hB; j += 16) {
          const iv = f32x4.div(one, f32x4.add(one, f32x4.mul(v128.load(us + j), v128.load(wk + j))));
          const fv = f32x4.div(one, f32x4.add(one, f32x4.mul(v128.load(us + hB + j), v128.load(wk + hB + j))));
          const gv = f32x4.sub(f32x4.div(two, f32x4.add(one, f32x4.mul(v128.load(us + 2 * hB + j), v128.load(wk + 2 * hB + j)))), one);
          const ov = f32x4.div(one, f32x4.add(one, f32x4.mul(v128.load(us + 3 * hB + j), v128.load(wk + 3 * hB + j))));
          const c = f32x4.add(f32x4.mul(fv, f32x4.mul(v128.load(cp + j), kv)), f32x4.mul(iv, gv));
          v128.store(out + j, f32x4.mul(ov, tanhCf(c, tb)));
        }
      }
    }
  }
}

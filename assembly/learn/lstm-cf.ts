// One LSTM step of G networks for the real input and for K counterfactual inputs that differ from it in a
// one-hot block (src/learn/tfjs/lstm-counterfactual.ts calls it). A one-hot entry enters the gate
// pre-activations linearly, so alternative k of stream s needs no product of its own:
//
//   u[r, s]  = z[s] + bias - W[offset + real(r, s)]        (once per group r and stream; no subtraction for -1)
//   z'[k, s] = u[altGroup[k], s] + W[offset + alt(k)]      (one row per alternative)
//
// then the gate nonlinearities and the cell update from the same carried state. z[s] = x[s] Wx + hin[s] Wh
// is the real step's, computed with lstmForward's products and cell update (./lstm.ts: the same calls, so
// the real outputs are lstmForward's bits for T = 1). An alternative equal to the real input copies its h.
//
// Buffers (float32 unless said, row-major, byte addresses in tfjs's wasm memory): x [G, S, I], W [G, I + H, 4H],
// bias [G, 4H], h0 and c0 [G, S, H], keep [G, S]; realIdx [G, R, S] int32 (-1: no hot entry), altIdx [G, K]
// int32, altGroup [K] int32 (indices within the block that starts at input column `offset`; the caller checks
// their ranges). Outputs: hT and cT [G, S, H], gates [G, S, 4H] (after the nonlinearities) and cs [G, S, H]
// (lstmForward's internals for T = 1), hAlt [G, K, S, H]. H must be a multiple of 4.

import { gemm } from './gemm';
import { vsigmoid, vtanh } from './vmath';
import { maskRows, cellRows } from './lstm';

// @ts-ignore: decorator
@inline const F4: usize = 4;

/** Scratch floats lstmStepCf needs: the masked state and the partial pre-activations u. */
export function lstmStepCfScratch(S: i32, H: i32, R: i32): i32 {
  return S * H + R * S * 4 * H;
}

export function lstmStepCf(G: i32, S: i32, I: i32, H: i32, R: i32, K: i32, offset: i32, x: usize, W: usize, bias: usize,
  h0: usize, c0: usize, keep: usize, realIdx: usize, altIdx: usize, altGroup: usize, hT: usize, cT: usize, gates: usize,
  cs: usize, hAlt: usize, scratch: usize): void {
  const H4 = 4 * H;
  const hB = <usize>H * F4, zB = <usize>H4 * F4, stateBytes = <usize>S * hB;
  const hin = scratch;
  const u = hin + stateBytes;
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
    // u[r, s] = z[s] + bias - W[offset + real(r, s)], before the cell update overwrites z with the gates
    for (let r = 0; r < R; r++) {
      for (let s = 0; s < S; s++) {
        const re = load<i32>(rg + (<usize>r * <usize>S + <usize>s) * 4);
        const zs = zg + <usize>s * zB, ur = u + (<usize>r * <usize>S + <usize>s) * zB;
        if (re >= 0) {
          const wr = Wb + <usize>re * zB;
          for (let j: usize = 0; j < zB; j += 16) {
            v128.store(ur + j, f32x4.sub(f32x4.add(v128.load(zs + j), v128.load(bg + j)), v128.load(wr + j)));
          }
        } else {
          for (let j: usize = 0; j < zB; j += 16) v128.store(ur + j, f32x4.add(v128.load(zs + j), v128.load(bg + j)));
        }
      }
    }
    cellRows(S, H, zg, bg, kg, c0g, hg, cg);
    memory.copy(cT + <usize>g * stateBytes, cg, stateBytes);
    // every alternative from u and one row of W
    for (let k = 0; k < K; k++) {
      const r = load<i32>(altGroup + <usize>k * 4);
      const a = load<i32>(altIdx + (<usize>g * <usize>K + <usize>k) * 4);
      const wa = Wb + <usize>a * zB;
      const outK = hAlt + (<usize>g * <usize>K + <usize>k) * stateBytes;
      for (let s = 0; s < S; s++) {
        const out = outK + <usize>s * hB;
        if (load<i32>(rg + (<usize>r * <usize>S + <usize>s) * 4) === a) {
          memory.copy(out, hg + <usize>s * hB, hB);
          continue;
        }
        const z = u + (<usize>r * <usize>S + <usize>s) * zB;
        const kv = f32x4.splat(load<f32>(kg + <usize>s * F4));
        const cp = c0g + <usize>s * hB;
        for (let j: usize = 0; j < hB; j += 16) {
          const iv = vsigmoid(f32x4.add(v128.load(z + j), v128.load(wa + j)));
          const fv = vsigmoid(f32x4.add(v128.load(z + hB + j), v128.load(wa + hB + j)));
          const gv = vtanh(f32x4.add(v128.load(z + 2 * hB + j), v128.load(wa + 2 * hB + j)));
          const ov = vsigmoid(f32x4.add(v128.load(z + 3 * hB + j), v128.load(wa + 3 * hB + j)));
          const c = f32x4.add(f32x4.mul(fv, f32x4.mul(v128.load(cp + j), kv)), f32x4.mul(iv, gv));
          v128.store(out + j, f32x4.mul(ov, vtanh(c)));
        }
      }
    }
  }
}

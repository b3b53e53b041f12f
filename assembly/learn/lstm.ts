// A population's LSTM over a whole sequence, forward and backward, in one call each (the learner's
// hand-written cell, src/learn/tfjs/lstm.ts, with the same gates and masks). G independent networks
// (stacked weights), each over S streams and T steps:
//
//   hin_t = h_{t-1} * keep_t,  cin_t = c_{t-1} * keep_t          (keep_t = 0 where an episode starts)
//   z_t   = x_t Wx + hin_t Wh + bias,  gates i, f, g, o = sigma, sigma, tanh, sigma of z's four quarters
//   c_t   = f * cin_t + i * g,  h_t = o * tanh(c_t)
//
// Buffers (float32, row-major, byte addresses in the memory shared with tfjs's wasm backend):
//   x [G, T, S, I], W [G, I + H, 4H] (rows 0..I-1 are Wx, then Wh), bias [G, 4H], h0 and c0 [G, S, H],
//   keep [G, T, S]; forward outputs hs [G, T, S, H], hT and cT [G, S, H], and what the backward pass reads:
//   gates [G, T, S, 4H] (after their nonlinearities) and cs [G, T, S, H].
// H must be a multiple of 4. Nothing is allocated here: callers pass scratch space.

import { gemm, transpose } from './gemm';
import { vsigmoid, vtanh } from './vmath';

// @ts-ignore: decorator
@inline const F4: usize = 4;

/** hin[S, H] = h[S, H] * keep[S] (per row). */
export function maskRows(h: usize, keep: usize, S: i32, H: i32, out: usize): void {
  const rowBytes = <usize>H * F4;
  for (let s = 0; s < S; s++) {
    const k = f32x4.splat(load<f32>(keep + <usize>s * F4));
    const src = h + <usize>s * rowBytes, dst = out + <usize>s * rowBytes;
    for (let j: usize = 0; j < rowBytes; j += 16) v128.store(dst + j, f32x4.mul(v128.load(src + j), k));
  }
}

/**
 * One step's cell update for S rows, from the gate pre-activations without the bias, z [S, 4H] (overwritten
 * with the gates after their nonlinearities), the bias [4H], keep [S] and the previous cells cPrev [S, H]:
 * writes the cells c [S, H] and the hidden outputs h [S, H]. lstmForward's and lstmStepCf's real step both
 * run this, so their outputs are the same bits.
 */
// @ts-ignore: decorator
@inline
export function cellRows(S: i32, H: i32, zt: usize, bg: usize, kt: usize, cPrev: usize, ht: usize, ct: usize): void {
  const hB = <usize>H * F4, H4 = 4 * H;
  for (let s = 0; s < S; s++) {
    const k = f32x4.splat(load<f32>(kt + <usize>s * F4));
    const z = zt + <usize>s * <usize>H4 * F4;
    const cp = cPrev + <usize>s * hB, hOut = ht + <usize>s * hB, cOut = ct + <usize>s * hB;
    for (let j: usize = 0; j < hB; j += 16) {
      const iv = vsigmoid(f32x4.add(v128.load(z + j), v128.load(bg + j)));
      const fv = vsigmoid(f32x4.add(v128.load(z + hB + j), v128.load(bg + hB + j)));
      const gv = vtanh(f32x4.add(v128.load(z + 2 * hB + j), v128.load(bg + 2 * hB + j)));
      const ov = vsigmoid(f32x4.add(v128.load(z + 3 * hB + j), v128.load(bg + 3 * hB + j)));
      const c = f32x4.add(f32x4.mul(fv, f32x4.mul(v128.load(cp + j), k)), f32x4.mul(iv, gv));
      v128.store(z + j, iv);
      v128.store(z + hB + j, fv);
      v128.store(z + 2 * hB + j, gv);
      v128.store(z + 3 * hB + j, ov);
      v128.store(cOut + j, c);
      v128.store(hOut + j, f32x4.mul(ov, vtanh(c)));
    }
  }
}

/** Scratch floats lstmForward needs: S * H. */
export function lstmForwardScratch(S: i32, H: i32): i32 {
  return S * H;
}

export function lstmForward(G: i32, T: i32, S: i32, I: i32, H: i32, x: usize, W: usize, bias: usize, h0: usize, c0: usize,
  keep: usize, hs: usize, hT: usize, cT: usize, gates: usize, cs: usize, scratch: usize): void {
  const H4 = 4 * H;
  const rowsTS = <usize>T * <usize>S;
  const hin = scratch;
  for (let g = 0; g < G; g++) {
    const xg = x + <usize>g * rowsTS * <usize>I * F4;
    const Wg = W + <usize>g * <usize>(I + H) * <usize>H4 * F4;
    const Wh = Wg + <usize>I * <usize>H4 * F4;
    const bg = bias + <usize>g * <usize>H4 * F4;
    const h0g = h0 + <usize>g * <usize>S * <usize>H * F4, c0g = c0 + <usize>g * <usize>S * <usize>H * F4;
    const kg = keep + <usize>g * rowsTS * F4;
    const hsg = hs + <usize>g * rowsTS * <usize>H * F4, csg = cs + <usize>g * rowsTS * <usize>H * F4;
    const zg = gates + <usize>g * rowsTS * <usize>H4 * F4;
    // input projection of every step at once
    gemm(<i32>rowsTS, H4, I, xg, <usize>I, 1, Wg, <usize>H4, zg, <usize>H4, false);
    for (let t = 0; t < T; t++) {
      const kt = kg + <usize>t * <usize>S * F4;
      const hPrev = t === 0 ? h0g : hsg + <usize>(t - 1) * <usize>S * <usize>H * F4;
      const cPrev = t === 0 ? c0g : csg + <usize>(t - 1) * <usize>S * <usize>H * F4;
      const zt = zg + <usize>t * <usize>S * <usize>H4 * F4;
      maskRows(hPrev, kt, S, H, hin);
      gemm(S, H4, H, hin, <usize>H, 1, Wh, <usize>H4, zt, <usize>H4, true);
      cellRows(S, H, zt, bg, kt, cPrev, hsg + <usize>t * <usize>S * <usize>H * F4, csg + <usize>t * <usize>S * <usize>H * F4);
    }
    const last = <usize>(T - 1) * <usize>S * <usize>H * F4, stateBytes = <usize>S * <usize>H * F4;
    memory.copy(hT + <usize>g * stateBytes, hsg + last, stateBytes);
    memory.copy(cT + <usize>g * stateBytes, csg + last, stateBytes);
  }
}

/** Scratch floats lstmBackward needs. */
export function lstmBackwardScratch(T: i32, S: i32, I: i32, H: i32): i32 {
  return T * S * 4 * H + T * S * H + 4 * H * (I + H) + 3 * S * H;
}

/**
 * Gradients of a forward pass: dhs [G, T, S, H] (the loss's gradient w.r.t. hs), dhT and dcT [G, S, H]
 * (w.r.t. the final state; 0 for none) -> dx [G, T, S, I], dW [G, I + H, 4H], db [G, 4H], dh0 and dc0
 * [G, S, H] (0 to skip them).
 */
export function lstmBackward(G: i32, T: i32, S: i32, I: i32, H: i32, x: usize, W: usize, h0: usize, c0: usize, keep: usize,
  hs: usize, gates: usize, cs: usize, dhs: usize, dhT: usize, dcT: usize, dx: usize, dW: usize, db: usize, dh0: usize, dc0: usize,
  scratch: usize): void {
  const H4 = 4 * H;
  const rowsTS = <usize>T * <usize>S;
  const hB = <usize>H * F4, zB = <usize>H4 * F4, stateBytes = <usize>S * hB;
  const dz = scratch;
  const hinAll = dz + rowsTS * zB;
  const WT = hinAll + rowsTS * hB;
  const dh = WT + <usize>H4 * <usize>(I + H) * F4;
  const dc = dh + stateBytes;
  const dhin = dc + stateBytes;
  for (let g = 0; g < G; g++) {
    const xg = x + <usize>g * rowsTS * <usize>I * F4;
    const Wg = W + <usize>g * <usize>(I + H) * zB;
    const h0g = h0 + <usize>g * stateBytes, c0g = c0 + <usize>g * stateBytes;
    const kg = keep + <usize>g * rowsTS * F4;
    const hsg = hs + <usize>g * rowsTS * hB, csg = cs + <usize>g * rowsTS * hB, gg = gates + <usize>g * rowsTS * zB;
    const dhsg = dhs + <usize>g * rowsTS * hB;
    // W transposed [4H, I + H]: its last H columns are Wh^T, its first I columns Wx^T
    transpose(Wg, I + H, H4, WT);
    if (dhT) memory.copy(dh, dhT + <usize>g * stateBytes, stateBytes); else memory.fill(dh, 0, stateBytes);
    if (dcT) memory.copy(dc, dcT + <usize>g * stateBytes, stateBytes); else memory.fill(dc, 0, stateBytes);
    for (let t = T - 1; t >= 0; t--) {
      const kt = kg + <usize>t * <usize>S * F4;
      const cPrev = t === 0 ? c0g : csg + <usize>(t - 1) * stateBytes;
      const hPrev = t === 0 ? h0g : hsg + <usize>(t - 1) * stateBytes;
      const zt = gg + <usize>t * <usize>S * zB, dzt = dz + <usize>t * <usize>S * zB;
      const ct = csg + <usize>t * stateBytes, dht = dhsg + <usize>t * stateBytes;
      maskRows(hPrev, kt, S, H, hinAll + <usize>t * stateBytes);
      for (let s = 0; s < S; s++) {
        const k = f32x4.splat(load<f32>(kt + <usize>s * F4));
        const z = zt + <usize>s * zB, d = dzt + <usize>s * zB;
        const row = <usize>s * hB;
        for (let j: usize = 0; j < hB; j += 16) {
          const iv = v128.load(z + j), fv = v128.load(z + hB + j), gv = v128.load(z + 2 * hB + j), ov = v128.load(z + 3 * hB + j);
          const c = v128.load(ct + row + j);
          const tc = vtanh(c);
          const one = f32x4.splat(1.0);
          const dhv = f32x4.add(v128.load(dht + row + j), v128.load(dh + row + j));
          const dcv = f32x4.add(f32x4.mul(f32x4.mul(dhv, ov), f32x4.sub(one, f32x4.mul(tc, tc))), v128.load(dc + row + j));
          const cin = f32x4.mul(v128.load(cPrev + row + j), k);
          v128.store(d + j, f32x4.mul(f32x4.mul(dcv, gv), f32x4.mul(iv, f32x4.sub(one, iv))));
          v128.store(d + hB + j, f32x4.mul(f32x4.mul(dcv, cin), f32x4.mul(fv, f32x4.sub(one, fv))));
          v128.store(d + 2 * hB + j, f32x4.mul(f32x4.mul(dcv, iv), f32x4.sub(one, f32x4.mul(gv, gv))));
          v128.store(d + 3 * hB + j, f32x4.mul(f32x4.mul(dhv, tc), f32x4.mul(ov, f32x4.sub(one, ov))));
          v128.store(dc + row + j, f32x4.mul(f32x4.mul(dcv, fv), k));
        }
      }
      // dhin = dz_t Wh^T: Wh^T is WT's columns I..I+H-1, read as a [4H, H] matrix with row stride I + H
      gemm(S, H, H4, dzt, <usize>H4, 1, WT + <usize>I * F4, <usize>(I + H), dhin, <usize>H, false);
      maskRows(dhin, kt, S, H, dh);
    }
    if (dh0) memory.copy(dh0 + <usize>g * stateBytes, dh, stateBytes);
    if (dc0) memory.copy(dc0 + <usize>g * stateBytes, dc, stateBytes);
    const dWg = dW + <usize>g * <usize>(I + H) * zB;
    // dWx = X^T dz, dWh = Hin^T dz (X and Hin read transposed: element (r, k) at k * width + r)
    gemm(I, H4, <i32>rowsTS, xg, 1, <usize>I, dz, <usize>H4, dWg, <usize>H4, false);
    gemm(H, H4, <i32>rowsTS, hinAll, 1, <usize>H, dz, <usize>H4, dWg + <usize>I * zB, <usize>H4, false);
    // db = column sums of dz, rows in increasing order
    const dbg = db + <usize>g * zB;
    memory.fill(dbg, 0, zB);
    for (let r: usize = 0; r < rowsTS; r++) {
      const src = dz + r * zB;
      for (let j: usize = 0; j < zB; j += 16) v128.store(dbg + j, f32x4.add(v128.load(dbg + j), v128.load(src + j)));
    }
    // dx = dz Wx^T: Wx^T is WT's first I columns, a [4H, I] matrix with row stride I + H
    if (I > 0) gemm(<i32>rowsTS, I, H4, dz, <usize>H4, 1, WT, <usize>(I + H), dx + <usize>g * rowsTS * <usize>I * F4, <usize>I, false);
  }
}

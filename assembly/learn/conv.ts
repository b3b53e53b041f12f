// The agent network's first layer for a population: a 3x3 'valid' convolution with stride 1 over uint8
// RGB views scaled by 1/255, plus bias and ReLU, forward and (filter and bias) backward. The views are
// the network's input, so no gradient flows into them.
//
//   obs  u8  [G, M, V, V, C] with rows `obsStride` bytes apart (views padded to a multiple of 4 bytes)
//   w    f32 [G, 3, 3, C, F]   (tfjs's conv2d filter layout, HWIO)
//   bias f32 [G, F]
//   out  f32 [G, M, V-2, V-2, F] = relu(conv(obs / 255, w) + bias)   (NHWC, flattened as tfjs flattens it)
//
// F <= 8: the F outputs of a pixel are computed together in two 4-lane accumulators (the filter rows are
// padded to 8 lanes in scratch). Sums run over the 9C taps in (kh, kw, c) order.

// @ts-ignore: decorator
@inline const F4: usize = 4;

/** Writes the view `src` (V*V*C bytes) as floats / 255 into dst. */
function decode(src: usize, n: i32, dst: usize): void {
  const s = f32x4.splat(1.0 / 255.0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const bytes = v128.load32_zero(src + <usize>i);
    const wide = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(bytes));
    v128.store(dst + <usize>i * F4, f32x4.mul(f32x4.convert_i32x4_u(wide), s));
  }
  for (; i < n; i++) store<f32>(dst + <usize>i * F4, <f32>load<u8>(src + <usize>i) * (1.0 / 255.0));
}

/** Scratch floats both conv kernels need (decoded view, padded filters, padded gradient rows). */
export function convScratch(V: i32, C: i32): i32 {
  const P = (V - 2) * (V - 2);
  return V * V * C + 4 + (9 * C + 1) * 8 + P * 8;
}

/** Copies w [9C, F] into wp [9C, 8] with zero lanes past F. */
function padFilters(w: usize, taps: i32, F: i32, wp: usize): void {
  memory.fill(wp, 0, <usize>taps * 8 * F4);
  for (let k = 0; k < taps; k++) memory.copy(wp + <usize>k * 32, w + <usize>(k * F) * F4, <usize>F * F4);
}

export function convForward(G: i32, M: i32, V: i32, C: i32, F: i32, obs: usize, obsStride: i32, w: usize, bias: usize, out: usize,
  scratch: usize): void {
  const O = V - 2, taps = 9 * C, rowLen = 3 * C;
  const img = scratch;
  const wp = img + ((<usize>(V * V * C) * F4 + 15) & ~<usize>15);
  const oB = <usize>F * F4;
  for (let g = 0; g < G; g++) {
    padFilters(w + <usize>(g * taps * F) * F4, taps, F, wp);
    // the bias, padded to 8 lanes like the filter rows
    const tmp = wp + <usize>taps * 32;
    memory.fill(tmp, 0, 32);
    memory.copy(tmp, bias + <usize>(g * F) * F4, <usize>F * F4);
    const bl = v128.load(tmp), bh = v128.load(tmp, 16);
    for (let m = 0; m < M; m++) {
      decode(obs + <usize>(g * M + m) * <usize>obsStride, V * V * C, img);
      const outRow = out + <usize>(g * M + m) * <usize>(O * O) * oB;
      for (let y = 0; y < O; y++) {
        let x = 0;
        // four pixels at a time: eight accumulators
        for (; x + 4 <= O; x += 4) {
          let a0 = bl, a1 = bh, c0 = bl, c1 = bh, d0 = bl, d1 = bh, e0 = bl, e1 = bh;
          for (let kh = 0; kh < 3; kh++) {
            const src = img + <usize>(((y + kh) * V + x) * C) * F4;
            const wr = wp + <usize>(kh * rowLen) * 32;
            for (let q = 0; q < rowLen; q++) {
              const w0 = v128.load(wr + <usize>q * 32), w1 = v128.load(wr + <usize>q * 32, 16);
              const p = src + <usize>q * F4;
              let s = f32x4.splat(load<f32>(p));
              a0 = f32x4.add(a0, f32x4.mul(s, w0)); a1 = f32x4.add(a1, f32x4.mul(s, w1));
              s = f32x4.splat(load<f32>(p + <usize>C * F4));
              c0 = f32x4.add(c0, f32x4.mul(s, w0)); c1 = f32x4.add(c1, f32x4.mul(s, w1));
              s = f32x4.splat(load<f32>(p + <usize>(2 * C) * F4));
              d0 = f32x4.add(d0, f32x4.mul(s, w0)); d1 = f32x4.add(d1, f32x4.mul(s, w1));
              s = f32x4.splat(load<f32>(p + <usize>(3 * C) * F4));
              e0 = f32x4.add(e0, f32x4.mul(s, w0)); e1 = f32x4.add(e1, f32x4.mul(s, w1));
            }
          }
          const o = outRow + <usize>(y * O + x) * oB;
          storePixel(o, a0, a1, F);
          storePixel(o + oB, c0, c1, F);
          storePixel(o + 2 * oB, d0, d1, F);
          storePixel(o + 3 * oB, e0, e1, F);
        }
        for (; x < O; x++) {
          let a0 = bl, a1 = bh;
          for (let kh = 0; kh < 3; kh++) {
            const src = img + <usize>(((y + kh) * V + x) * C) * F4;
            const wr = wp + <usize>(kh * rowLen) * 32;
            for (let q = 0; q < rowLen; q++) {
              const s = f32x4.splat(load<f32>(src + <usize>q * F4));
              a0 = f32x4.add(a0, f32x4.mul(s, v128.load(wr + <usize>q * 32)));
              a1 = f32x4.add(a1, f32x4.mul(s, v128.load(wr + <usize>q * 32, 16)));
            }
          }
          storePixel(outRow + <usize>(y * O + x) * oB, a0, a1, F);
        }
      }
    }
  }
}

/** Stores relu of the first F lanes of (lo, hi) at o. */
// @ts-ignore: decorator
@inline
function storePixel(o: usize, lo: v128, hi: v128, F: i32): void {
  const z = f32x4.splat(0);
  lo = f32x4.max(lo, z);
  hi = f32x4.max(hi, z);
  if (F >= 4) {
    v128.store(o, lo);
    if (F >= 8) v128.store(o, hi, 16);
    else {
      if (F > 4) store<f32>(o, f32x4.extract_lane(hi, 0), 16);
      if (F > 5) store<f32>(o, f32x4.extract_lane(hi, 1), 20);
      if (F > 6) store<f32>(o, f32x4.extract_lane(hi, 2), 24);
    }
  } else {
    store<f32>(o, f32x4.extract_lane(lo, 0));
    if (F > 1) store<f32>(o, f32x4.extract_lane(lo, 1), 4);
    if (F > 2) store<f32>(o, f32x4.extract_lane(lo, 2), 8);
  }
}

/**
 * Filter and bias gradients of convForward: y is its output (for the ReLU's mask), dy the loss's gradient
 * w.r.t. y; writes dw [G, 3, 3, C, F] and db [G, F] (overwritten). Sums run over rows m, then pixels in
 * row-major order.
 */
export function convBackward(G: i32, M: i32, V: i32, C: i32, F: i32, obs: usize, obsStride: i32, y: usize, dy: usize, dw: usize,
  db: usize, scratch: usize): void {
  const O = V - 2, P = O * O, taps = 9 * C, rowLen = 3 * C;
  const img = scratch;
  const acc = img + ((<usize>(V * V * C) * F4 + 15) & ~<usize>15); // [taps + 1, 8]: filter rows, then bias
  const dyp = acc + <usize>(taps + 1) * 32; // [P, 8]: this row's masked gradient, padded
  const oB = <usize>F * F4;
  const z = f32x4.splat(0);
  for (let g = 0; g < G; g++) {
    memory.fill(acc, 0, <usize>(taps + 1) * 32);
    memory.fill(dyp, 0, <usize>P * 32);
    for (let m = 0; m < M; m++) {
      const base = <usize>(g * M + m) * <usize>P * oB;
      // masked gradient rows, padded to 8 lanes, and their sum (the bias gradient)
      let sl = v128.load(acc + <usize>taps * 32), sh = v128.load(acc + <usize>taps * 32, 16);
      for (let p = 0; p < P; p++) {
        const src = base + <usize>p * oB;
        let f = 0;
        if (F >= 4) {
          // the ReLU's mask: keep dy where the output was positive
          v128.store(dyp + <usize>p * 32, v128.and(v128.load(dy + src), f32x4.gt(v128.load(y + src), z)));
          f = 4;
        }
        for (; f < F; f++) {
          const yv = load<f32>(y + src + <usize>f * F4);
          store<f32>(dyp + <usize>p * 32 + <usize>f * F4, yv > 0 ? load<f32>(dy + src + <usize>f * F4) : 0);
        }
        sl = f32x4.add(sl, v128.load(dyp + <usize>p * 32));
        sh = f32x4.add(sh, v128.load(dyp + <usize>p * 32, 16));
      }
      v128.store(acc + <usize>taps * 32, sl);
      v128.store(acc + <usize>taps * 32, sh, 16);
      decode(obs + <usize>(g * M + m) * <usize>obsStride, V * V * C, img);
      // three taps at a time (rowLen = 3C is a multiple of 3): six independent accumulator chains share
      // each pixel's gradient loads
      for (let kh = 0; kh < 3; kh++) {
        for (let q = 0; q < rowLen; q += 3) {
          let a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z;
          for (let yy = 0; yy < O; yy++) {
            const src = img + <usize>(((yy + kh) * V) * C + q) * F4;
            const d = dyp + <usize>(yy * O) * 32;
            for (let x = 0; x < O; x++) {
              const p = src + <usize>(x * C) * F4, dv = d + <usize>x * 32;
              const lo = v128.load(dv), hi = v128.load(dv, 16);
              const s0 = f32x4.splat(load<f32>(p)), s1 = f32x4.splat(load<f32>(p, 4)), s2 = f32x4.splat(load<f32>(p, 8));
              a0 = f32x4.add(a0, f32x4.mul(s0, lo)); a1 = f32x4.add(a1, f32x4.mul(s0, hi));
              b0 = f32x4.add(b0, f32x4.mul(s1, lo)); b1 = f32x4.add(b1, f32x4.mul(s1, hi));
              c0 = f32x4.add(c0, f32x4.mul(s2, lo)); c1 = f32x4.add(c1, f32x4.mul(s2, hi));
            }
          }
          const k = acc + <usize>(kh * rowLen + q) * 32;
          v128.store(k, f32x4.add(v128.load(k), a0));
          v128.store(k, f32x4.add(v128.load(k, 16), a1), 16);
          v128.store(k, f32x4.add(v128.load(k, 32), b0), 32);
          v128.store(k, f32x4.add(v128.load(k, 48), b1), 48);
          v128.store(k, f32x4.add(v128.load(k, 64), c0), 64);
          v128.store(k, f32x4.add(v128.load(k, 80), c1), 80);
        }
      }
    }
    for (let k = 0; k < taps; k++) memory.copy(dw + <usize>((g * taps + k) * F) * F4, acc + <usize>k * 32, <usize>F * F4);
    memory.copy(db + <usize>(g * F) * F4, acc + <usize>taps * 32, <usize>F * F4);
  }
}

// Single-precision matrix products for the learner: C (+)= A B over row-major float32 buffers.
//
// A is read through two element strides, A(r, k) = a[r * aRs + k * aKs], so one routine serves A and
// A-transposed (a [K, M] buffer read with aRs = 1, aKs = M). B is read row by row, B(k, j) = b[k * ldb + j]:
// a transposed B is packed first (transpose() below). C(r, j) = c[r * ldc + j].
//
// The inner block keeps 2 rows x 16 columns of C in eight 4-lane accumulators and walks k once, loading
// four vectors of B's row k and one scalar of each A row; with 16 vector registers on x86-64 this was the
// fastest shape measured (2x16 against 4x8, 6x8, 4x12, 8x8, 3x16 and 5x8). The sum over k runs in
// increasing k for every element, whatever the block, so results do not depend on the number of rows or
// columns; K is summed in chunks of KC (partial sums added to C), which keeps B's panel in the L1 cache.

/** Columns of K summed in one pass over B (see gemm). */
// @ts-ignore: decorator
@inline const KC = 256;

// @ts-ignore: decorator
@inline
function block(rows: i32, vecs: i32, a: usize, aRs: usize, aKs: usize, b: usize, ldb: usize, c: usize, ldc: usize,
  K: i32, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  let pa = a, pb = b;
  const a1 = aRs << 2;
  const ka = aKs << 2, kb = ldb << 2;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(pb);
    const b1 = vecs > 1 ? v128.load(pb, 16) : b0;
    const b2 = vecs > 2 ? v128.load(pb, 32) : b0;
    const b3 = vecs > 3 ? v128.load(pb, 48) : b0;
    const x0 = f32x4.splat(load<f32>(pa));
    c00 = f32x4.add(c00, f32x4.mul(x0, b0));
    if (vecs > 1) c01 = f32x4.add(c01, f32x4.mul(x0, b1));
    if (vecs > 2) c02 = f32x4.add(c02, f32x4.mul(x0, b2));
    if (vecs > 3) c03 = f32x4.add(c03, f32x4.mul(x0, b3));
    if (rows > 1) {
      const x1 = f32x4.splat(load<f32>(pa + a1));
      c10 = f32x4.add(c10, f32x4.mul(x1, b0));
      if (vecs > 1) c11 = f32x4.add(c11, f32x4.mul(x1, b1));
      if (vecs > 2) c12 = f32x4.add(c12, f32x4.mul(x1, b2));
      if (vecs > 3) c13 = f32x4.add(c13, f32x4.mul(x1, b3));
    }
    pa += ka;
    pb += kb;
  }
  const c1 = c + (ldc << 2);
  if (acc) {
    c00 = f32x4.add(c00, v128.load(c));
    if (vecs > 1) c01 = f32x4.add(c01, v128.load(c, 16));
    if (vecs > 2) c02 = f32x4.add(c02, v128.load(c, 32));
    if (vecs > 3) c03 = f32x4.add(c03, v128.load(c, 48));
    if (rows > 1) {
      c10 = f32x4.add(c10, v128.load(c1));
      if (vecs > 1) c11 = f32x4.add(c11, v128.load(c1, 16));
      if (vecs > 2) c12 = f32x4.add(c12, v128.load(c1, 32));
      if (vecs > 3) c13 = f32x4.add(c13, v128.load(c1, 48));
    }
  }
  v128.store(c, c00);
  if (vecs > 1) v128.store(c, c01, 16);
  if (vecs > 2) v128.store(c, c02, 32);
  if (vecs > 3) v128.store(c, c03, 48);
  if (rows > 1) {
    v128.store(c1, c10);
    if (vecs > 1) v128.store(c1, c11, 16);
    if (vecs > 2) v128.store(c1, c12, 32);
    if (vecs > 3) v128.store(c1, c13, 48);
  }
}

/** Rows [i0, i0 + rows) of C, columns [j, j + 4 * vecs). */
// @ts-ignore: decorator
@inline
function columns(vecs: i32, M: i32, a: usize, aRs: usize, aKs: usize, b: usize, ldb: usize, c: usize, ldc: usize,
  K: i32, acc: bool, j: usize): void {
  let i = 0;
  for (; i + 1 < M; i += 2) {
    block(2, vecs, a + ((<usize>i * aRs) << 2), aRs, aKs, b + (j << 2), ldb, c + ((<usize>i * ldc + j) << 2), ldc, K, acc);
  }
  if (i < M) block(1, vecs, a + ((<usize>i * aRs) << 2), aRs, aKs, b + (j << 2), ldb, c + ((<usize>i * ldc + j) << 2), ldc, K, acc);
}

/**
 * C[M, N] = A[M, K] B[K, N], or C += A B when `accumulate` is set. Strides are in elements. K = 0 gives
 * zeros (or leaves C as it is when accumulating).
 */
export function gemm(M: i32, N: i32, K: i32, a: usize, aRs: usize, aKs: usize, b: usize, ldb: usize, c: usize, ldc: usize,
  accumulate: bool): void {
  // K in chunks of KC: a chunk of B's panel (KC x 16 floats, 16 KB) stays in the L1 cache while every row
  // block passes over it; each chunk's sums are added to C (for K <= KC, one pass as without chunks).
  if (K > KC) {
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = min(KC, K - k0);
      gemm(M, N, kc, a + ((<usize>k0 * aKs) << 2), aRs, aKs, b + ((<usize>k0 * ldb) << 2), ldb, c, ldc, accumulate || k0 > 0);
    }
    return;
  }
  let j: usize = 0;
  const n = <usize>N;
  for (; j + 16 <= n; j += 16) columns(4, M, a, aRs, aKs, b, ldb, c, ldc, K, accumulate, j);
  if (j + 8 <= n) { columns(2, M, a, aRs, aKs, b, ldb, c, ldc, K, accumulate, j); j += 8; }
  if (j + 4 <= n) { columns(1, M, a, aRs, aKs, b, ldb, c, ldc, K, accumulate, j); j += 4; }
  // the last N % 4 columns, one element at a time, k increasing as above
  for (; j < n; j++) {
    for (let i = 0; i < M; i++) {
      let s: f32 = 0;
      let pa = a + ((<usize>i * aRs) << 2), pb = b + (j << 2);
      for (let k = 0; k < K; k++) {
        s += load<f32>(pa) * load<f32>(pb);
        pa += aKs << 2;
        pb += ldb << 2;
      }
      const pc = c + ((<usize>i * ldc + j) << 2);
      store<f32>(pc, accumulate ? load<f32>(pc) + s : s);
    }
  }
}

/** dst[cols, rows] = src[rows, cols] transposed (row-major both; strides are the row lengths). */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  // 4 x 4 tiles through shuffles, then the ragged edges one element at a time
  const R = <usize>rows, C = <usize>cols;
  let i: usize = 0;
  for (; i + 4 <= R; i += 4) {
    let j: usize = 0;
    for (; j + 4 <= C; j += 4) {
      const s = src + ((i * C + j) << 2);
      const r0 = v128.load(s), r1 = v128.load(s + (C << 2)), r2 = v128.load(s + (C << 3)), r3 = v128.load(s + 3 * (C << 2));
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const d = dst + ((j * R + i) << 2);
      v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(d + (R << 2), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
      v128.store(d + (R << 3), v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
      v128.store(d + 3 * (R << 2), v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
    }
    for (; j < C; j++) {
      for (let q: usize = 0; q < 4; q++) store<f32>(dst + ((j * R + i + q) << 2), load<f32>(src + (((i + q) * C + j) << 2)));
    }
  }
  for (; i < R; i++) {
    for (let j: usize = 0; j < C; j++) store<f32>(dst + ((j * R + i) << 2), load<f32>(src + ((i * C + j) << 2)));
  }
}

/**
 * A batch of products C[g] (+)= op(A[g]) op(B[g]) for g < G, with tfjs's BatchMatMul conventions: A is
 * [M, K] (or [K, M] when transA), B is [K, N] (or [N, K] when transB), each matrix `strideA`, `strideB`,
 * `strideC` elements after the previous one (a stride of 0 broadcasts one matrix over the batch).
 * `scratch` holds K * N floats when transB (B is packed there, transposed).
 */
export function gemmBatch(G: i32, M: i32, N: i32, K: i32, a: usize, strideA: usize, transA: bool, b: usize, strideB: usize,
  transB: bool, c: usize, strideC: usize, accumulate: bool, scratch: usize): void {
  let packedFor: usize = <usize>-1;
  for (let g = 0; g < G; g++) {
    const ag = a + ((<usize>g * strideA) << 2), bg0 = b + ((<usize>g * strideB) << 2), cg = c + ((<usize>g * strideC) << 2);
    let bg = bg0, ldb = <usize>N;
    if (transB) {
      if (packedFor !== bg0) {
        transpose(bg0, N, K, scratch);
        packedFor = bg0;
      }
      bg = scratch;
    }
    if (transA) gemm(M, N, K, ag, 1, <usize>M, bg, ldb, cg, <usize>N, accumulate);
    else gemm(M, N, K, ag, <usize>K, 1, bg, ldb, cg, <usize>N, accumulate);
  }
}

// The social-influence reward of Jaques et al. (2019), "Social Influence as Intrinsic Motivation for
// Multi-Agent Deep Reinforcement Learning" (ICML), section 2.1 and its equation for c_k, computed over a
// batch. A standalone module: it shares nothing with the environment core (assembly/index.ts) and
// imports nothing; the host is src/core/influence.ts and the plain TypeScript reference, which defines
// the same math, is src/learn/influence-ref.ts.
//
// For one influencer k, a batch element b, another agent j (of J) with A actions, and K counterfactual
// values k~ of k's action (or message):
//   cond[b, k~, j, a] = p(a_j = a | k takes k~, ...)       (j's conditional policy, one row per k~)
//   prior[b, k~]      = p(k~ | s_k)                          (k's own policy)
//   taken[b]          = the value k actually took
//   marginal[b, j, a] = sum_k~ prior[b, k~] * cond[b, k~, j, a]       (sum over k~ in increasing order)
//   c_kj[b, j] = D[ cond[b, taken[b], j, :] || marginal[b, j, :] ]    if mask[b, j] != 0, else 0
//   c_k[b]     = sum_j c_kj[b, j]                                      (the paper's c_k, summed over j != k)
// D (the `divergence` argument of compute):
//   0 KL:  sum_a P_a log(P_a / Q_a)                                  (the paper's choice)
//   1 JS:  0.5 sum_a P_a log(P_a / M_a) + 0.5 sum_a Q_a log(Q_a / M_a), M = (P + Q) / 2, natural log
//   2 PMI: log(P_x / Q_x) at x = jTaken[b, j], the action j actually took
// Numerics: f32 inputs are widened to f64, everything is computed in f64 and only the outputs are
// rounded to f32 (c_k is the f64 sum of the f64 c_kj). Terms whose weight (P_a, or Q_a for the second JS
// sum) is not > 0 contribute 0. Every probability inside a log is floored at LOG_FLOOR = 1e-12 (in the
// form log(max(p, 1e-12) / max(q, 1e-12))), so a zero in the marginal or, for PMI, in P gives a large
// finite value rather than Infinity. Nothing is renormalised: rows are used as given (softmax outputs
// summing to ~1), so rounding in the inputs can leave a KL of about -1e-7 where it is exactly 0 in
// theory; it is reported as computed. Probabilities are not checked (a NaN propagates).
//
// Use: reserve(batch, K, J, A) -> fill COND, PRIOR, TAKEN, MASK (and JTAKEN for PMI) in place through
// regionOffset -> compute(divergence) -> lastError() == -1 -> read CKJ and CK. compute allocates nothing.

/** Memory regions, in layout order. Shapes in row-major order; every region starts 16-byte aligned. */
export const enum Region {
  /** f32 [batch, K, J, A]: cond[b, k~, j, a]. Input. */
  COND = 0,
  /** f32 [batch, K]: prior[b, k~]. Input. */
  PRIOR = 1,
  /** i32 [batch]: taken[b] in 0..K-1. Input. */
  TAKEN = 2,
  /** i32 [batch, J]: jTaken[b, j] in 0..A-1, read for PMI where mask != 0 only. Input. */
  JTAKEN = 3,
  /** u8 [batch, J]: 1 = count the pair (k, j), 0 = leave it out (c_kj = 0). Input. */
  MASK = 4,
  /** f32 [batch, J]: c_kj. Output. */
  CKJ = 5,
  /** f32 [batch]: c_k. Output. */
  CK = 6,
  /** f64 [J, A]: scratch, the marginal of one batch element. */
  SCRATCH = 7,
  COUNT = 8,
}

/** The floor on probabilities inside logs. */
const LOG_FLOOR: f64 = 1e-12;

// Per region: offset (u32), bytes (u32).
const TABLE = memory.data(<i32>Region.COUNT * 8);
let nB: i32 = 0, nK: i32 = 0, nJ: i32 = 0, nA: i32 = 0;
let error: i32 = -1;

function place(cursor: u64, id: Region, bytes: u64): u64 {
  cursor = (cursor + 15) & ~(<u64>15);
  if (cursor + bytes > 0xFFFF0000) abort('influence: sizes too large for 4 GiB of memory');
  const row = TABLE + (<usize>id << 3);
  store<u32>(row, <u32>cursor);
  store<u32>(row, <u32>bytes, 4);
  return cursor + bytes;
}

/** Lays out every region for this size. Memory grows only when the layout needs more than it ever has. */
export function reserve(batch: i32, K: i32, J: i32, A: i32): void {
  if (batch < 1 || K < 1 || J < 1 || A < 1) abort('influence: reserve needs sizes >= 1');
  const b = <u64>batch, k = <u64>K, j = <u64>J, a = <u64>A;
  let c: u64 = (<u64>__heap_base + 15) & ~(<u64>15);
  c = place(c, Region.COND, b * k * j * a * 4);
  c = place(c, Region.PRIOR, b * k * 4);
  c = place(c, Region.TAKEN, b * 4);
  c = place(c, Region.JTAKEN, b * j * 4);
  c = place(c, Region.MASK, b * j);
  c = place(c, Region.CKJ, b * j * 4);
  c = place(c, Region.CK, b * 4);
  c = place(c, Region.SCRATCH, j * a * 8);
  const need = <i32>((c + 0xFFFF) >> 16);
  const have = memory.size();
  if (need > have && memory.grow(need - have) < 0) abort('influence: could not grow memory');
  nB = batch; nK = K; nJ = J; nA = A;
  error = -1;
}

@inline function ptr(id: Region): usize {
  return <usize>load<u32>(TABLE + (<usize>id << 3));
}

/** Byte offset of region `id` (a Region) in memory, as laid out by the last reserve. */
export function regionOffset(id: i32): usize {
  if (<u32>id >= <u32>Region.COUNT) return 0;
  return ptr(<Region>id);
}

/** Size in bytes of region `id`, as laid out by the last reserve. */
export function regionBytes(id: i32): usize {
  if (<u32>id >= <u32>Region.COUNT) return 0;
  return <usize>load<u32>(TABLE + (<usize>id << 3), 4);
}

/**
 * What went wrong in the last compute: -1 nothing; -2 unknown divergence; -3 no reserve yet;
 * b in 0..batch-1: taken[b] out of range; batch + b*J + j: jTaken[b, j] out of range (PMI only).
 * On an error compute writes nothing.
 */
export function lastError(): i32 {
  return error;
}

/** Fills CKJ and CK from the inputs; divergence 0 = KL, 1 = JS, 2 = PMI. See lastError. */
export function compute(divergence: i32): void {
  error = -1;
  if (nB == 0) { error = -3; return; }
  if (<u32>divergence > 2) { error = -2; return; }
  const B = nB, K = nK, J = nJ, A = nA, JA = J * A;
  const cond = ptr(Region.COND), prior = ptr(Region.PRIOR), taken = ptr(Region.TAKEN);
  const jTaken = ptr(Region.JTAKEN), mask = ptr(Region.MASK);
  const ckj = ptr(Region.CKJ), ck = ptr(Region.CK), marg = ptr(Region.SCRATCH);

  // Check every index first, so that an error leaves the outputs untouched.
  for (let b = 0; b < B; b++) {
    if (<u32>load<i32>(taken + (<usize>b << 2)) >= <u32>K) { error = b; return; }
  }
  if (divergence == 2) {
    for (let i = 0; i < B * J; i++) {
      if (load<u8>(mask + <usize>i) != 0 && <u32>load<i32>(jTaken + (<usize>i << 2)) >= <u32>A) {
        error = B + i;
        return;
      }
    }
  }

  const rowBytes = <usize>JA << 2;
  for (let b = 0; b < B; b++) {
    const condB = cond + <usize>b * <usize>K * rowBytes;
    const priorB = prior + (<usize>b * <usize>K << 2);
    // marginal[j, a] = sum_k~ prior[k~] cond[k~, j, a], k~ in increasing order from 0.0 (as the
    // reference); f32 x f32 products are exact in f64. Four (j, a) at a time with two f64x2 sums, which
    // gives the same roundings as the scalar loop used for the tail.
    let i = 0;
    for (; i + 4 <= JA; i += 4) {
      let lo = f64x2.splat(0), hi = f64x2.splat(0);
      let row = condB + (<usize>i << 2);
      for (let kk = 0; kk < K; kk++) {
        const p = f64x2.splat(<f64>load<f32>(priorB + (<usize>kk << 2)));
        const c = v128.load(row);
        lo = f64x2.add(lo, f64x2.mul(p, f64x2.promote_low_f32x4(c)));
        hi = f64x2.add(hi, f64x2.mul(p, f64x2.promote_low_f32x4(i32x4.shuffle(c, c, 2, 3, 0, 1))));
        row += rowBytes;
      }
      v128.store(marg + (<usize>i << 3), lo);
      v128.store(marg + (<usize>i << 3), hi, 16);
    }
    for (; i < JA; i++) {
      let m: f64 = 0;
      let at = condB + (<usize>i << 2);
      for (let kk = 0; kk < K; kk++) {
        m += <f64>load<f32>(priorB + (<usize>kk << 2)) * <f64>load<f32>(at);
        at += rowBytes;
      }
      store<f64>(marg + (<usize>i << 3), m);
    }
    const condT = condB + <usize>load<i32>(taken + (<usize>b << 2)) * rowBytes;
    let total: f64 = 0;
    for (let j = 0; j < J; j++) {
      const bj = <usize>(b * J + j);
      let d: f64 = 0;
      if (load<u8>(mask + bj) != 0) {
        const P = condT + (<usize>(j * A) << 2);
        const Q = marg + (<usize>(j * A) << 3);
        if (divergence == 0) {
          for (let a = 0; a < A; a++) {
            const p = <f64>load<f32>(P + (<usize>a << 2));
            if (p > 0) d += p * Math.log(max(p, LOG_FLOOR) / max(load<f64>(Q + (<usize>a << 3)), LOG_FLOOR));
          }
        } else if (divergence == 1) {
          let sp: f64 = 0, sq: f64 = 0;
          for (let a = 0; a < A; a++) {
            const p = <f64>load<f32>(P + (<usize>a << 2));
            const q = load<f64>(Q + (<usize>a << 3));
            const m = max(0.5 * (p + q), LOG_FLOOR);
            if (p > 0) sp += p * Math.log(max(p, LOG_FLOOR) / m);
            if (q > 0) sq += q * Math.log(max(q, LOG_FLOOR) / m);
          }
          d = 0.5 * sp + 0.5 * sq;
        } else {
          const x = <usize>load<i32>(jTaken + (bj << 2));
          const p = <f64>load<f32>(P + (x << 2));
          d = Math.log(max(p, LOG_FLOOR) / max(load<f64>(Q + (x << 3)), LOG_FLOOR));
        }
      }
      store<f32>(ckj + (bj << 2), <f32>d);
      total += d;
    }
    store<f32>(ck + (<usize>b << 2), <f32>total);
  }
}

// Communication and influence measures of Jaques et al. (2019), Sec. 6.3 "Analysing the communication",
// over logged integer sequences from an evaluation rollout. Formulas and the choices we made where the
// paper is ambiguous: docs/metrics.md. Everything is in nats (natural log), from exact contingency tables
// (plug-in estimates, no binning).
//
// Layout: per step t = 0..T-1 and agent i = 0..N-1, actions[t*N + i] in 0..numActions-1 and
// symbols[t*N + i] in 0..numSymbols-1 (the symbol agent i emits at t; everyone sees it at t+1).
// episodeStart[t] marks a step that begins a new episode: the pair (t, t+1) is used only when
// episodeStart[t+1] is false, so no pair crosses an episode boundary.
//
// Plug-in MI is biased upward on small samples (about (|X|-1)(|Y|-1) / (2n) nats), so every figure comes
// with a shuffled-pairs baseline: the same estimator after permuting one series over the same valid
// pairs, averaged over `shuffles` seeded permutations.
//
// Influential moments (the paper's Fig. 5): given per-step influence values, the same measures restricted
// to the steps at which the speaker's influence c_k(t) = sum_j c_kj(t) is at least its mean over the log.

import { InputError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

/** A sequence of non-negative integers (Int32Array, Uint8Array, number[], ...). */
export type IntSeq = ArrayLike<number>;

/** One evaluation log, flat time-major: index t*N + i. */
export interface CommLog {
  /** Number of logged steps (all episodes concatenated). */
  T: number;
  /** Number of agents. */
  N: number;
  /** Size of the action set: actions lie in 0..numActions-1. */
  numActions: number;
  /** actions[t*N + i]: agent i's action at step t; length T*N. */
  actions: IntSeq;
  /** Vocabulary size: symbols lie in 0..numSymbols-1. Required when `symbols` is given. */
  numSymbols?: number;
  /** symbols[t*N + i]: the symbol agent i emits at step t; length T*N. Only for communication models. */
  symbols?: IntSeq;
  /** episodeStart[t] true (or 1) when step t begins a new episode; length T. Absent: one episode. */
  episodeStart?: ArrayLike<boolean | number>;
}

/** Shuffled-baseline options. */
export interface BaselineOptions {
  /** Number of random permutations the baseline averages over; 0 leaves the baseline out. Default 20. */
  shuffles?: number;
  /** Seed of the permutations (a non-negative integer below 2^53). Default 0. */
  seed?: number;
}

export interface SpeakerConsistencyResult {
  /** Per agent: 1 - (H(a_k|m_k)/log A + H(m_k|a_k)/log V) / 2, in [0, 1]. */
  per_agent: number[];
  max: number;
  mean: number;
  /** The same after shuffling symbols against actions over time; null when shuffles = 0. */
  baseline: { per_agent: number[]; max: number; mean: number } | null;
}

export interface IcResult {
  /** matrix[k][j] = I(x_k(t); a_j(t+1)) in nats over the valid pairs; null on the diagonal. */
  matrix: (number | null)[][];
  /** Max over ordered pairs k != j. */
  max: number;
  /** Mean over ordered pairs k != j. */
  mean: number;
  /** Shuffled-pairs baseline: matrix and mean averaged over shuffles; max = mean over shuffles of the
   * per-shuffle max over pairs. Null when shuffles = 0. */
  baseline: { matrix: (number | null)[][]; max: number; mean: number } | null;
  /** Number of valid (t, t+1) pairs used. */
  pairs: number;
}

export interface InfluenceSummary {
  /** mean_matrix[k][j] = mean over t of c[t][k][j] (k influences j); 0 on the diagonal. */
  mean_matrix: number[][];
  /** Mean over steps of the sum over ordered pairs k != j of c[t][k][j]. */
  total: number;
  /** given[k] = sum_j mean_matrix[k][j]: the mean per-step influence reward of agent k. */
  given: number[];
  /** received[j] = sum_k mean_matrix[k][j]. */
  received: number[];
}

// ---------------------------------------------------------------------------------------------------
// Entropy and mutual information from exact counts

function checkSize(field: string, size: number): void {
  if (!Number.isInteger(size) || size < 1) throw new InputError(`${field}: expected an integer from 1, got ${String(size)}`);
}

function checkSeq(field: string, x: IntSeq, size: number): void {
  for (let k = 0; k < x.length; k++) {
    const v = x[k];
    if (!Number.isInteger(v) || v < 0 || v >= size) {
      throw new InputError(`${field}[${k}]: ${String(v)} is out of range; allowed values: integers 0 to ${size - 1}`);
    }
  }
}

function checkPaired(x: IntSeq, y: IntSeq, xSize: number, ySize: number): void {
  checkSize('xSize', xSize);
  checkSize('ySize', ySize);
  if (x.length === 0) throw new InputError('x: expected a non-empty sequence');
  if (y.length !== x.length) throw new InputError(`y: expected ${x.length} entries (the length of x), got ${y.length}`);
  checkSeq('x', x, xSize);
  checkSeq('y', y, ySize);
}

/** -sum_v (c_v/n) ln(c_v/n) over a count vector with total n. */
function entropyOfCounts(counts: ArrayLike<number>, n: number): number {
  let h = 0;
  for (let v = 0; v < counts.length; v++) {
    const c = counts[v];
    if (c > 0) h -= (c / n) * Math.log(c / n);
  }
  return h;
}

/** Plug-in entropy H(X) = -sum_x p(x) ln p(x) in nats, p the empirical frequencies of x in 0..size-1. */
export function entropy(x: IntSeq, size: number): number {
  checkSize('size', size);
  if (x.length === 0) throw new InputError('x: expected a non-empty sequence');
  checkSeq('x', x, size);
  const counts = new Float64Array(size);
  for (let k = 0; k < x.length; k++) counts[x[k]]++;
  return entropyOfCounts(counts, x.length);
}

/** Plug-in conditional entropy H(X | Y) = H(X, Y) - H(Y) = -sum_{x,y} p(x,y) ln p(x|y) in nats, from
 * paired sequences x (values 0..xSize-1) and y (values 0..ySize-1). */
export function conditionalEntropy(x: IntSeq, y: IntSeq, xSize: number, ySize: number): number {
  checkPaired(x, y, xSize, ySize);
  const joint = new Float64Array(xSize * ySize);
  const cy = new Float64Array(ySize);
  for (let k = 0; k < x.length; k++) {
    joint[x[k] * ySize + y[k]]++;
    cy[y[k]]++;
  }
  return Math.max(0, entropyOfCounts(joint, x.length) - entropyOfCounts(cy, x.length));
}

/** Plug-in mutual information I(X; Y) = sum_{x,y} p(x,y) ln(p(x,y) / (p(x) p(y))) in nats. */
export function mutualInformation(x: IntSeq, y: IntSeq, xSize: number, ySize: number): number {
  checkPaired(x, y, xSize, ySize);
  const joint = new Float64Array(xSize * ySize);
  return miIndexed(x, y, null, x.length, xSize, ySize, joint, new Float64Array(xSize), new Float64Array(ySize));
}

/** MI of the pairs (x[k], y[perm ? perm[k] : k]) for k < n, with caller-owned scratch tables (no
 * validation: the inputs are checked once by the public entry points). */
function miIndexed(x: IntSeq, y: IntSeq, perm: Int32Array | null, n: number, xSize: number, ySize: number,
  joint: Float64Array, cx: Float64Array, cy: Float64Array): number {
  joint.fill(0);
  cx.fill(0);
  cy.fill(0);
  for (let k = 0; k < n; k++) {
    const a = x[k];
    const b = y[perm ? perm[k] : k];
    joint[a * ySize + b]++;
    cx[a]++;
    cy[b]++;
  }
  let mi = 0;
  for (let a = 0; a < xSize; a++) {
    if (cx[a] === 0) continue;
    for (let b = 0; b < ySize; b++) {
      const c = joint[a * ySize + b];
      if (c > 0) mi += (c / n) * Math.log((c * n) / (cx[a] * cy[b]));
    }
  }
  return Math.max(0, mi);
}

// ---------------------------------------------------------------------------------------------------
// Log validation

interface Checked {
  T: number;
  N: number;
  A: number;
  V: number;
  actions: IntSeq;
  symbols: IntSeq | null;
  /** Steps t whose pair (t, t+1) lies inside one episode. */
  valid: Int32Array;
}

function checkLog(log: CommLog, needSymbols: boolean): Checked {
  if (log === null || typeof log !== 'object') throw new InputError('log: expected an object { T, N, numActions, actions, ... }');
  const { T, N, numActions: A } = log;
  if (!Number.isInteger(T) || T < 2) throw new InputError(`T: expected an integer from 2 (pairs (t, t+1) need two steps), got ${String(T)}`);
  if (!Number.isInteger(N) || N < 1) throw new InputError(`N: expected an integer from 1, got ${String(N)}`);
  if (!Number.isInteger(A) || A < 1) throw new InputError(`numActions: expected an integer from 1, got ${String(A)}`);
  const seq = (field: 'actions' | 'symbols', x: IntSeq | undefined, size: number): IntSeq => {
    if (!x || typeof x.length !== 'number') throw new InputError(`${field}: expected an array of T*N = ${T * N} integers, got ${x === undefined ? 'undefined' : typeof x}`);
    if (x.length !== T * N) throw new InputError(`${field}: expected T*N = ${T}*${N} = ${T * N} entries (index t*N + i), got ${x.length}`);
    for (let k = 0; k < x.length; k++) {
      const v = x[k];
      if (!Number.isInteger(v) || v < 0 || v >= size) {
        throw new InputError(`${field}[${k}] (t=${Math.floor(k / N)}, agent ${k % N}): ${String(v)} is out of range; allowed values: integers 0 to ${size - 1} (${field === 'actions' ? 'numActions' : 'numSymbols'} = ${size})`);
      }
    }
    return x;
  };
  const actions = seq('actions', log.actions, A);
  let V = 0;
  let symbols: IntSeq | null = null;
  if (needSymbols) {
    if (log.symbols === undefined) throw new InputError('symbols: required for this measure (a communication model\'s log), got undefined');
    V = log.numSymbols ?? NaN;
    if (!Number.isInteger(V) || V < 1) throw new InputError(`numSymbols: expected an integer from 1 when symbols are given, got ${String(log.numSymbols)}`);
    symbols = seq('symbols', log.symbols, V);
  }
  const es = log.episodeStart;
  if (es !== undefined) {
    if (typeof es?.length !== 'number' || es.length !== T) throw new InputError(`episodeStart: expected T = ${T} entries, got ${typeof es?.length === 'number' ? es.length : typeof es}`);
    for (let t = 0; t < T; t++) {
      const v = es[t];
      if (!(v === true || v === false || v === 0 || v === 1)) throw new InputError(`episodeStart[${t}]: ${String(v)}; allowed values: true, false, 0, 1`);
    }
  }
  const valid: number[] = [];
  for (let t = 0; t + 1 < T; t++) if (!(es && es[t + 1])) valid.push(t);
  return { T, N, A, V, actions, symbols, valid: Int32Array.from(valid) };
}

function checkBaseline(opts: BaselineOptions | undefined): { shuffles: number; seed: number } {
  const shuffles = opts?.shuffles ?? 20;
  const seed = opts?.seed ?? 0;
  if (!Number.isInteger(shuffles) || shuffles < 0) throw new InputError(`shuffles: expected an integer from 0, got ${String(shuffles)}`);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 53) throw new InputError(`seed: expected an integer from 0 to 2^53-1, got ${String(seed)}`);
  return { shuffles, seed };
}

/** Fisher-Yates over perm (already holding some permutation), from the seeded generator. */
function shuffleInPlace(perm: Int32Array, rng: Rng): void {
  for (let i = perm.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const tmp = perm[i];
    perm[i] = perm[j];
    perm[j] = tmp;
  }
}

const identity = (n: number) => Int32Array.from({ length: n }, (_, k) => k);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const max = (xs: number[]) => xs.reduce((m, x) => Math.max(m, x), -Infinity);

// Each measure draws its permutations from its own stream of the seed, so one measure's baseline does not
// depend on which other measures were computed.
const STREAM = { speaker: 0, symbolAction: 1, actionAction: 2, influentialSpeaker: 3, influentialSymbolAction: 4, influentialActionAction: 5 } as const;

// ---------------------------------------------------------------------------------------------------
// Speaker consistency

/** Speaker consistency per agent k over all T steps (same-step pairs, so episode boundaries do not
 * matter): SC_k = 1 - (H(a_k|m_k)/ln A + H(m_k|a_k)/ln V) / 2, a term whose ln size is 0 counting as 0.
 * 1: symbol and action determine each other; 0: independent and both uniform. The baseline shuffles
 * the symbol series over time (one permutation of steps per shuffle, shared by all agents). */
export function speakerConsistency(log: CommLog, opts?: BaselineOptions): SpeakerConsistencyResult {
  const c = checkLog(log, true);
  const { shuffles, seed } = checkBaseline(opts);
  const { T, N, A, V } = c;
  const actions = c.actions;
  const symbols = c.symbols as IntSeq;
  const a = new Int32Array(T);
  const m = new Int32Array(T);
  const jointAM = new Float64Array(A * V);
  const cA = new Float64Array(A);
  const cV = new Float64Array(V);
  const lnA = Math.log(A);
  const lnV = Math.log(V);
  const score = (k: number, perm: Int32Array | null): number => {
    for (let t = 0; t < T; t++) {
      a[t] = actions[t * N + k];
      m[t] = symbols[t * N + k];
    }
    // One joint table of (a[t], m[perm[t]]): H(a|m) = H(a,m) - H(m), H(m|a) = H(a,m) - H(a).
    jointAM.fill(0);
    cA.fill(0);
    cV.fill(0);
    for (let t = 0; t < T; t++) {
      const mt = m[perm ? perm[t] : t];
      jointAM[a[t] * V + mt]++;
      cA[a[t]]++;
      cV[mt]++;
    }
    const hJoint = entropyOfCounts(jointAM, T);
    const hAgivenM = lnA > 0 ? Math.max(0, hJoint - entropyOfCounts(cV, T)) / lnA : 0;
    const hMgivenA = lnV > 0 ? Math.max(0, hJoint - entropyOfCounts(cA, T)) / lnV : 0;
    return 1 - (hAgivenM + hMgivenA) / 2;
  };
  const perAgent = Array.from({ length: N }, (_, k) => score(k, null));
  let baseline: SpeakerConsistencyResult['baseline'] = null;
  if (shuffles > 0) {
    const rng = new Rng(seed, STREAM.speaker);
    const perm = identity(T);
    const sum = new Array<number>(N).fill(0);
    let maxSum = 0;
    for (let s = 0; s < shuffles; s++) {
      shuffleInPlace(perm, rng);
      const vals = Array.from({ length: N }, (_, k) => score(k, perm));
      vals.forEach((v, k) => (sum[k] += v));
      maxSum += max(vals);
    }
    const per = sum.map((v) => v / shuffles);
    baseline = { per_agent: per, max: maxSum / shuffles, mean: mean(per) };
  }
  return { per_agent: perAgent, max: max(perAgent), mean: mean(perAgent), baseline };
}

// ---------------------------------------------------------------------------------------------------
// Instantaneous coordination

export interface IcOptions extends BaselineOptions {
  /** 'symbol-action': I(m_k(t); a_j(t+1)); 'action-action': I(a_k(t); a_j(t+1)). */
  kind: 'symbol-action' | 'action-action';
}

/** Instantaneous coordination for every ordered pair k != j: the plug-in MI between speaker k's symbol
 * (or action) at t and listener j's action at t+1, over the pairs (t, t+1) inside one episode. The
 * baseline permutes the listeners' t+1 steps over the valid pairs (one permutation per shuffle, shared
 * by all pairs), which keeps each series' marginal and breaks the t -> t+1 link. */
export function instantaneousCoordination(log: CommLog, opts: IcOptions): IcResult {
  const kind = opts?.kind;
  if (kind !== 'symbol-action' && kind !== 'action-action') throw new InputError(`kind: unknown kind ${JSON.stringify(kind)}; allowed values: symbol-action, action-action`);
  const c = checkLog(log, kind === 'symbol-action');
  const { shuffles, seed } = checkBaseline(opts);
  const { N, A, valid } = c;
  if (N < 2) throw new InputError(`N: instantaneous coordination needs at least 2 agents, got ${N}`);
  const n = valid.length;
  if (n === 0) throw new InputError('episodeStart: no pair (t, t+1) lies inside one episode; every episode has a single step');
  const src = kind === 'symbol-action' ? (c.symbols as IntSeq) : c.actions;
  const X = kind === 'symbol-action' ? c.V : A;
  const xs = Array.from({ length: N }, (_, k) => Int32Array.from(valid, (t) => src[t * N + k]));
  const ys = Array.from({ length: N }, (_, j) => Int32Array.from(valid, (t) => c.actions[(t + 1) * N + j]));
  const joint = new Float64Array(X * A);
  const cx = new Float64Array(X);
  const cy = new Float64Array(A);
  const matrixOf = (perm: Int32Array | null) => Array.from({ length: N }, (_, k) => Array.from({ length: N }, (_, j) =>
    k === j ? null : miIndexed(xs[k], ys[j], perm, n, X, A, joint, cx, cy)));
  const offDiag = (mat: (number | null)[][]) => mat.flat().filter((v): v is number => v !== null);
  const matrix = matrixOf(null);
  let baseline: IcResult['baseline'] = null;
  if (shuffles > 0) {
    const rng = new Rng(seed, kind === 'symbol-action' ? STREAM.symbolAction : STREAM.actionAction);
    const perm = identity(n);
    const sum = Array.from({ length: N }, () => new Array<number>(N).fill(0));
    let maxSum = 0;
    for (let s = 0; s < shuffles; s++) {
      shuffleInPlace(perm, rng);
      const mat = matrixOf(perm);
      for (let k = 0; k < N; k++) for (let j = 0; j < N; j++) if (k !== j) sum[k][j] += mat[k][j] as number;
      maxSum += max(offDiag(mat));
    }
    const bm = sum.map((row, k) => row.map((v, j) => (k === j ? null : v / shuffles)));
    baseline = { matrix: bm, max: maxSum / shuffles, mean: mean(offDiag(bm)) };
  }
  const vals = offDiag(matrix);
  return { matrix, max: max(vals), mean: mean(vals), baseline, pairs: n };
}

// ---------------------------------------------------------------------------------------------------
// Influence matrix

/** Summarises per-step influence values c[t][k][j] (Float32Array of length T*N*N, index (t*N + k)*N + j,
 * agent k's influence on agent j at step t, 0 on the diagonal; any real value, since PMI can be < 0). */
export function influenceSummary(c: ArrayLike<number>, T: number, N: number): InfluenceSummary {
  if (!Number.isInteger(T) || T < 1) throw new InputError(`T: expected an integer from 1, got ${String(T)}`);
  if (!Number.isInteger(N) || N < 1) throw new InputError(`N: expected an integer from 1, got ${String(N)}`);
  if (!c || typeof c.length !== 'number' || c.length !== T * N * N) {
    throw new InputError(`c: expected T*N*N = ${T}*${N}*${N} = ${T * N * N} entries (index (t*N + k)*N + j), got ${c && typeof c.length === 'number' ? c.length : typeof c}`);
  }
  const sum = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < N; k++) {
      for (let j = 0; j < N; j++) {
        const idx = (t * N + k) * N + j;
        const v = c[idx];
        if (!Number.isFinite(v)) throw new InputError(`c[${idx}] (t=${t}, k=${k}, j=${j}): ${String(v)}; allowed values: finite numbers`);
        if (k === j && v !== 0) throw new InputError(`c[${idx}] (t=${t}, k=j=${k}): ${v} on the diagonal; allowed value: 0 (an agent does not influence itself)`);
        sum[k][j] += v;
      }
    }
  }
  const meanMatrix = sum.map((row) => row.map((v) => v / T));
  const given = meanMatrix.map((row) => row.reduce((s, v) => s + v, 0));
  const received = Array.from({ length: N }, (_, j) => meanMatrix.reduce((s, row) => s + row[j], 0));
  const total = given.reduce((s, v) => s + v, 0);
  return { mean_matrix: meanMatrix, total, given, received };
}

// ---------------------------------------------------------------------------------------------------
// Influential moments

export interface InfluentialMoments {
  /** The rule: a step is an influential moment of speaker k when c_k(t) = sum_j c_kj(t) >= mean_t c_k(t). */
  rule: 'c_k(t) >= mean_t c_k(t)';
  /** Per speaker: its mean influence c_k over the log, and the number and share of its influential steps. */
  mean_influence: number[];
  steps: number[];
  fraction: number[];
  /** Speaker consistency over each agent's influential steps (null for logs without symbols); the baseline
   * permutes each agent's symbols over its influential steps. */
  speaker_consistency: SpeakerConsistencyResult | null;
  /** IC over the pairs (t, t+1) inside one episode whose t is an influential moment of the speaker k; the
   * baseline permutes the listeners' t+1 steps over each speaker's pairs. pairs_per_speaker[k]: their number. */
  ic_symbol_action: (IcResult & { pairs_per_speaker: number[] }) | null;
  ic_action_action: (IcResult & { pairs_per_speaker: number[] }) | null;
}

/** Per speaker, the steps t whose influence c_k(t) is at least its mean, from c [T*N*N] (checked by influenceSummary). */
function influentialSteps(c: ArrayLike<number>, T: number, N: number): { steps: Int32Array[]; meanInfluence: number[] } {
  const ck = Array.from({ length: N }, () => new Float64Array(T));
  for (let t = 0; t < T; t++) for (let k = 0; k < N; k++) {
    let v = 0;
    for (let j = 0; j < N; j++) v += c[(t * N + k) * N + j];
    ck[k][t] = v;
  }
  const meanInfluence = ck.map((x) => x.reduce((a, v) => a + v, 0) / T);
  // the mean is compared in the same float64 sums, so a constant series marks every step
  const steps = ck.map((x, k) => Int32Array.from(Array.from(x.keys()).filter((t) => x[t] >= meanInfluence[k])));
  return { steps, meanInfluence };
}

/** Speaker consistency of each agent k over the steps steps[k]; the baseline permutes the agent's symbols over
 * those steps (one permutation per agent and shuffle, drawn agent by agent). */
function speakerConsistencyOver(c: Checked, steps: Int32Array[], shuffles: number, seed: number): SpeakerConsistencyResult {
  const { N, A, V } = c;
  const actions = c.actions, symbols = c.symbols as IntSeq;
  const jointAM = new Float64Array(A * V), cA = new Float64Array(A), cV = new Float64Array(V);
  const lnA = Math.log(A), lnV = Math.log(V);
  const score = (k: number, perm: Int32Array | null): number => {
    const S = steps[k], n = S.length;
    if (n === 0) return NaN;
    jointAM.fill(0); cA.fill(0); cV.fill(0);
    for (let q = 0; q < n; q++) {
      const a = actions[S[q] * N + k], m = symbols[S[perm ? perm[q] : q] * N + k];
      jointAM[a * V + m]++; cA[a]++; cV[m]++;
    }
    const hJoint = entropyOfCounts(jointAM, n);
    const hAgivenM = lnA > 0 ? Math.max(0, hJoint - entropyOfCounts(cV, n)) / lnA : 0;
    const hMgivenA = lnV > 0 ? Math.max(0, hJoint - entropyOfCounts(cA, n)) / lnV : 0;
    return 1 - (hAgivenM + hMgivenA) / 2;
  };
  const finite = (xs: number[]) => xs.filter(Number.isFinite);
  const perAgent = Array.from({ length: N }, (_, k) => score(k, null));
  let baseline: SpeakerConsistencyResult['baseline'] = null;
  if (shuffles > 0) {
    const rng = new Rng(seed, STREAM.influentialSpeaker);
    const perms = steps.map((S) => identity(S.length));
    const sum = new Array<number>(N).fill(0);
    let maxSum = 0;
    for (let s = 0; s < shuffles; s++) {
      const vals = perms.map((perm, k) => { shuffleInPlace(perm, rng); return score(k, perm); });
      vals.forEach((v, k) => (sum[k] += v));
      maxSum += max(finite(vals));
    }
    const per = sum.map((v) => v / shuffles);
    baseline = { per_agent: per, max: maxSum / shuffles, mean: mean(finite(per)) };
  }
  return { per_agent: perAgent, max: max(finite(perAgent)), mean: mean(finite(perAgent)), baseline };
}

/** IC of every ordered pair k != j over the pairs (t, t+1) in `pairs[k]` (speaker k's); the baseline permutes
 * the listeners' t+1 steps over each speaker's pairs (one permutation per speaker and shuffle, shared by its
 * listeners). A speaker without pairs gives null entries. */
function icOver(c: Checked, kind: IcOptions['kind'], pairs: Int32Array[], shuffles: number, seed: number): IcResult & { pairs_per_speaker: number[] } {
  const { N, A } = c;
  const src = kind === 'symbol-action' ? (c.symbols as IntSeq) : c.actions;
  const X = kind === 'symbol-action' ? c.V : A;
  const joint = new Float64Array(X * A), cx = new Float64Array(X), cy = new Float64Array(A);
  const xs = pairs.map((P, k) => Int32Array.from(P, (t) => src[t * N + k]));
  const ys = pairs.map((P) => Array.from({ length: N }, (_, j) => Int32Array.from(P, (t) => c.actions[(t + 1) * N + j])));
  const matrixOf = (perms: (Int32Array | null)[]) => Array.from({ length: N }, (_, k) => Array.from({ length: N }, (_, j) =>
    k === j || pairs[k].length === 0 ? null : miIndexed(xs[k], ys[k][j], perms[k], pairs[k].length, X, A, joint, cx, cy)));
  const offDiag = (mat: (number | null)[][]) => mat.flat().filter((v): v is number => v !== null);
  const matrix = matrixOf(pairs.map(() => null));
  let baseline: IcResult['baseline'] = null;
  if (shuffles > 0) {
    const rng = new Rng(seed, kind === 'symbol-action' ? STREAM.influentialSymbolAction : STREAM.influentialActionAction);
    const perms = pairs.map((P) => identity(P.length));
    const sum = Array.from({ length: N }, () => new Array<number>(N).fill(0));
    let maxSum = 0;
    for (let s = 0; s < shuffles; s++) {
      for (const perm of perms) shuffleInPlace(perm, rng);
      const mat = matrixOf(perms);
      for (let k = 0; k < N; k++) for (let j = 0; j < N; j++) if (mat[k][j] !== null) sum[k][j] += mat[k][j] as number;
      maxSum += max(offDiag(mat));
    }
    const bm = sum.map((row, k) => row.map((v, j) => (k === j || pairs[k].length === 0 ? null : v / shuffles)));
    baseline = { matrix: bm, max: maxSum / shuffles, mean: mean(offDiag(bm)) };
  }
  const vals = offDiag(matrix);
  const counts = pairs.map((P) => P.length);
  return { matrix, max: vals.length ? max(vals) : NaN, mean: vals.length ? mean(vals) : NaN, baseline, pairs: counts.reduce((a, x) => a + x, 0), pairs_per_speaker: counts };
}

/** The communication measures on influential moments (Jaques et al. 2019, Fig. 5): the steps at which a
 * speaker's influence c_k(t) = sum_j c_kj(t) is at least its mean over the log. `c` as influenceSummary takes it. */
export function influentialMoments(log: CommLog, c: ArrayLike<number>, opts?: BaselineOptions): InfluentialMoments {
  const hasSymbols = log?.symbols !== undefined;
  const ch = checkLog(log, hasSymbols);
  const { shuffles, seed } = checkBaseline(opts);
  influenceSummary(c, ch.T, ch.N); // checks c's length and values
  const { steps, meanInfluence } = influentialSteps(c, ch.T, ch.N);
  const validSet = new Uint8Array(ch.T);
  for (const t of ch.valid) validSet[t] = 1;
  const pairs = steps.map((S) => S.filter((t) => validSet[t] === 1));
  return {
    rule: 'c_k(t) >= mean_t c_k(t)',
    mean_influence: meanInfluence,
    steps: steps.map((S) => S.length),
    fraction: steps.map((S) => S.length / ch.T),
    speaker_consistency: hasSymbols ? speakerConsistencyOver(ch, steps, shuffles, seed) : null,
    ic_symbol_action: hasSymbols && ch.N >= 2 ? icOver(ch, 'symbol-action', pairs, shuffles, seed) : null,
    ic_action_action: ch.N >= 2 ? icOver(ch, 'action-action', pairs, shuffles, seed) : null,
  };
}

// ---------------------------------------------------------------------------------------------------
// Everything at once

export interface CommMetricsOptions extends BaselineOptions {
  /** Per-step influence values c[t][k][j] for the same T steps (length T*N*N); optional. */
  influence?: ArrayLike<number>;
}

export interface CommMetrics {
  units: 'nats';
  steps: number;
  agents: number;
  /** Number of (t, t+1) pairs inside one episode, the sample size of the IC measures. */
  valid_pairs: number;
  shuffles: number;
  seed: number;
  /** Null when the log has no symbols. */
  speaker_consistency: SpeakerConsistencyResult | null;
  ic_symbol_action: IcResult | null;
  /** Null when N < 2. */
  ic_action_action: IcResult | null;
  influence: InfluenceSummary | null;
  /** The measures on influential moments (Fig. 5); null unless per-step c values are passed. */
  influential: InfluentialMoments | null;
}

/** All measures as one JSON-ready object (snake_case keys). Symbol measures need `log.symbols`. */
export function commMetrics(log: CommLog, opts?: CommMetricsOptions): CommMetrics {
  const hasSymbols = log?.symbols !== undefined;
  const c = checkLog(log, hasSymbols);
  const { shuffles, seed } = checkBaseline(opts);
  const b = { shuffles, seed };
  return {
    units: 'nats',
    steps: c.T,
    agents: c.N,
    valid_pairs: c.valid.length,
    shuffles,
    seed,
    speaker_consistency: hasSymbols ? speakerConsistency(log, b) : null,
    ic_symbol_action: hasSymbols && c.N >= 2 ? instantaneousCoordination(log, { kind: 'symbol-action', ...b }) : null,
    ic_action_action: c.N >= 2 ? instantaneousCoordination(log, { kind: 'action-action', ...b }) : null,
    influence: opts?.influence !== undefined ? influenceSummary(opts.influence, c.T, c.N) : null,
    influential: opts?.influence !== undefined ? influentialMoments(log, opts.influence, b) : null,
  };
}

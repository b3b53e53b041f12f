// The communication and influence measures (Jaques et al. 2019, Sec. 6.3) on hand-computed cases:
// entropies and MI from counts, speaker consistency, instantaneous coordination with its shuffled
// baseline, episode boundaries, the influence summary, bad input and seeded determinism.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  entropy, conditionalEntropy, mutualInformation, speakerConsistency, instantaneousCoordination,
  influenceSummary, commMetrics, influentialMoments, type CommLog,
} from '../src/learn/comm-metrics.ts';
import { InputError } from '../src/util/errors.ts';
import { Rng } from '../src/util/rng.ts';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);
const LN2 = Math.log(2), LN4 = Math.log(4);
const h = (...p: number[]) => -p.reduce((s, q) => s + (q > 0 ? q * Math.log(q) : 0), 0);

/** A log of T steps, N agents with uniform random actions (0..A-1) and symbols (0..V-1). */
function randomLog(T: number, N: number, A: number, V: number, seed: number): CommLog & { actions: Int32Array; symbols: Int32Array } {
  const rng = new Rng(seed);
  const actions = Int32Array.from({ length: T * N }, () => rng.below(A));
  const symbols = Int32Array.from({ length: T * N }, () => rng.below(V));
  return { T, N, numActions: A, numSymbols: V, actions, symbols };
}

test('the MI of a sequence with a copy of itself is its entropy: ln 4 for uniform over 4 values', () => {
  const x = Int32Array.from({ length: 400 }, (_, k) => k % 4);
  close(entropy(x, 4), LN4);
  close(mutualInformation(x, x, 4, 4), LN4);
  close(conditionalEntropy(x, x, 4, 4), 0);
  // a relabelled copy carries the same information
  close(mutualInformation(x, x.map((v) => 3 - v), 4, 6), LN4);
});

test('conditional entropy and MI match hand computations from counts', () => {
  // x = [0,0,0,1], y = [0,0,1,1]: H(X|Y) = 1/2 * 0 + 1/2 * ln 2; I = H(3/4, 1/4) - ln2 / 2
  const x = [0, 0, 0, 1], y = [0, 0, 1, 1];
  close(conditionalEntropy(x, y, 2, 2), LN2 / 2);
  close(conditionalEntropy(y, x, 2, 2), (3 / 4) * h(2 / 3, 1 / 3)); // x = 0: y in {0,0,1}; x = 1: y = 1
  close(mutualInformation(x, y, 2, 2), h(3 / 4, 1 / 4) - LN2 / 2);
  // two independent fair bits laid out exhaustively: exactly 0
  close(mutualInformation([0, 0, 1, 1], [0, 1, 0, 1], 2, 2), 0);
  close(entropy([2, 2, 2], 3), 0);
});

test('independent sequences have MI near 0 and near their shuffled baseline', () => {
  const log = randomLog(4000, 3, 4, 4, 11);
  const ic = instantaneousCoordination(log, { kind: 'action-action', shuffles: 20, seed: 1 });
  // plug-in bias ~ (4-1)(4-1) / (2 * 3999) = 0.0011 nats
  assert.equal(ic.pairs, 3999);
  for (let k = 0; k < 3; k++) for (let j = 0; j < 3; j++) {
    if (k === j) { assert.equal(ic.matrix[k][j], null); continue; }
    const v = ic.matrix[k][j] as number, b = ic.baseline!.matrix[k][j] as number;
    assert.ok(v < 0.006, `MI ${v}`);
    assert.ok(Math.abs(v - b) < 0.004, `MI ${v} vs baseline ${b}`);
    close(b, 9 / (2 * 3999), 0.0006);
  }
  assert.ok(Math.abs(ic.mean - ic.baseline!.mean) < 0.002);
  assert.ok(Math.abs(ic.max - ic.baseline!.max) < 0.004);
  assert.ok(ic.baseline!.max >= ic.baseline!.mean);
});

test('a deterministic symbol <-> action mapping gives speaker consistency 1; independent uniform gives about 0', () => {
  const T = 2000, N = 2;
  const rnd = randomLog(T, N, 4, 4, 3);
  const mapped: CommLog = { ...rnd, symbols: rnd.actions.map((a) => (a + 1) % 4) };
  const sc = speakerConsistency(mapped, { shuffles: 5 });
  sc.per_agent.forEach((v) => close(v, 1));
  close(sc.max, 1);
  close(sc.mean, 1);
  // shuffling symbols against actions destroys the mapping
  assert.ok(sc.baseline!.mean < 0.01, `baseline ${sc.baseline!.mean}`);

  const ind = speakerConsistency(rnd, { shuffles: 5 });
  ind.per_agent.forEach((v) => assert.ok(v >= 0 && v < 0.01, `independent SC ${v}`));
  assert.ok(Math.abs(ind.mean - ind.baseline!.mean) < 0.005);

  // exactly independent and uniform: 0
  const exact = speakerConsistency({ T: 4, N: 1, numActions: 2, numSymbols: 2, actions: [0, 0, 1, 1], symbols: [0, 1, 0, 1] }, { shuffles: 0 });
  close(exact.per_agent[0], 0);
  assert.equal(exact.baseline, null);
});

test('speaker consistency normalises H(a|m) by ln A and H(m|a) by ln V and averages them', () => {
  // a = [0,0,1,1], m = [0,0,0,1]: H(a|m) = 3/4 H(2/3, 1/3), H(m|a) = 1/2 ln 2; A = 3, V = 2
  const sc = speakerConsistency({ T: 4, N: 1, numActions: 3, numSymbols: 2, actions: [0, 0, 1, 1], symbols: [0, 0, 0, 1] }, { shuffles: 0 });
  close(sc.per_agent[0], 1 - ((3 / 4) * h(2 / 3, 1 / 3) / Math.log(3) + (LN2 / 2) / LN2) / 2);
  // a single symbol (V = 1): the H(m|a) term is 0 by convention
  const one = speakerConsistency({ T: 4, N: 1, numActions: 2, numSymbols: 1, actions: [0, 1, 0, 1], symbols: [0, 0, 0, 0] }, { shuffles: 0 });
  close(one.per_agent[0], 1 - (1 + 0) / 2);
});

test('when listener j at t+1 copies speaker k\'s symbol at t, IC symbol/action is H(m_k) and far above the baseline', () => {
  const T = 3000, N = 3, A = 8, V = 4;
  const log = randomLog(T, N, A, V, 5);
  for (let t = 0; t + 1 < T; t++) log.actions[(t + 1) * N + 2] = log.symbols[t * N + 0]; // agent 2 copies agent 0
  const ic = instantaneousCoordination(log, { kind: 'symbol-action', shuffles: 20, seed: 7 });
  const m0 = Int32Array.from({ length: T - 1 }, (_, t) => log.symbols[t * N]);
  close(ic.matrix[0][2] as number, entropy(m0, V));
  close(ic.matrix[0][2] as number, LN4, 0.01);
  close(ic.max, ic.matrix[0][2] as number);
  assert.ok((ic.baseline!.matrix[0][2] as number) < 0.01, `baseline ${ic.baseline!.matrix[0][2]}`);
  assert.ok(ic.baseline!.max < 0.02);
  assert.ok((ic.matrix[1][2] as number) < 0.02 && (ic.matrix[2][0] as number) < 0.02);
  close(ic.mean, ic.matrix.flat().reduce<number>((s, v) => s + (v ?? 0), 0) / 6);
  // the action/action measure does not see a symbol copy
  const aa = instantaneousCoordination(log, { kind: 'action-action', shuffles: 0 });
  assert.ok((aa.matrix[0][2] as number) < 0.02);
  assert.equal(aa.baseline, null);
});

test('pairs (t, t+1) never cross an episode boundary', () => {
  // two 2-step episodes; inside each, agent 1 copies agent 0's symbol. The crossing pair (t=1, t=2) would
  // add (m=1, a=0) and break the copy.
  const log: CommLog = {
    T: 4, N: 2, numActions: 2, numSymbols: 2,
    symbols: [0, 0, 1, 0, 1, 0, 0, 0],
    actions: [0, 0, 0, 0, 0, 0, 0, 1],
    episodeStart: [1, 0, 1, 0],
  };
  const within = instantaneousCoordination(log, { kind: 'symbol-action', shuffles: 0 });
  assert.equal(within.pairs, 2);
  close(within.matrix[0][1] as number, LN2);
  const crossing = instantaneousCoordination({ ...log, episodeStart: undefined }, { kind: 'symbol-action', shuffles: 0 });
  assert.equal(crossing.pairs, 3);
  close(crossing.matrix[0][1] as number, mutualInformation([0, 1, 1], [0, 0, 1], 2, 2));
  assert.ok((crossing.matrix[0][1] as number) < LN2 - 0.1);
  // booleans work as well as 0/1
  const bools = instantaneousCoordination({ ...log, episodeStart: [true, false, true, false] }, { kind: 'symbol-action', shuffles: 0 });
  assert.deepEqual(bools, within);
});

test('the influence summary averages c[t][k][j] over steps and sums it per agent given and received', () => {
  // N = 3, T = 2; c[t][k][j], k influences j
  const c = new Float32Array([
    0, 1, 2, /**/ 0, 0, 0, /**/ 4, 0, 0, // t = 0
    0, 3, 0, /**/ 2, 0, 0, /**/ 0, -2, 0, // t = 1 (PMI may be negative)
  ]);
  const s = influenceSummary(c, 2, 3);
  assert.deepEqual(s.mean_matrix, [[0, 2, 1], [1, 0, 0], [2, -1, 0]]);
  assert.deepEqual(s.given, [3, 1, 1]);
  assert.deepEqual(s.received, [3, 1, 1]);
  assert.equal(s.total, 5);
});

test('bad input is rejected with an InputError that names the field, index and allowed values', () => {
  const ok: CommLog = { T: 3, N: 2, numActions: 3, numSymbols: 2, actions: [0, 1, 2, 0, 1, 2], symbols: [0, 1, 1, 0, 0, 0] };
  const ic = (log: unknown, opts: unknown = { kind: 'action-action' }) => () => instantaneousCoordination(log as CommLog, opts as { kind: 'action-action' });
  const err = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof InputError && re.test(e.message), String(re));
  err(ic({ ...ok, actions: [0, 1, 2] }), /actions: expected T\*N = 3\*2 = 6 entries.*got 3/);
  err(ic({ ...ok, actions: [0, 1, 2, 0, 3, 2] }), /actions\[4\] \(t=2, agent 0\): 3 is out of range; allowed values: integers 0 to 2 \(numActions = 3\)/);
  err(ic({ ...ok, actions: [0, 1, 2, -1, 1, 2] }), /actions\[3\] \(t=1, agent 1\): -1/);
  err(ic({ ...ok, actions: [0, 1.5, 2, 0, 1, 2] }), /actions\[1\].*1\.5/);
  err(ic({ ...ok, symbols: [0, 1, 1, 0, 2, 0] }, { kind: 'symbol-action' }), /symbols\[4\] \(t=2, agent 0\): 2 is out of range; allowed values: integers 0 to 1 \(numSymbols = 2\)/);
  err(ic({ ...ok, symbols: [0, 1] }, { kind: 'symbol-action' }), /symbols: expected T\*N/);
  err(ic({ ...ok, symbols: undefined }, { kind: 'symbol-action' }), /symbols: required/);
  err(ic({ ...ok, numSymbols: undefined }, { kind: 'symbol-action' }), /numSymbols: expected an integer from 1/);
  err(ic({ ...ok, T: 1, actions: [0, 1] }), /T: expected an integer from 2/);
  err(ic({ ...ok, N: 0 }), /N: expected an integer from 1/);
  err(ic({ ...ok, N: 1, actions: [0, 1, 2] }), /N: instantaneous coordination needs at least 2 agents/);
  err(ic({ ...ok, numActions: 0 }), /numActions: expected an integer from 1/);
  err(ic({ ...ok, episodeStart: [1, 0] }), /episodeStart: expected T = 3 entries, got 2/);
  err(ic({ ...ok, episodeStart: [1, 2, 0] }), /episodeStart\[1\]: 2; allowed values: true, false, 0, 1/);
  err(ic({ ...ok, episodeStart: [1, 1, 1] }), /episodeStart: no pair \(t, t\+1\) lies inside one episode/);
  err(ic(ok, { kind: 'symbol/action' }), /kind: unknown kind "symbol\/action"; allowed values: symbol-action, action-action/);
  err(ic(ok, { kind: 'action-action', shuffles: -1 }), /shuffles: expected an integer from 0, got -1/);
  err(ic(ok, { kind: 'action-action', seed: 0.5 }), /seed: expected an integer/);
  err(() => speakerConsistency({ ...ok, symbols: undefined }), /symbols: required/);
  err(() => mutualInformation([0, 1], [0], 2, 2), /y: expected 2 entries/);
  err(() => mutualInformation([0, 4], [0, 1], 2, 2), /x\[1\]: 4 is out of range; allowed values: integers 0 to 1/);
  err(() => conditionalEntropy([0, 1], [0, 1], 2, 0), /ySize: expected an integer from 1/);
  err(() => entropy([], 2), /x: expected a non-empty sequence/);
  err(() => influenceSummary(new Float32Array(7), 2, 2), /c: expected T\*N\*N = 2\*2\*2 = 8 entries/);
  err(() => influenceSummary(new Float32Array([0, 1, 1, 0, 0.5, 0, 0, 0]), 2, 2), /c\[4\] \(t=1, k=j=0\): 0.5 on the diagonal; allowed value: 0/);
  err(() => influenceSummary([0, NaN, 0, 0], 1, 2), /c\[1\] \(t=0, k=0, j=1\): NaN; allowed values: finite numbers/);
  err(() => commMetrics(ok, { influence: new Float32Array(5) }), /c: expected T\*N\*N = 3\*2\*2 = 12 entries/);
});

test('the shuffled baseline is the same under the same seed and differs under another', () => {
  const log = randomLog(500, 3, 5, 3, 9);
  const a = commMetrics(log, { shuffles: 10, seed: 42 });
  const b = commMetrics(log, { shuffles: 10, seed: 42 });
  const c = commMetrics(log, { shuffles: 10, seed: 43 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.ic_symbol_action!.baseline, c.ic_symbol_action!.baseline);
  assert.deepEqual(a.ic_symbol_action!.matrix, c.ic_symbol_action!.matrix, 'the measure itself does not depend on the seed');
  // each measure has its own stream: computing one alone gives the same baseline
  assert.deepEqual(instantaneousCoordination(log, { kind: 'action-action', shuffles: 10, seed: 42 }), a.ic_action_action);
  assert.deepEqual(speakerConsistency(log, { shuffles: 10, seed: 42 }), a.speaker_consistency);
});

test('commMetrics returns one JSON-ready object with snake_case keys, null where a measure does not apply', () => {
  const log = randomLog(200, 2, 4, 3, 1);
  const c = new Float32Array(200 * 4).map((_, k) => (k % 4 === 1 ? 0.5 : 0));
  const r = commMetrics(log, { shuffles: 3, influence: c });
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  assert.deepEqual(Object.keys(r), ['units', 'steps', 'agents', 'valid_pairs', 'shuffles', 'seed', 'speaker_consistency', 'ic_symbol_action', 'ic_action_action', 'influence', 'influential']);
  assert.equal(r.units, 'nats');
  assert.equal(r.valid_pairs, 199);
  assert.deepEqual(Object.keys(r.ic_symbol_action!.baseline!), ['matrix', 'max', 'mean']);
  assert.equal(r.influence!.total, 0.5);
  const noSymbols = commMetrics({ ...log, symbols: undefined, numSymbols: undefined }, { shuffles: 2 });
  assert.equal(noSymbols.speaker_consistency, null);
  assert.equal(noSymbols.ic_symbol_action, null);
  assert.ok(noSymbols.ic_action_action);
  assert.equal(noSymbols.influence, null);
  assert.equal(noSymbols.influential, null);
  // with influence, the influential-moment measures come along (here every step: each speaker's c is constant)
  assert.deepEqual(r.influential!.steps, [200, 200]);
  assert.deepEqual(r.influential!.mean_influence, [0.5, 0]);
});

test('on influential moments (c_k(t) >= its mean) the measures see only those steps: hand-computed IC and consistency', () => {
  // Speaker 0's influence is 1 at every 4th step and 0 elsewhere (mean 0.25): its influential moments are
  // t = 0, 4, 8, ...; at those steps its action equals its symbol, which alternates 0, 1, 0, 1, ..., and
  // listener 1 copies the symbol at t + 1. Elsewhere the actions and symbols are random. Agent 1 never
  // influences (c = 0 = its mean): every one of its steps counts.
  const T = 400, N = 2;
  const rng = new Rng(5);
  const actions = new Int32Array(T * N), symbols = new Int32Array(T * N);
  for (let k = 0; k < T * N; k++) { actions[k] = rng.below(2); symbols[k] = rng.below(2); }
  const c = new Float32Array(T * N * N);
  for (let t = 0; t < T; t += 4) {
    const m = (t / 4) % 2;
    symbols[t * N + 0] = m;
    actions[t * N + 0] = m;
    actions[(t + 1) * N + 1] = m;
    c[(t * N + 0) * N + 1] = 1;
  }
  // an episode starts at t = 5: the influential pair (4, 5) crosses it and is left out
  const episodeStart = Array.from({ length: T }, (_, t) => t === 5);
  const log: CommLog = { T, N, numActions: 2, numSymbols: 2, actions, symbols, episodeStart };
  const inf = influentialMoments(log, c, { shuffles: 20, seed: 3 });
  assert.deepEqual(inf.mean_influence, [0.25, 0]);
  assert.deepEqual(inf.steps, [100, 400]);
  assert.deepEqual(inf.fraction, [0.25, 1]);
  // speaker 0 on its 100 moments: action = symbol, so consistency is exactly 1
  close(inf.speaker_consistency!.per_agent[0], 1);
  // IC symbol/action 0 -> 1 over the 99 pairs left (t = 4 dropped): the symbols there are 49 ones and 50 zeros
  // (t = 4 had symbol 1) and the listener copies them, so I = H(50/99, 49/99)
  assert.deepEqual(inf.ic_symbol_action!.pairs_per_speaker, [99, 398]);
  close(inf.ic_symbol_action!.matrix[0][1] as number, h(50 / 99, 49 / 99));
  // the same on action/action (speaker 0's action equals its symbol at its moments)
  close(inf.ic_action_action!.matrix[0][1] as number, h(50 / 99, 49 / 99));
  // the shuffled baseline breaks the copy: far below
  assert.ok((inf.ic_symbol_action!.baseline!.matrix[0][1] as number) < 0.05, `baseline ${inf.ic_symbol_action!.baseline!.matrix[0][1]}`);
  // over all steps the copy is diluted by the random 3 in 4 steps: well below ln 2
  const all = instantaneousCoordination(log, { kind: 'symbol-action', shuffles: 0 });
  assert.ok((all.matrix[0][1] as number) < 0.2, `all-steps IC ${all.matrix[0][1]}`);
  // agent 1's moments are all its steps: its row is the all-steps one
  close(inf.ic_symbol_action!.matrix[1][0] as number, all.matrix[1][0] as number);
  // seeded: the same again, another seed moves only the baseline
  assert.deepEqual(influentialMoments(log, c, { shuffles: 20, seed: 3 }), inf);
  const other = influentialMoments(log, c, { shuffles: 20, seed: 4 });
  assert.deepEqual(other.ic_symbol_action!.matrix, inf.ic_symbol_action!.matrix);
  assert.notDeepEqual(other.ic_symbol_action!.baseline, inf.ic_symbol_action!.baseline);
  // bad influence input is refused naming the field
  assert.throws(() => influentialMoments(log, c.subarray(1), {}), (e: Error) => e instanceof InputError && /^c: expected T\*N\*N/.test(e.message));
});

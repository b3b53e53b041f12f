// The counterfactual LSTM step (src/learn/tfjs/lstm-counterfactual.ts, kernel assembly/learn/lstm-cf.ts)
// against (a) one plain LSTM step of the real input (lstmSequence, T = 1) and (b) the naive K-fold way (K * S
// streams through lstmSequence), on tfjs's wasm backend with the learner's kernels, in interleaved rounds
// (a, cf, naive, a, cf, naive, ...). Shapes: 5 networks, 16 streams, LSTM 128 over 32 dense features plus a
// one-hot block of 5 x 9 entries (Cleanup's 9 actions or symbols). Run it pinned to one core:
//   taskset -c 0 node --import tsx scripts/bench-lstm-cf.ts [--rounds 7] [--ms 300]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/learn/tfjs/backend.ts';
import { learnKernelsActive } from '../src/learn/tfjs/wasm-kernels.ts';
import { lstmSequence } from '../src/learn/tfjs/ops.ts';
import { lstmStepCounterfactual } from '../src/learn/tfjs/lstm-counterfactual.ts';
import { mulberry32 } from '../src/learn/policy/init.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, ms: { type: 'string', default: '300' } } });
const rounds = Number(values.rounds), ms = Number(values.ms);
if (!Number.isInteger(rounds) || rounds < 1) { console.error(`--rounds: expected a positive integer, got '${values.rounds}'`); process.exit(2); }
if (!(ms > 0)) { console.error(`--ms: expected a positive number, got '${values.ms}'`); process.exit(2); }

await initBackend('wasm');
if (!learnKernelsActive()) { console.error('the learner\'s wasm kernels are not installed here (WebAssembly SIMD missing?)'); process.exit(1); }

const G = 5, S = 16, D = 32, N = 5, V = 9, H = 128, I = D + N * V;
interface Shape { name: string; R: number; altGroup: Int32Array; altIdx: Int32Array }
const shapes: Shape[] = [
  // model III's MOA: one group (the actions of all agents at t-1), network g swaps its own agent's action
  { name: 'MOA (R 1, K 9)', R: 1, altGroup: new Int32Array(V), altIdx: Int32Array.from({ length: G * V }, (_, j) => j) },
  // model I with 3 influencers: each swaps its action among 9
  { name: 'model I (R 3, K 27)', R: 3, altGroup: Int32Array.from({ length: 3 * V }, (_, k) => Math.floor(k / V)),
    altIdx: Int32Array.from({ length: G * 3 * V }, (_, j) => j % (3 * V)) },
  // model II: every speaker's symbol among 9
  { name: 'model II (R 5, K 45)', R: N, altGroup: Int32Array.from({ length: N * V }, (_, k) => Math.floor(k / V)),
    altIdx: Int32Array.from({ length: G * N * V }, (_, j) => j % (N * V)) },
];

const rng = mulberry32(1);
const rand = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rng() * 2 - 1) * scale);
const W = tf.tensor3d(rand(G * (I + H) * 4 * H, 0.1), [G, I + H, 4 * H]), bias = tf.tensor2d(rand(G * 4 * H, 0.1), [G, 4 * H]);
const h0 = tf.tensor3d(rand(G * S * H, 1), [G, S, H]), c0 = tf.tensor3d(rand(G * S * H, 1), [G, S, H]);
const keep = tf.ones([G, 1, S]) as tf.Tensor3D;

/** CPU seconds per call of f (this process's user + system time, which other processes on the core do not
 * inflate as they do wall-clock time), over batches of about `ms` milliseconds of CPU time. */
function time(f: () => void): number {
  let n = 0;
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  const t0 = cpu();
  while (cpu() - t0 < ms / 1000) { f(); n++; }
  return (cpu() - t0) / n;
}
const median = (a: number[]) => { const s = [...a].sort((p, q) => p - q); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

console.log(`LSTM step, G ${G}, S ${S}, I ${I}, H ${H}; tfjs wasm + learner kernels; ${new Date().toISOString().slice(0, 10)}, ${process.version}, ${rounds} interleaved rounds of ${ms} ms of CPU time per variant; milliseconds of CPU time per call, medians`);
console.log('| shape | real step (ms) | counterfactual step (ms) | naive K-fold (ms) | cf / real | naive / real | naive / cf |');
console.log('|---|---|---|---|---|---|---|');
for (const sh of shapes) {
  const K = sh.altGroup.length;
  const realIdx = Int32Array.from({ length: G * sh.R * S }, (_, j) => {
    const g = Math.floor(j / (sh.R * S)), r = Math.floor(j / S) % sh.R;
    return sh.R === 1 ? g * V + Math.floor(rng() * V) : r * V + Math.floor(rng() * V);
  });
  const xs = rand(G * S * I, 1);
  for (let g = 0; g < G; g++) {
    for (let s = 0; s < S; s++) {
      const row = (g * S + s) * I;
      xs.fill(0, row + D, row + I);
      for (let r = 0; r < sh.R; r++) xs[row + D + realIdx[(g * sh.R + r) * S + s]] = 1;
    }
  }
  const x = tf.tensor3d(xs, [G, S, I]), x4 = tf.reshape(x, [G, 1, S, I]) as tf.Tensor4D;
  // the naive way's inputs, built once (building them is not timed)
  const xa = new Float32Array(G * K * S * I);
  for (let g = 0; g < G; g++) {
    for (let k = 0; k < K; k++) {
      for (let s = 0; s < S; s++) {
        const dst = ((g * K + k) * S + s) * I;
        xa.set(xs.subarray((g * S + s) * I, (g * S + s + 1) * I), dst);
        xa[dst + D + realIdx[(g * sh.R + sh.altGroup[k]) * S + s]] = 0;
        xa[dst + D + sh.altIdx[g * K + k]] = 1;
      }
    }
  }
  const xn = tf.tensor4d(xa, [G, 1, K * S, I]);
  const tile = (t: tf.Tensor3D) => tf.reshape(tf.tile(tf.expandDims(t, 1), [1, K, 1, 1]), [G, K * S, H]) as tf.Tensor3D;
  const hn = tile(h0), cn = tile(c0), kn = tf.ones([G, 1, K * S]) as tf.Tensor3D;
  // each in a scope of its own, which releases its outputs (and the real step's gates and cells)
  const real = () => tf.tidy(() => { lstmSequence(x4, W, bias, h0, c0, keep); });
  const cf = () => tf.tidy(() => { lstmStepCounterfactual(x, W, bias, h0, c0, keep, D, realIdx, sh.R, sh.altIdx, sh.altGroup); });
  const naive = () => tf.tidy(() => { lstmSequence(xn, W, bias, hn, cn, kn); });
  for (const f of [real, cf, naive]) for (let k = 0; k < 3; k++) f(); // warm-up
  const t: number[][] = [[], [], []];
  for (let r = 0; r < rounds; r++) [real, cf, naive].forEach((f, j) => t[j].push(time(f)));
  const [a, b, c] = t.map(median);
  // ratios per round (same round, same machine state), then their median
  const ratio = (p: number, q: number) => median(t[p].map((v, r) => v / t[q][r])).toFixed(2);
  console.log(`| ${sh.name} | ${(a * 1e3).toFixed(3)} | ${(b * 1e3).toFixed(3)} | ${(c * 1e3).toFixed(3)} | ${ratio(1, 0)} | ${ratio(2, 0)} | ${ratio(2, 1)} |`);
  tf.dispose([x, x4, xn, hn, cn, kn]);
}

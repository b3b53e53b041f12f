// The paper's other metrics on hand-computed values: the Gini coefficient and the equality-weighted return
// R (1 - G) (Jaques et al. 2019, Fig. 16), Pearson's r and Spearman's rho with their p (the influence/return
// correlation), the MOA's most-frequent-action baseline, and R (1 - G) as a derived metric of metrics lines.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gini, equalityWeightedReturn, correlation, ranks } from '../src/util/stats.ts';
import { majorityAccuracy, Window } from '../src/learn/window.ts';
import { metricValue, metricsOf, type Run } from '../src/plot/curves.ts';
import { agentInfluence, parseWindow } from '../src/sweep/report.ts';
import { InputError } from '../src/util/errors.ts';

const close = (a: number | null, b: number, tol = 1e-12) => assert.ok(a !== null && Math.abs(a - b) < tol, `${a} vs ${b}`);

test('Gini and R (1 - G): hand-computed cases, and the form that stays defined when R <= 0', () => {
  // [1, 2, 3, 4]: sum_i sum_j |e_i - e_j| = 2 (1 + 2 + 3 + 1 + 2 + 1) = 20; / (2 N) = 2.5; R = 10
  close(gini([1, 2, 3, 4]), 0.25);
  close(equalityWeightedReturn([1, 2, 3, 4]), 7.5);
  // order does not matter
  close(equalityWeightedReturn([4, 1, 3, 2]), 7.5);
  // one agent takes all: sum = 2 * 3 * 10 = 60, / 8 = 7.5; G = 0.75, R (1 - G) = 2.5
  close(gini([0, 0, 0, 10]), 0.75);
  close(equalityWeightedReturn([0, 0, 0, 10]), 2.5);
  // equal returns: G = 0, R (1 - G) = R
  close(gini([3, 3, 3]), 0);
  close(equalityWeightedReturn([3, 3, 3]), 9);
  // R (1 - G) = R * equality wherever G is defined (equality = 1 - G, docs/metrics.md)
  const e = [5, 0, 2, 9, 1];
  close(equalityWeightedReturn(e), 17 * (1 - gini(e)!), 1e-9);
  // R <= 0: G is undefined, R - sum |e_i - e_j| / (2N) is not: [-1, 1, -2] has pairs 2, 1, 3 -> 12 / 6 = 2; R = -2
  assert.equal(gini([-1, 1, -2]), null);
  assert.equal(gini([0, 0]), null);
  close(equalityWeightedReturn([-1, 1, -2]), -4);
  close(equalityWeightedReturn([0, 0]), 0);
  assert.equal(equalityWeightedReturn([]), null);
  assert.equal(equalityWeightedReturn([1, NaN]), null);
});

test('Pearson r and Spearman rho with their two-sided p, hand-computed', () => {
  // x = 1..5, y = [2, 4, 5, 4, 5]: sxy = 6, sxx = 10, syy = 6 -> r = 6 / sqrt(60)
  const c = correlation([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
  assert.equal(c.n, 5);
  close(c.pearson, 6 / Math.sqrt(60));
  // ranks of y with ties: [1, 2.5, 4.5, 2.5, 4.5]; rho = 7 / sqrt(10 * 9)
  assert.deepEqual(ranks([2, 4, 5, 4, 5]), [1, 2.5, 4.5, 2.5, 4.5]);
  close(c.spearman, 7 / Math.sqrt(90));
  // p from t = r sqrt(3 / (1 - r^2)) = sqrt(4.5) with 3 degrees of freedom, whose CDF has a closed form:
  // F(t) = 1/2 + (1/pi) (u / (1 + u^2) + atan u), u = t / sqrt(3)
  const u = Math.sqrt(4.5) / Math.sqrt(3);
  close(c.pearson_p, 2 * (1 - (0.5 + (u / (1 + u * u) + Math.atan(u)) / Math.PI)), 1e-9);
  // a perfect line: r = rho = 1, p = 0; reversed: -1
  const line = correlation([1, 2, 3, 4], [3, 5, 7, 9]);
  assert.equal(line.pearson, 1);
  assert.equal(line.pearson_p, 0);
  assert.equal(correlation([1, 2, 3, 4], [9, 7, 5, 3]).spearman, -1);
  // null values are left out pairwise; fewer than 3 pairs or no spread give null
  assert.deepEqual(correlation([1, null, 3, 4], [1, 2, null, 4]), { n: 2, pearson: null, pearson_p: null, spearman: null, spearman_p: null });
  assert.equal(correlation([1, 2, 3], [5, 5, 5]).pearson, null);
});

test('the MOA baseline: the accuracy of predicting each other agent\'s most frequent action', () => {
  // A = 3; two (agent, other) blocks: [5, 1, 4] -> 5 right of 10, [0, 2, 0] -> 2 of 2: 7 of 12
  close(majorityAccuracy([5, 1, 4, 0, 2, 0], 3), 7 / 12);
  assert.equal(majorityAccuracy([0, 0, 0], 3), null);
  assert.equal(majorityAccuracy(undefined, 3), null);
  // a window sums the counts of its updates (and of the windows merged into it) and reports the baseline
  const w = new Window(2);
  w.addUpdate({ policyLoss: 0, valueLoss: 0, entropy: 0, gradNorm: 0, moaLoss: 1, moaCorrect: 3, moaCounted: 6, moaTargets: [3, 0, 1, 2] });
  const other = new Window(2);
  other.addUpdate({ policyLoss: 0, valueLoss: 0, entropy: 0, gradNorm: 0, moaLoss: 1, moaCorrect: 1, moaCounted: 2, moaTargets: [0, 1, 1, 0] });
  w.add(other.toJSON());
  const row = w.row(100, 200, 2, 1, 1, 1, { numActions: 2, moa: true });
  // counts [3, 1, 2, 2]: max 3 + 2 of 8
  close(row.moa!.majority_accuracy, 5 / 8);
  close(row.moa!.accuracy, 4 / 8);
  // a window saved before the counts existed still loads (no baseline then)
  const { targets: _t, ...old } = other.toJSON().moa;
  const legacy = Window.from(2, { ...other.toJSON(), moa: old });
  assert.equal(legacy.row(1, 2, 1, 1, 1, 1, { numActions: 2, moa: true }).moa!.majority_accuracy, null);
});

test('R (1 - G) is a derived metric of any metrics line with per-agent returns', () => {
  const rows = [
    { env_steps: 10, collective_return: 10, equality: null, sustainability: null, returns: [1, 2, 3, 4] },
    { env_steps: 20, collective_return: null, equality: null, sustainability: null, returns: null },
  ];
  close(metricValue(rows[0], 'equality_weighted_return'), 7.5);
  assert.equal(metricValue(rows[1], 'equality_weighted_return'), null);
  const run: Run = { dir: 'r', game: 'harvest', model: 'a2c', algo: 'a2c', seed: 0, config: {}, rows };
  assert.ok(metricsOf([run]).includes('equality_weighted_return'));
  // a line that has the field keeps its own value
  assert.equal(metricValue({ equality_weighted_return: 3, returns: [1, 2, 3, 4] }, 'equality_weighted_return'), 3);
});

test('a run\'s influence received per agent is the column sum of its window\'s influence matrices, beside its returns', () => {
  const row = (x: number, m: number[][], r: number[]) => ({ env_steps: x, collective_return: 0, equality: null, sustainability: null, returns: r, influence: { matrix: m, total: 0, beta: 1 } });
  const run: Run = {
    dir: 'r', game: 'harvest', model: 'influence', algo: 'a2c', seed: 0, config: {}, rows: [
      row(10, [[0, 9], [9, 0]], [9, 9]), // outside the window (last half of 40 steps)
      row(30, [[0, 1], [2, 0]], [1, 3]),
      row(40, [[0, 3], [4, 0]], [3, 5]),
    ],
  };
  const got = agentInfluence(run, 40, 0.5)!;
  // agent 0 receives c_10: (2 + 4) / 2; agent 1 receives c_01: (1 + 3) / 2
  assert.deepEqual(got.received, [3, 2]);
  assert.deepEqual(got.returns, [2, 4]);
  assert.equal(agentInfluence({ ...run, rows: run.rows.map(({ influence: _i, ...r }) => r) }, 40, 0.5), null);
});

test('a report window is a fraction or lastP percent; anything else is one line naming the flag', () => {
  assert.equal(parseWindow('0.1'), 0.1);
  assert.equal(parseWindow('last25'), 0.25);
  assert.equal(parseWindow('last100'), 1);
  for (const bad of ['0', 'last0', 'last150', 'first25', '', '1.5']) {
    assert.throws(() => parseWindow(bad), (e: Error) => e instanceof InputError && /^--window: expected a fraction in \(0, 1\] \(0\.25\) or lastP/.test(e.message), bad);
  }
});

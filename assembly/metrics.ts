// Social outcome metrics of Perolat et al. (2017), docs/RULES.md's last section, computed when an episode ends.
// For T steps, N agents and returns R_i:
//   efficiency     U = sum_i R_i / T
//   equality       E = 1 - sum_i sum_j |R_i - R_j| / (2 N sum_i R_i), NaN (undefined) when sum_i R_i <= 0
//   sustainability S = mean over agents of the mean 1-based step at which the agent got a positive
//                      reward; agents that never did are left out, NaN when none did
//   peace          P = (N T - agent-steps spent removed by tags) / T

import { numAgents as N } from './config';
import { STAT_COUNT } from './layout';

export const enum Stat {
  RETURN = 0, APPLES = 1, FIRES = 2, CLEANS = 3, HITS_RECEIVED = 4, HITS_GIVEN = 5, POSITIVE_STEPS = 6,
}

@inline export function statPtr(base: usize, b: i32, stat: i32, i: i32): usize {
  return base + (<usize>((b * STAT_COUNT + stat) * N + i) << 2);
}

/** Writes [efficiency, equality, sustainability, peace] for env b to `out` from its finished stats. */
export function socialMetrics(stats: usize, posT: usize, removed: i32, b: i32, T: i32, out: usize): void {
  let sum = 0.0;
  for (let i = 0; i < N; i++) sum += <f64>load<i32>(statPtr(stats, b, Stat.RETURN, i));
  let diff = 0.0;
  for (let i = 0; i < N; i++) {
    const ri = <f64>load<i32>(statPtr(stats, b, Stat.RETURN, i));
    for (let j = 0; j < N; j++) diff += Math.abs(ri - <f64>load<i32>(statPtr(stats, b, Stat.RETURN, j)));
  }
  let sust = 0.0;
  let counted = 0;
  for (let i = 0; i < N; i++) {
    const n = load<i32>(statPtr(stats, b, Stat.POSITIVE_STEPS, i));
    if (n > 0) {
      sust += load<f64>(posT + (<usize>(b * N + i) << 3)) / <f64>n;
      counted++;
    }
  }
  store<f64>(out, sum / <f64>T);
  store<f64>(out, sum > 0.0 ? 1.0 - diff / (2.0 * <f64>N * sum) : NaN, 8);
  store<f64>(out, counted > 0 ? sust / <f64>counted : NaN, 16);
  store<f64>(out, (<f64>N * <f64>T - <f64>removed) / <f64>T, 24);
}

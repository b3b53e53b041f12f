// Piecewise-linear schedules (the learning rate's annealing, the influence curriculum).

import type { CoreConfig } from './settings.ts';

/** A piecewise-linear schedule's value at `x`: linear between points, the first point's value before it and the
 * last's after it. */
export function scheduleAt(points: readonly (readonly [number, number])[], x: number): number {
  if (x < points[0][0]) return points[0][1];
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i];
    if (x < x1) {
      const [x0, y0] = points[i - 1];
      return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return points[points.length - 1][1];
}

/** The learning rate in force at `envSteps`: linear from lr at 0 to lrEnd at lrAnnealSteps, then lrEnd. */
export function lrAt(c: Pick<CoreConfig, 'lr' | 'lrEnd' | 'lrAnnealSteps'>, envSteps: number): number {
  if (c.lrEnd === c.lr) return c.lr;
  return scheduleAt([[0, c.lr], [c.lrAnnealSteps, c.lrEnd]], envSteps);
}

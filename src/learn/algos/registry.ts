// The algorithms, one line each (the settings table's `algo` choices come from here).

import { a2c } from './a2c.ts';
import { ppo } from './ppo.ts';
import type { Algorithm } from './algorithm.ts';

export const ALGORITHM_LIST = [a2c, ppo] as const;
export type AlgoName = (typeof ALGORITHM_LIST)[number]['name'];
export const ALGOS: readonly AlgoName[] = ALGORITHM_LIST.map((a) => a.name);

/** The algorithm called `name`. */
export function algorithmOf(name: string): Algorithm<any, any> {
  const a = ALGORITHM_LIST.find((x) => x.name === name);
  if (!a) throw new Error(`algo: unknown algorithm '${name}'; algorithms: ${ALGOS.join(', ')}`);
  return a as Algorithm<any, any>;
}

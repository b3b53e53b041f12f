// The library entry for Node: everything of ./index.ts, with a train() that also writes run directories
// and splits the environments over worker threads (config.workers).

import { createTrainer } from './hosting/run-dir.ts';
import { runTrainer, type TrainOptions } from './learn/train.ts';
import type { TrainConfig } from './learn/config.ts';
import type { TrainSummary } from './learn/trainer.ts';
import { InputError } from './util/errors.ts';
import { setWebgpuProvider } from './learn/tfjs/backend.ts';
import { provideNodeWebgpu } from './learn/tfjs/node-webgpu.ts';

setWebgpuProvider(provideNodeWebgpu);

export * from './index.ts';

/**
 * Trains `config` (every field optional, see TrainConfig); with opts.runDir writes config, metrics,
 * checkpoints and a summary there; with config.workers > 0 trains in that many worker threads.
 * @example const summary = await train({ game: 'cleanup', model: 'influence-moa', workers: 2 }, { runDir: 'runs/a' });
 */
export async function train(config: Partial<TrainConfig>, opts: TrainOptions = {}): Promise<TrainSummary> {
  if (opts.group || opts.store) throw new InputError('train: in Node, give runDir (and config.workers) rather than a group or a store');
  return runTrainer(await createTrainer(config, opts.runDir), opts);
}

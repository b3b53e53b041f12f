// The library entry: `import { createVecEnv } from 'commons'`. Built to dist/lib/node.js and
// dist/lib/browser.js (scripts/build-bundles.mjs), so everything exported here must load in a browser:
// no node: modules on any path from this file (the build names the import chain if one appears).
export { createVecEnv } from './env/vec-env.ts';
export type { EnvConfig, EnvSpec, StepResult, EpisodeStats, VecEnv, AgentState } from './env/vec-env.ts';
export { GAMES, GAME_INFO, ACTION, ORIENTATION, type GameName, type GameInfo } from './env/games.ts';
export { HARVEST_MAP, CLEANUP_MAP, parseMap } from './env/maps.ts';
export { CELL } from './core/layout.ts';
export { toAscii } from './env/ascii.ts';
export { InputError } from './util/errors.ts';

// Training: the configuration and what a run reports.
export {
  MODELS, ALGOS, resolveTrainConfig, configWarnings, finalSteps, type TrainConfig, type PresetName, type ModelName, type AlgoName, type HostFacts,
} from './learn/config.ts';
export { PRESETS, PAPER, presetSettings } from './learn/presets.ts';
export type { MetricsRow, TrainSummary, Progress, RunHooks } from './learn/trainer.ts';
export type { BackendName } from './learn/tfjs/backend.ts';
// train() here runs in the calling thread; the Node build (src/node.ts) adds run directories and workers.
export { train, type TrainOptions } from './learn/train.ts';

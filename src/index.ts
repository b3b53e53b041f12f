// The library entry: `import { createVecEnv } from 'commons'`.
export { createVecEnv } from './env/vec-env.ts';
export type { EnvConfig, EnvSpec, StepResult, EpisodeStats, VecEnv, AgentState } from './env/vec-env.ts';
export { GAMES, GAME_INFO, ACTION, ORIENTATION, type GameName } from './env/games.ts';
export { HARVEST_MAP, CLEANUP_MAP, parseMap } from './env/maps.ts';
export { CELL } from './core/layout.ts';
export { toAscii } from './env/ascii.ts';

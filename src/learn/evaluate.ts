// Evaluation: a trained population plays whole episodes without learning. Used by `commons eval`,
// `commons render --run` and the learning tests.

import { createVecEnv, type EpisodeStats } from '../env/vec-env.ts';
import { gameInfo } from '../env/games.ts';
import { Rng } from '../util/rng.ts';
import { Agents } from './agents.ts';
import type { TrainConfig } from './config.ts';
import { loadCheckpoint, checkCompatible } from './checkpoint.ts';
import { initBackend } from './tfjs/backend.ts';
import { readRunConfig } from './run-dir.ts';

export interface EvalOptions {
  episodes: number;
  /** Most probable action instead of sampling. */
  greedy?: boolean;
  /** Seed of the evaluation episodes (environment and sampling). */
  seed?: number;
  /** Called with env 0's frame after every step (for renderers). */
  onFrame?: (rgb: Uint8Array) => void;
  /** Environments played at once (default min(episodes, 16)). */
  batch?: number;
}

/** Plays `episodes` episodes with `agents`; returns their statistics in order. */
export async function evaluate(cfg: TrainConfig, agents: Agents, opts: EvalOptions): Promise<EpisodeStats[]> {
  const B = agents.numEnvs;
  const rng = new Rng(opts.seed ?? 0, 2);
  const out: EpisodeStats[] = [];
  const env = await createVecEnv({
    game: cfg.game, numEnvs: B, numAgents: cfg.agents, seed: opts.seed ?? 0, map: cfg.map,
    viewRadius: cfg.viewRadius, episodeLength: cfg.episodeLength,
  });
  try {
    for (let wave = 0; out.length < opts.episodes; wave++) {
      let r = env.reset((opts.seed ?? 0) + wave);
      agents.resetState();
      const resets = new Uint8Array(B).fill(1);
      if (opts.onFrame) opts.onFrame(env.renderWorld(0));
      for (let t = 0; t < cfg.episodeLength; t++) {
        agents.act(r.obs, resets, rng, env.actions, { greedy: opts.greedy });
        r = env.step();
        resets.fill(0);
        if (opts.onFrame) opts.onFrame(env.renderWorld(0));
      }
      for (let b = 0; b < B && out.length < opts.episodes; b++) out.push(env.lastEpisode(b)!);
    }
  } finally {
    env.close();
  }
  return out;
}

/** Loads a run's configuration and the weights of one checkpoint (default: the latest) for evaluation. */
export async function loadPolicy(runDir: string, opts: { checkpoint?: string; batch: number }) {
  const cfg = readRunConfig(runDir, '--run');
  const ckpt = loadCheckpoint(runDir, opts.checkpoint);
  checkCompatible(ckpt.manifest, { game: cfg.game, agents: cfg.agents, model: cfg.model, shareParams: cfg.shareParams }, ckpt.dir);
  await initBackend(cfg.backend);
  const agents = new Agents(cfg, gameInfo(cfg.game).actionNames.length, opts.batch, cfg.agents);
  await agents.setState(ckpt.tensors, true);
  return { cfg, agents, checkpoint: ckpt.manifest.id, envSteps: ckpt.manifest.envSteps };
}

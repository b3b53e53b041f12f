// Evaluation: a trained population plays whole episodes without learning. Used by `commons eval`,
// `commons render --run` and the learning tests.

import { createVecEnv, type EpisodeStats } from '../env/vec-env.ts';
import { Rng } from '../util/rng.ts';
import { envSettings, type TrainConfig } from './config.ts';
import { Policy } from './policy/policy.ts';
import { Play } from './play.ts';
import { modelOf } from './models/registry.ts';
import { createInfluenceKernel } from '../core/influence.ts';
import { commMetrics, type CommMetrics } from './comm-metrics.ts';
import { InfluenceMeter } from './window.ts';
import { correlation, type Correlation } from '../util/stats.ts';

export interface EvalOptions {
  episodes: number;
  /** Most probable action instead of sampling. */
  greedy?: boolean;
  /** Seed of the evaluation: episode k's environment is seeded seed + k; actions are sampled from one
   * generator seeded `seed`. */
  seed?: number;
  /** Called with env 0's frame after every step (for renderers). */
  onFrame?: (rgb: Uint8Array) => void;
  /** Environments played at once (default min(episodes, 16)). */
  batch?: number;
  /** Called after every step of every wave of episodes: env b plays episode `firstEpisode + b` (episodes past
   * opts.episodes are played but not kept), t counts from 0; `ck` [B * N] is each agent's influence of this step
   * (zeros for models without influence); `actions` [B * N] the actions taken. The arrays are live: copy. */
  onStep?: (step: { t: number; firstEpisode: number; ck: Float32Array; actions: Uint8Array }) => void;
}

/** Plays `episodes` episodes with `agents`; returns their statistics in order. */
export async function evaluate(cfg: TrainConfig, agents: Policy, opts: EvalOptions): Promise<EpisodeStats[]> {
  return (await evaluateWithMeasures(cfg, agents, opts)).episodes;
}

export interface EvalMeasures {
  episodes: EpisodeStats[];
  /** Each episode's environment seed: `createVecEnv({ seed, numEnvs: 1 })` starts that episode's environment. */
  seeds: number[];
  /** Models that measure influence (model I, MOA models): mean c_kj [k][j] over the agent-steps played, and its total per env-step. */
  influence: { matrix: number[][]; total: number } | null;
  /** The paper's communication and coordination measures on the symbols and actions played (docs/metrics.md),
   * with the measures on influential moments for the models that measure influence. */
  comm: CommMetrics;
  /** Models that measure influence: per episode and agent j, the influence it received per step, mean over the
   * episode's steps of sum_k c_kj. */
  received: number[][] | null;
  /** The correlation of that influence received with the agent's return over every (episode, agent). */
  influenceVsReturn: Correlation | null;
}

/** As evaluate(), also measuring influence (MOA models) and instantaneous coordination of the actions. */
export async function evaluateWithMeasures(cfg: TrainConfig, agents: Policy, opts: EvalOptions): Promise<EvalMeasures> {
  const B = agents.B, N = cfg.agents;
  const rng = new Rng(opts.seed ?? 0, 2);
  const out: EpisodeStats[] = [];
  const seeds: number[] = [];
  const kernel = modelOf(cfg.model).measuresInfluence ? await createInfluenceKernel() : undefined;
  const meter = new InfluenceMeter(N);
  // Actions of every played episode, one stream of T*N per env, concatenated episode by episode.
  const logged: number[] = [];
  const symbols: number[] = [];
  const starts: number[] = [];
  // Per-step influence c[t][k][j] in the same order as the actions (models that measure influence).
  const ckjLog: Float32Array[] = [];
  const received: number[][] = [];
  const NN = N * N;
  const env = await createVecEnv({ ...envSettings(cfg), numEnvs: B, seed: opts.seed ?? 0 });
  const play = new Play(env, agents, kernel);
  try {
    for (let wave = 0; out.length < opts.episodes; wave++) {
      // Episode k = wave * B + b gets environment seed seed + k, whatever the batch size.
      env.reset(opts.seed ?? 0);
      for (let b = 0; b < B; b++) env.resetEnv(b, (opts.seed ?? 0) + wave * B + b);
      agents.resetState();
      play.resets.fill(1);
      if (opts.onFrame) opts.onFrame(env.renderWorld(0));
      const waveActions = new Uint8Array(cfg.episodeLength * B * N);
      const waveSymbols = agents.vocab ? new Uint8Array(cfg.episodeLength * B * N) : undefined;
      const waveC = kernel ? new Float32Array(cfg.episodeLength * B * NN) : undefined;
      for (let t = 0; t < cfg.episodeLength; t++) {
        await play.step(rng, { greedy: opts.greedy });
        if (kernel) meter.add(play.ckj, B);
        waveC?.set(play.ckj.subarray(0, B * NN), t * B * NN);
        opts.onStep?.({ t, firstEpisode: wave * B, ck: play.ck, actions: env.actions });
        waveActions.set(env.actions, t * B * N);
        waveSymbols?.set(agents.symbols, t * B * N);
        if (opts.onFrame) opts.onFrame(env.renderWorld(0));
      }
      for (let b = 0; b < B && out.length < opts.episodes; b++) {
        out.push(env.lastEpisode(b)!);
        seeds.push((opts.seed ?? 0) + wave * B + b);
        for (let t = 0; t < cfg.episodeLength; t++) {
          starts.push(t === 0 ? 1 : 0);
          for (let i = 0; i < N; i++) logged.push(waveActions[(t * B + b) * N + i]);
          if (waveSymbols) for (let i = 0; i < N; i++) symbols.push(waveSymbols[(t * B + b) * N + i]);
        }
        if (waveC) {
          const ep = new Float32Array(cfg.episodeLength * NN);
          const got = new Array<number>(N).fill(0);
          for (let t = 0; t < cfg.episodeLength; t++) {
            const at = (t * B + b) * NN;
            ep.set(waveC.subarray(at, at + NN), t * NN);
            for (let k = 0; k < N; k++) for (let j = 0; j < N; j++) got[j] += waveC[at + k * N + j];
          }
          ckjLog.push(ep);
          received.push(got.map((x) => x / cfg.episodeLength));
        }
      }
    }
  } finally {
    env.close();
  }
  const influence = kernel ? { matrix: meter.matrix(), total: meter.total() } : null;
  let c: Float32Array | undefined;
  if (kernel) {
    c = new Float32Array(starts.length * NN);
    ckjLog.forEach((ep, e) => c!.set(ep, e * cfg.episodeLength * NN));
  }
  const comm = commMetrics({
    T: starts.length, N, numActions: agents.numActions, actions: logged, episodeStart: starts,
    ...(agents.vocab ? { numSymbols: agents.vocab, symbols } : {}),
  }, { seed: opts.seed ?? 0, ...(c ? { influence: c } : {}) });
  const influenceVsReturn = kernel ? correlation(received.flat(), out.flatMap((e) => e.returns)) : null;
  return { episodes: out, seeds, influence, comm, received: kernel ? received : null, influenceVsReturn };
}

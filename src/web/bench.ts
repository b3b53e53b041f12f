// A benchmark page (bench.html): trains one configuration in Web Workers and reports agent-steps/s on
// window.__bench, for scripts/bench-browser.ts to set beside the Node figure of the same configuration.
// Query: game, model, agents, seed, workers, envs, backend (wasm | webgpu | auto), updates, warmup, and
// optionally algo, netForm, rolloutSteps and episodeLength. With report=1 a metrics row is kept after every update
// (__bench.rows), which test/webgpu.test.ts compares across backends.

import { startSession } from './session.ts';
import type { ModelName, TrainConfig } from '../learn/config.ts';
import type { MetricsRow } from '../learn/window.ts';

const q = new URLSearchParams(location.search);
const num = (k: string, d: number) => (q.has(k) ? Number(q.get(k)) : d);
const out = window as unknown as { __bench?: unknown };

async function main() {
  const workers = num('workers', 1), updates = num('updates', 20), warmup = num('warmup', 3), envs = num('envs', 16);
  const optional: Partial<TrainConfig> = Object.fromEntries(['rolloutSteps', 'episodeLength'].filter((k) => q.has(k)).map((k) => [k, num(k, 0)]));
  if (q.has('algo')) optional.algo = q.get('algo') as TrainConfig['algo'];
  if (q.has('netForm')) optional.netForm = q.get('netForm') as TrainConfig['netForm'];
  const rolloutSteps = optional.rolloutSteps ?? 0;
  const session = await startSession({
    game: (q.get('game') ?? 'cleanup') as 'cleanup', model: (q.get('model') ?? 'a2c') as ModelName, agents: num('agents', 5),
    seed: num('seed', 0), workers, envs, backend: (q.get('backend') ?? 'wasm') as 'wasm', steps: 1e12,
    // report=1: one metrics row per update; otherwise the command line's default (a row per wave of episodes),
    // not the app's frequent reports, so that the figure compares with commons bench train.
    extra: { ...optional, reportEvery: q.get('report') === '1' && rolloutSteps ? envs * rolloutSteps : envs * (optional.episodeLength ?? 1000) },
  });
  const rows: MetricsRow[] = [];
  try {
    /** Trains `n` updates (run() pauses after the update that reaches them); returns env steps so far. */
    const train = async (n: number) => {
      let done = 0;
      return (await session.run({ onReport: (r) => rows.push(r), onProgress: () => { if (++done >= n) session.pause(); } })).env_steps;
    };
    const s0 = await train(warmup);
    const t0 = performance.now();
    const s1 = await train(updates);
    const seconds = (performance.now() - t0) / 1000;
    const envSteps = s1 - s0;
    out.__bench = {
      workers, exchange: session.exchange, backend: session.backend, envs: session.config.envs, agents: session.config.agents, env_steps: envSteps,
      seconds: +seconds.toFixed(3), agent_steps_per_s: Math.round((envSteps * session.config.agents) / seconds),
      cross_origin_isolated: globalThis.crossOriginIsolated, backend_note: session.backendNote, rows,
    };
  } finally {
    session.dispose();
  }
}

main().catch((e) => { out.__bench = { error: String(e?.message ?? e) }; });

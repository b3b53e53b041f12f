// commons render: an animated GIF of a random-policy episode, drawn from the core's full-map frames and
// encoded with gifenc.

import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { GIFEncoder } from 'gifenc';
import { createVecEnv } from '../env/vec-env.ts';
import { GAMES } from '../env/games.ts';
import { Rng } from '../util/rng.ts';
import { parse, intFlag, choiceFlag, UsageError } from './args.ts';

export const RENDER_HELP = `commons render --game harvest|cleanup [--agents 5] [--steps 200] [--seed 0] [--scale 8] [--fps 10] --out FILE.gif
commons render --run runs/NAME [--checkpoint ID] [--greedy] [--seed 0] [--scale 8] [--fps 10] --out FILE.gif
  Writes an animated GIF of a random-policy episode, or of one episode of a trained run's policy.`;

/** Encodes RGB frames [H, W, 3] as a looping GIF, each map cell drawn as a scale x scale block. */
export function encodeGif(frames: Uint8Array[], height: number, width: number, scale: number, fps: number): Uint8Array {
  // The games use a handful of colours: collect them all first and write one global palette.
  const palette: number[][] = [];
  const index = new Map<number, number>();
  for (const frame of frames) {
    for (let k = 0; k < frame.length; k += 3) {
      const key = (frame[k] << 16) | (frame[k + 1] << 8) | frame[k + 2];
      if (index.has(key)) continue;
      if (palette.length === 256) throw new Error('render: more than 256 colours');
      index.set(key, palette.length);
      palette.push([frame[k], frame[k + 1], frame[k + 2]]);
    }
  }
  const H = height * scale, W = width * scale;
  const gif = GIFEncoder();
  const pixels = new Uint8Array(H * W);
  frames.forEach((frame, f) => {
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const k = (r * width + c) * 3;
        const p = index.get((frame[k] << 16) | (frame[k + 1] << 8) | frame[k + 2])!;
        for (let y = 0; y < scale; y++) pixels.fill(p, (r * scale + y) * W + c * scale, (r * scale + y) * W + (c + 1) * scale);
      }
    }
    gif.writeFrame(pixels, W, H, { palette: f === 0 ? palette : undefined, delay: Math.round(1000 / fps) });
  });
  gif.finish();
  return gif.bytes();
}

export async function renderCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values } = parse(argv, {
    game: { type: 'string' }, agents: { type: 'string' }, steps: { type: 'string' }, seed: { type: 'string' },
    scale: { type: 'string' }, fps: { type: 'string' }, out: { type: 'string' }, run: { type: 'string' },
    checkpoint: { type: 'string' }, greedy: { type: 'boolean' },
  });
  if (values.run !== undefined) return renderRun(values, out);
  const game = choiceFlag('game', values.game, GAMES);
  const agents = intFlag('agents', values.agents, 5, 1, 255);
  const steps = intFlag('steps', values.steps, 200, 1, 100_000);
  const seed = intFlag('seed', values.seed, 0, 0);
  const scale = intFlag('scale', values.scale, 8, 1, 64);
  const fps = intFlag('fps', values.fps, 10, 1, 100);
  if (!values.out) throw new UsageError('--out is required: the GIF file to write, e.g. --out cleanup.gif');
  const env = await createVecEnv({ game, numEnvs: 1, numAgents: agents, seed, episodeLength: steps + 1 });
  const rng = new Rng(seed);
  const frames = [env.renderWorld(0)];
  for (let t = 0; t < steps; t++) {
    rng.fillBelow(env.actions, env.spec.numActions);
    env.step();
    frames.push(env.renderWorld(0));
  }
  const bytes = encodeGif(frames, env.spec.mapHeight, env.spec.mapWidth, scale, fps);
  env.close();
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, bytes);
  out(`wrote ${values.out}: ${frames.length} frames, ${env.spec.mapWidth * scale}x${env.spec.mapHeight * scale}, ${bytes.length} bytes`);
}

async function renderRun(values: Record<string, string | boolean | undefined>, out: (s: string) => void): Promise<void> {
  const str = (k: string) => values[k] as string | undefined;
  for (const k of ['game', 'agents', 'steps']) {
    if (values[k] !== undefined) throw new UsageError(`--${k} cannot be combined with --run: the run's own settings are used`);
  }
  if (!str('out')) throw new UsageError('--out is required: the GIF file to write, e.g. --out play.gif');
  const seed = intFlag('seed', str('seed'), 0, 0);
  const scale = intFlag('scale', str('scale'), 8, 1, 64);
  const fps = intFlag('fps', str('fps'), 10, 1, 100);
  const { loadPolicy, evaluate } = await import('../learn/evaluate.ts');
  const { cfg, agents, checkpoint } = await loadPolicy(str('run')!, { checkpoint: str('checkpoint'), batch: 1 });
  const frames: Uint8Array[] = [];
  try {
    await evaluate(cfg, agents, { episodes: 1, greedy: Boolean(values.greedy), seed, onFrame: (f) => frames.push(f) });
  } finally {
    agents.dispose();
  }
  const { mapHeight, mapWidth } = await mapSize(cfg);
  const bytes = encodeGif(frames, mapHeight, mapWidth, scale, fps);
  mkdirSync(dirname(str('out')!), { recursive: true });
  writeFileSync(str('out')!, bytes);
  out(`wrote ${str('out')}: ${cfg.model} (${checkpoint}) playing ${cfg.game}, ${frames.length} frames, ${bytes.length} bytes`);
}

async function mapSize(cfg: { game: 'harvest' | 'cleanup'; map?: string[] }) {
  const rows = cfg.map ?? (await import('../env/games.ts')).GAME_INFO[cfg.game].defaultMap;
  return { mapHeight: rows.length, mapWidth: rows[0].length };
}

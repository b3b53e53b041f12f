// commons render: an animated GIF of a random-policy episode, drawn from the core's full-map frames and
// encoded with gifenc.

import { writeFileSync } from 'node:fs';
import { GIFEncoder } from 'gifenc';
import { createVecEnv } from '../env/vec-env.ts';
import { GAMES, gameInfo, perGameText, type GameName } from '../env/games.ts';
import { Rng } from '../util/rng.ts';
import { parseCommand, str, intFlag, choiceFlag, UsageError, type CommandSpec } from './args.ts';
import { ensureFileDir, fsReason } from '../util/node-paths.ts';
import { warn } from './io.ts';

export const RENDER: CommandSpec = {
  name: 'render',
  summary: 'write an animated GIF of a random-policy episode, or of a trained policy playing',
  usage: [
    `render --game ${GAMES.join('|')} [--agents N] [--steps 200] [--seed 0] [--scale 8] [--fps 10] --out FILE.gif`,
    'render --run runs/NAME|checkpoint.tar [--checkpoint ID] [--greedy] [--seed 0] [--scale 8] [--fps 10] --out FILE.gif',
  ],
  about: `Without --run: a uniformly random policy for --steps steps. With --run: one whole episode of a trained run's
policy (its newest intact checkpoint unless --checkpoint), or of a checkpoint archive from the web app.`,
  flags: {
    out: { arg: 'FILE.gif', help: 'the GIF to write (required; folders are created)' },
    game: { arg: GAMES.join('|'), help: 'the game (random policy; required without --run)' },
    agents: { arg: 'N', help: 'agents (random policy)', default: perGameText('defaultAgents') },
    steps: { arg: 'N', help: 'steps to draw (random policy); 1 to 100000', default: '200' },
    run: { arg: 'RUN|FILE.tar', help: 'a run directory or checkpoint archive whose policy plays' },
    checkpoint: { arg: 'ID', help: 'with --run: the checkpoint to play', default: 'the newest intact' },
    greedy: { type: 'boolean', help: 'with --run: the most probable action instead of sampling' },
    seed: { arg: 'N', help: 'seed of the episode', default: '0' },
    scale: { arg: 'N', help: 'pixels per map cell; 1 to 64', default: '8' },
    fps: { arg: 'N', help: 'frames per second; 1 to 100', default: '10' },
  },
};

/** Writes the GIF, with one clear line if the file cannot be written. */
function writeGif(path: string, bytes: Uint8Array): void {
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw new UsageError(`--out: cannot write ${path}: ${fsReason(e)}`);
  }
}

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
  const { values } = parseCommand(argv, RENDER);
  if (values.run !== undefined) return renderRun(values, out);
  for (const k of ['checkpoint', 'greedy']) {
    if (values[k] !== undefined) throw new UsageError(`--${k} goes with --run (a trained policy); without --run the policy is random`);
  }
  const game = choiceFlag('game', str(values, 'game'), GAMES);
  const agents = intFlag('agents', str(values, 'agents'), gameInfo(game).defaultAgents, 1, 255);
  const steps = intFlag('steps', str(values, 'steps'), 200, 1, 100_000);
  const seed = intFlag('seed', str(values, 'seed'), 0, 0);
  const scale = intFlag('scale', str(values, 'scale'), 8, 1, 64);
  const fps = intFlag('fps', str(values, 'fps'), 10, 1, 100);
  const file = str(values, 'out');
  if (!file) throw new UsageError('--out is required: the GIF file to write, e.g. --out cleanup.gif');
  ensureFileDir('--out', file);
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
  writeGif(file, bytes);
  out(`wrote ${file}: ${frames.length} frames, ${env.spec.mapWidth * scale}x${env.spec.mapHeight * scale}, ${bytes.length} bytes`);
}

async function renderRun(values: Record<string, unknown>, out: (s: string) => void): Promise<void> {
  for (const k of ['game', 'agents', 'steps']) {
    if (values[k] !== undefined) throw new UsageError(`--${k} cannot be combined with --run: the run's own settings are used`);
  }
  const file = str(values, 'out');
  if (!file) throw new UsageError('--out is required: the GIF file to write, e.g. --out play.gif');
  const seed = intFlag('seed', str(values, 'seed'), 0, 0);
  const scale = intFlag('scale', str(values, 'scale'), 8, 1, 64);
  const fps = intFlag('fps', str(values, 'fps'), 10, 1, 100);
  ensureFileDir('--out', file);
  const { evaluate } = await import('../learn/evaluate.ts');
  const { loadPolicy } = await import('../hosting/run-dir.ts');
  const { cfg, agents, checkpoint } = await loadPolicy(str(values, 'run')!, { checkpoint: str(values, 'checkpoint'), batch: 1, log: (l) => warn('render', l) });
  const frames: Uint8Array[] = [];
  try {
    await evaluate(cfg, agents, { episodes: 1, greedy: Boolean(values.greedy), seed, onFrame: (f) => frames.push(f) });
  } finally {
    agents.dispose();
  }
  const { mapHeight, mapWidth } = await mapSize(cfg);
  const bytes = encodeGif(frames, mapHeight, mapWidth, scale, fps);
  writeGif(file, bytes);
  out(`wrote ${file}: ${cfg.model} (${checkpoint}) playing ${cfg.game}, ${frames.length} frames, ${bytes.length} bytes`);
}

async function mapSize(cfg: { game: GameName; map?: string[] }) {
  const rows = cfg.map ?? gameInfo(cfg.game).defaultMap;
  return { mapHeight: rows.length, mapWidth: rows[0].length };
}

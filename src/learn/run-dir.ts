// A run directory: config.json (every setting), metrics.jsonl, checkpoints/, summary.json. Node only:
// the trainer itself is platform-neutral and writes through the RunStore made here.

import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.ts';
import { gameInfo } from '../env/games.ts';
import { resolveTrainConfig, type TrainConfig } from './config.ts';
import { saveCheckpoint, loadCheckpoint, checkCompatible } from './checkpoint.ts';
import { Trainer, type RunStore, type ShardGroup } from './trainer.ts';
import { WorkerGroup } from '../parallel/group.ts';
import { spawnNodeWorkers } from '../parallel/node.ts';

/** Reads and checks RUN/config.json; `flag` names the option that pointed at the run, for errors. */
export function readRunConfig(runDir: string, flag: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  const cpath = join(runDir, 'config.json');
  if (!existsSync(cpath)) throw new InputError(`${flag}: ${runDir} holds no run (no config.json)`);
  let saved: Partial<TrainConfig> & { version?: string };
  try {
    saved = JSON.parse(readFileSync(cpath, 'utf8'));
  } catch (e) {
    throw new InputError(`${flag}: ${cpath} is corrupt (${(e as Error).message})`);
  }
  delete saved.version;
  return resolveTrainConfig({ ...saved, ...overrides });
}

/** Writes a run's files into runDir. */
export class DirStore implements RunStore {
  constructor(readonly dir: string) {}
  appendMetrics(row: object): void {
    appendFileSync(join(this.dir, 'metrics.jsonl'), JSON.stringify(row) + '\n');
  }
  saveCheckpoint(...args: Parameters<RunStore['saveCheckpoint']>): string {
    return saveCheckpoint(this.dir, ...args);
  }
  writeSummary(summary: object): void {
    writeFileSync(join(this.dir, 'summary.json'), JSON.stringify(summary, null, 2));
  }
}

/** The shards for cfg: Node workers when cfg.workers > 0, else none (the trainer makes one in this thread). */
async function shardsFor(cfg: TrainConfig): Promise<ShardGroup | undefined> {
  if (cfg.workers === 0) return undefined;
  return WorkerGroup.start(cfg, await spawnNodeWorkers(cfg.workers));
}

/** A new run. With `runDir`, writes config.json there (the directory must not hold a run already). */
export async function createTrainer(partial: Partial<TrainConfig>, runDir?: string): Promise<Trainer> {
  const cfg = resolveTrainConfig(partial);
  if (runDir !== undefined) {
    if (existsSync(join(runDir, 'config.json'))) {
      throw new InputError(`--out: ${runDir} already holds a run; continue it with --resume ${runDir} or choose another directory`);
    }
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'config.json'), JSON.stringify({ ...cfg, version: gameInfo(cfg.game).version }, null, 2));
    writeFileSync(join(runDir, 'metrics.jsonl'), '');
  }
  return Trainer.start(cfg, { store: runDir === undefined ? undefined : new DirStore(runDir), group: await shardsFor(cfg) });
}

/** Continues the run in `runDir` from its latest checkpoint (optionally with a new step budget). The worker
 * count is the run's own: the environments were split that way. */
export async function resumeTrainer(runDir: string, overrides: { steps?: number } = {}): Promise<Trainer> {
  const cfg = readRunConfig(runDir, '--resume', overrides.steps !== undefined ? { steps: overrides.steps } : {});
  const ckpt = loadCheckpoint(runDir);
  checkCompatible(ckpt.manifest, { game: cfg.game, agents: cfg.agents, model: cfg.model, shareParams: cfg.shareParams }, ckpt.dir);
  const t = await Trainer.restore(cfg, ckpt, { store: new DirStore(runDir), group: await shardsFor(cfg) });
  // Lines written after the checkpoint belong to the lost stretch: drop them, they will be written again.
  const mpath = join(runDir, 'metrics.jsonl');
  if (existsSync(mpath)) {
    const kept = readFileSync(mpath, 'utf8').split('\n').filter((l) => l.trim() && JSON.parse(l).env_steps <= t.envSteps);
    writeFileSync(mpath, kept.map((l) => l + '\n').join(''));
  }
  return t;
}

// A run directory: config.json (every setting), metrics.jsonl, checkpoints/, summary.json.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.ts';
import { resolveTrainConfig, type TrainConfig } from './config.ts';

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

// `commons presets NAME` prints train's own flags, so that a line pastes onto `commons train`: every line,
// read back by train's parser, gives the values the preset sets (booleans included: --flag / --no-flag);
// a boolean flag can be turned off from the command line (--no-X, --X=false, --X false), and a value that
// came from the preset is not called a default in train's warnings.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseCommand } from '../src/cli/args.ts';
import { settingsFromFlags } from '../src/cli/config-flags.ts';
import { TRAIN } from '../src/cli/train.ts';
import { presetSettings } from '../src/learn/presets.ts';
import { configWarnings, resolveTrainConfig, MODELS, type TrainConfig } from '../src/learn/config.ts';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Splits a printed line as a shell would (single-quoted words kept whole). */
const words = (line: string) => [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => m[1]?.replace(/'\\''/g, "'") ?? m[2]);

test('every line of commons presets paper reads back through train\'s parser as the values the preset sets', () => {
  const r = spawnSync(process.execPath, [CLI, 'presets', 'paper'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => /^(cleanup|harvest) [\w-]+: --/.test(l));
  assert.equal(lines.length, 2 * MODELS.length, 'two games x every model');
  let booleans = 0;
  for (const line of lines) {
    const [, game, model, flags] = /^(\w+) ([\w-]+): (.*)$/.exec(line)!;
    const { values } = parseCommand(words(flags), TRAIN);
    const got = settingsFromFlags(values);
    const want = presetSettings('paper', game as TrainConfig['game'], model as TrainConfig['model']);
    for (const [k, v] of Object.entries(got)) {
      assert.deepEqual(v, want[k as keyof TrainConfig], `${game} ${model}: ${k}`);
      if (typeof v === 'boolean') booleans++;
    }
  }
  assert.ok(booleans >= 6, `booleans are printed as flags too (${booleans})`);
});

test('a boolean flag is turned on and off: --X, --no-X, --X=true, --X=false, --X true, --X false; the last wins', () => {
  const read = (...argv: string[]) => settingsFromFlags(parseCommand(argv, TRAIN).values).moaVisibleOnly;
  // --moa-train-all sets moaVisibleOnly to false (the flag negates the setting).
  assert.equal(read('--moa-train-all'), false);
  assert.equal(read('--no-moa-train-all'), true);
  assert.equal(read('--moa-train-all=false'), true);
  assert.equal(read('--moa-train-all=true'), false);
  assert.equal(read('--moa-train-all', 'false'), true);
  assert.equal(read('--moa-train-all', 'true'), false);
  assert.equal(read('--moa-train-all', '--no-moa-train-all'), true);
  assert.equal(read('--no-moa-train-all', '--moa-train-all'), false);
  assert.equal(settingsFromFlags(parseCommand(['--no-influencee-reward'], TRAIN).values).influenceeReward, false);
  assert.throws(() => parseCommand(['--moa-train-all=maybe'], TRAIN), /--moa-train-all: expected true or false, got 'maybe'$/);
  assert.throws(() => parseCommand(['--no-steps'], TRAIN), /Unknown option '--no-steps'/);
});

test('on the command line: --no-X is accepted, and a value the preset set is named as the preset\'s, not a default', () => {
  const r = spawnSync(process.execPath, [CLI, 'train', '--preset', 'paper', '--game', 'cleanup', '--model', 'influence-moa', '--no-moa-train-all',
    '--moa-train-all=false', '--agents', '2', '--envs', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'commons train: --out is required: the run directory to write, e.g. --out runs/cleanup-a2c\n', 'the booleans parsed: only the missing --out is refused');
  const cfg = resolveTrainConfig({ preset: 'paper', game: 'cleanup', model: 'influence', steps: 1000 });
  const warnings = configWarnings({ preset: 'paper', game: 'cleanup', model: 'influence', steps: 1000 }, cfg, {}, (k) => k);
  const beta = warnings.find((w) => /curriculum is unfinished/.test(w));
  assert.ok(beta, warnings.join('\n'));
  assert.match(beta!, /\(--preset paper\):/);
  assert.doesNotMatch(beta!, /\(default\)/);
});

// The command line, run as users run it: the bundled dist/cli.js (npm test builds it first).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function commons(...args: string[]) {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)');
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('rollout --json prints the documented object, episode i seeded with S+i', () => {
  const r = commons('rollout', '--game', 'cleanup', '--agents', '3', '--steps', '120', '--seed', '10', '--episodes', '2', '--policy', 'random', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ['game', 'version', 'agents', 'steps', 'episodes']);
  assert.equal(out.game, 'cleanup');
  assert.equal(out.version, 'cleanup_v1');
  assert.equal(out.agents, 3);
  assert.equal(out.steps, 120);
  assert.equal(out.episodes.length, 2);
  const ep = out.episodes[1];
  assert.deepEqual(Object.keys(ep).sort(), ['apples_eaten', 'apples_series', 'clean_actions', 'collective_return', 'efficiency',
    'equality', 'fire_actions', 'hits', 'peace', 'returns', 'seed', 'sustainability', 'waste_series'].sort());
  assert.equal(ep.seed, 11);
  assert.equal(ep.returns.length, 3);
  assert.equal(ep.collective_return, ep.returns.reduce((a: number, b: number) => a + b, 0));
  assert.equal(ep.apples_series.length, 120);
  assert.equal(ep.waste_series.length, 120);
  // the second episode is the same as a run that starts at its seed
  const alone = JSON.parse(commons('rollout', '--game', 'cleanup', '--agents', '3', '--steps', '120', '--seed', '11', '--json').stdout);
  assert.deepEqual(alone.episodes[0], ep);
});

test('rollout without --json prints a table', () => {
  const r = commons('rollout', '--game', 'harvest', '--steps', '50', '--episodes', '2');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /harvest_v1: 5 agents, 50 steps/);
  assert.match(r.stdout, /collective/);
  assert.equal(r.stdout.trim().split('\n').length, 4);
});

test('bench env --json reports throughput', () => {
  const r = commons('bench', 'env', '--game', 'harvest', '--envs', '8', '--agents', '5', '--steps', '4000', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ['game', 'envs', 'agents', 'env_steps', 'seconds', 'env_steps_per_s', 'agent_steps_per_s']);
  assert.equal(out.env_steps, 4000);
  assert.ok(out.env_steps_per_s > 0);
  assert.ok(Math.abs(out.agent_steps_per_s / out.env_steps_per_s - 5) < 0.01);
});

test('render writes an animated GIF', () => {
  const dir = mkdtempSync(join(tmpdir(), 'commons-'));
  const file = join(dir, 'sub', 'c.gif');
  const r = commons('render', '--game', 'cleanup', '--steps', '20', '--seed', '0', '--scale', '4', '--out', file);
  assert.equal(r.code, 0, r.stderr);
  const bytes = readFileSync(file);
  assert.equal(bytes.subarray(0, 6).toString('latin1'), 'GIF89a');
  assert.equal(bytes.readUInt16LE(6), 18 * 4, 'width');
  assert.equal(bytes.readUInt16LE(8), 25 * 4, 'height');
  // 21 frames: one graphic control extension (0x21 0xF9) per frame
  let frames = 0;
  for (let k = 0; k + 1 < bytes.length; k++) if (bytes[k] === 0x21 && bytes[k + 1] === 0xf9 && bytes[k + 2] === 4) frames++;
  assert.equal(frames, 21);
});

test('bad flags exit with status 2 and a message naming the flag', () => {
  const cases: [string[], RegExp][] = [
    [['rollout', '--game', 'chess'], /--game: unknown value 'chess'; allowed values: harvest, cleanup/],
    [['rollout', '--game', 'harvest', '--steps', 'abc'], /--steps: expected an integer from 1 to 1000000, got 'abc'/],
    [['rollout', '--game', 'harvest', '--agents', '2.5'], /--agents: expected an integer/],
    [['rollout', '--game', 'harvest', '--agents', '30'], /--agents: expected an integer from 1 to 255|20 spawn points/],
    [['rollout', '--game', 'harvest', '--policy', 'greedy'], /--policy: unknown value 'greedy'; allowed values: random/],
    [['rollout', '--game', 'harvest', '--bogus'], /Unknown option '--bogus'/],
    [['rollout'], /--game is required; allowed values: harvest, cleanup/],
    [['bench', 'cpu'], /bench: unknown target 'cpu'; allowed values: env/],
    [['render', '--game', 'harvest'], /--out is required/],
    [['fly'], /unknown command 'fly'/],
  ];
  for (const [args, pattern] of cases) {
    const r = commons(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
  }
});

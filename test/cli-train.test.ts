// The training commands as users run them: dist/cli.js train, eval, plot and render --run on a tiny run,
// Ctrl-C and SIGTERM, --resume (and what it must survive), budgets, paths, and bad input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const commons = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const TINY = ['--game', 'harvest', '--agents', '2', '--envs', '4', '--episode-length', '50', '--view-radius', '2', '--rollout', '10', '--report-every', '200'];

test('train writes config, metrics, checkpoints and a summary; eval, plot and render use the run', () => {
  const run = join(mkdtempSync(join(tmpdir(), 'commons-cli-')), 'run');
  const r = commons('train', ...TINY, '--steps', '400', '--seed', '3', '--out', run);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /training a2c \(a2c\) on harvest: 2 agents x 4 envs, 400 env steps, backend wasm/);
  assert.match(r.stdout, /report: 200 env steps, episodes 4, collective return/);
  assert.match(r.stdout, /done: 400 env steps/);
  const cfg = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
  for (const key of ['game', 'model', 'algo', 'agents', 'envs', 'steps', 'seed', 'shareParams', 'lr', 'gamma', 'entropyCoef', 'valueCoef',
    'maxGradNorm', 'rolloutSteps', 'gaeLambda', 'clip', 'epochs', 'minibatches', 'reportEvery', 'checkpointEvery', 'backend', 'version']) {
    assert.ok(key in cfg, `config.json has ${key}`);
  }
  assert.equal(cfg.seed, 3);
  const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.env_steps), [200, 400]);
  for (const key of ['agent_steps', 'collective_return', 'returns', 'efficiency', 'equality', 'sustainability', 'peace', 'policy_loss', 'value_loss', 'entropy', 'timing']) {
    assert.ok(key in lines[1], `metrics line has ${key}`);
  }
  assert.equal(lines[1].agent_steps, 800);
  assert.ok(lines[1].timing.agent_steps_per_s > 0);
  assert.ok(existsSync(join(run, 'checkpoints', 'step-000000000400', 'manifest.json')));
  assert.equal(JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')).env_steps, 400);

  const e = commons('eval', '--run', run, '--episodes', '3', '--greedy', '--json');
  assert.equal(e.code, 0, e.stderr);
  const ev = JSON.parse(e.stdout);
  assert.equal(ev.episodes.length, 3);
  assert.equal(ev.checkpoint, 'step-000000000400');
  assert.equal(ev.greedy, true);
  assert.equal(ev.episodes[0].apples_series.length, 50);

  const p = commons('plot', run, '--out', join(run, 'curves.png'));
  assert.equal(p.code, 0, p.stderr);
  assert.equal(readFileSync(join(run, 'curves.png')).subarray(1, 4).toString(), 'PNG');

  const g = commons('render', '--run', run, '--out', join(run, 'play.gif'), '--scale', '2');
  assert.equal(g.code, 0, g.stderr);
  assert.equal(readFileSync(join(run, 'play.gif')).subarray(0, 6).toString(), 'GIF89a');
});

/** Starts a long `commons train` into `run`, sends `signal` after its second metrics line, waits for it to exit. */
async function trainUntilSignal(run: string, signal: NodeJS.Signals, ...extra: string[]): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [CLI, 'train', ...TINY, ...extra, '--steps', '1000000', '--report-every', '40', '--out', run]);
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    if (/report: 80 env steps/.test(stdout) && !child.killed) child.kill(signal);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout };
}
const trainUntilCtrlC = (run: string, ...extra: string[]) => trainUntilSignal(run, 'SIGINT', ...extra);

test('Ctrl-C saves a checkpoint and exits with status 130; --resume continues from it', async () => {
  const run = join(mkdtempSync(join(tmpdir(), 'commons-cli-')), 'run');
  const { code, stdout } = await trainUntilCtrlC(run);
  assert.equal(code, 130, stdout);
  assert.match(stdout, /stopping \(SIGINT\): saving a checkpoint/);
  const stopped = /stopped at (\d+) env steps/.exec(stdout);
  assert.ok(stopped, stdout);
  const latest = JSON.parse(readFileSync(join(run, 'checkpoints', 'latest.json'), 'utf8')).id;
  assert.equal(latest, `step-${stopped![1].padStart(12, '0')}`);
  const r = commons('train', '--resume', run, '--steps', String(Number(stopped![1]) + 80));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`resuming .* at ${Number(stopped![1]).toLocaleString('en-US')} env steps`));
  assert.match(r.stdout, /done: \d+ env steps/);
});

test('--workers 2: SIGTERM saves a checkpoint, stops the workers and exits with status 143; --resume continues with them', async () => {
  const run = join(mkdtempSync(join(tmpdir(), 'commons-cli-')), 'run');
  const { code, stdout } = await trainUntilSignal(run, 'SIGTERM', '--workers', '2');
  assert.equal(code, 143, stdout);
  assert.match(stdout, /stopping \(SIGTERM\): saving a checkpoint/);
  assert.match(stdout, /2 workers x 2 envs/);
  const stopped = /stopped at (\d+) env steps/.exec(stdout);
  assert.ok(stopped, stdout);
  const r = commons('train', '--resume', run, '--steps', String(Number(stopped![1]) + 80));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /2 workers x 2 envs/);
  assert.match(r.stdout, /done: \d+ env steps/);
  const latest = JSON.parse(readFileSync(join(run, 'checkpoints', 'latest.json'), 'utf8')).id;
  assert.equal(latest, `step-${String(Number(stopped![1]) + 80).padStart(12, '0')}`);
});

test('a worker that dies stops `commons train` with status 1, naming the worker; the last checkpoint stays', () => {
  const run = join(mkdtempSync(join(tmpdir(), 'commons-cli-')), 'run');
  const r = spawnSync(process.execPath, [CLI, 'train', ...TINY, '--workers', '2', '--steps', '4000', '--checkpoint-every', '80', '--out', run],
    { encoding: 'utf8', env: { ...process.env, COMMONS_FAULT: '1:exit:6' } });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^commons train: worker 1 failed: the thread exited \(code 3\); the run stopped, its last checkpoint is intact \(continue with: commons train --resume .*\)\n$/);
  const latest = JSON.parse(readFileSync(join(run, 'checkpoints', 'latest.json'), 'utf8')).id;
  assert.equal(latest, 'step-000000000240');
  assert.equal(commons('train', '--resume', run, '--steps', '320').code, 0);
});

test('a worker killed in the middle of the gradient exchange stops `commons train` with status 1 and one line; the last checkpoint stays and resumes', () => {
  const run = join(mkdtempSync(join(tmpdir(), 'commons-cli-')), 'run');
  const r = spawnSync(process.execPath, [CLI, 'train', ...TINY, '--workers', '2', '--steps', '4000', '--checkpoint-every', '80', '--out', run],
    { encoding: 'utf8', env: { ...process.env, COMMONS_FAULT: '1:exit-in-exchange:6' }, timeout: 240_000 });
  assert.equal(r.signal, null, 'no hang: the run stopped by itself');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^commons train: worker 1 failed: the thread exited \(code 3\); the run stopped, its last checkpoint is intact \(continue with: commons train --resume .*\)\n$/);
  const latest = JSON.parse(readFileSync(join(run, 'checkpoints', 'latest.json'), 'utf8')).id;
  assert.equal(latest, 'step-000000000240');
  assert.equal(commons('train', '--resume', run, '--steps', '320').code, 0);
});

test('bad training input exits with status 2 and names the flag', () => {
  const dir = mkdtempSync(join(tmpdir(), 'commons-cli-'));
  const cases: [string[], RegExp][] = [
    [['train', '--model', 'dqn', '--out', join(dir, 'a')], /--model: unknown value 'dqn'; allowed values: a2c, inequity-aversion/],
    [['train', '--algo', 'sac', '--out', join(dir, 'a')], /--algo: unknown value 'sac'; allowed values: a2c, ppo/],
    [['train', '--steps', 'lots', '--out', join(dir, 'a')], /--steps: expected an integer >= 1, got 'lots'/],
    [['train', '--lr', 'fast', '--out', join(dir, 'a')], /--lr: expected a number > 0 and <= 1, got 'fast'/],
    [['train', '--lr', '0', '--out', join(dir, 'a')], /--lr: expected a number > 0 and <= 1, got '0'/],
    [['train', '--steps', '-5', '--out', join(dir, 'a')], /--steps: expected an integer >= 1, got '-5'/],
    [['train', '--gamma', '-0.5', '--out', join(dir, 'a')], /--gamma: expected a number from 0 to 1, got '-0.5'/],
    [['train', '--clip', '0', '--algo', 'ppo', '--out', join(dir, 'a')], /--clip: expected a number > 0 and <= 10, got '0'/],
    [['train', '--max-grad-norm', '0', '--out', join(dir, 'a')], /--max-grad-norm: expected a number > 0, got '0'/],
    [['train', '--checkpoint', 'step-1', '--out', join(dir, 'a')], /--checkpoint goes with --resume/],
    [['train', '--backend', 'tpu', '--out', join(dir, 'a')], /--backend: unknown value 'tpu'; allowed values: wasm, webgpu, cpu/],
    [['train', '--game', 'cleanup'], /--out is required/],
    [['train', '--envs', '4', '--workers', '3', '--out', join(dir, 'w')], /workers: each worker steps an equal share of the environments; workers must divide envs \(4\), got 3/],
    [['train', '--workers', 'two', '--out', join(dir, 'w')], /--workers: expected an integer from 0 to 64, got 'two'/],
    [['train', '--resume', join(dir, 'nothing')], /--resume: .* does not exist/],
    [['train', '--resume', dir], /--resume: .* holds no run \(no config.json\)/],
    [['train', '--resume', join(dir, 'nothing'), '--agents', '3'], /only --steps, --keep and --checkpoint may be given with it/],
    [['eval', '--run', join(dir, 'nothing')], /--run: .* does not exist/],
    [['eval'], /--run is required/],
    [['render', '--run', join(dir, 'x'), '--game', 'harvest', '--out', 'x.gif'], /--game cannot be combined with --run/],
    [['plot', join(dir, 'nothing'), '--out', join(dir, 'c.png')], /nothing: no such run directory/],
  ];
  for (const [args, pattern] of cases) {
    const r = commons(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
  }
  // a run whose checkpoint is corrupt
  const run = join(dir, 'run');
  assert.equal(commons('train', ...TINY, '--steps', '40', '--out', run).code, 0);
  const mpath = join(run, 'checkpoints', 'step-000000000040', 'tensors.bin');
  writeFileSync(mpath, readFileSync(mpath).subarray(0, 64));
  const r = commons('eval', '--run', run);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /tensors\.bin is truncated or corrupt/);
});

// The command line as a new user meets it: --help on every command (every flag with its default), --version,
// every TrainConfig setting reachable as a flag or from a --config file, warnings for legal but suspicious
// values, paths that cannot be written (one line, status 2, fast), and a reader that stops reading.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIELDS, CONFIG_KEYS, resolveTrainConfig, configWarnings } from '../src/learn/config.ts';
import { TRAIN } from '../src/cli/train.ts';
import { settingsFromFile, settingsFromFlags } from '../src/cli/config-flags.ts';
import { parseCommand } from '../src/cli/args.ts';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const commons = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const TINY = ['--game', 'harvest', '--agents', '2', '--envs', '4', '--episode-length', '50', '--view-radius', '2', '--rollout', '10', '--report-every', '40'];
const tmp = () => mkdtempSync(join(tmpdir(), 'commons-help-'));

test('commons --help lists every command, and each answers --help with exit 0, listing every flag it parses with its default', () => {
  const top = commons('--help');
  assert.equal(top.code, 0);
  const commands = [...top.stdout.split('Commands:\n')[1].split('\n\n')[0].matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]);
  for (const c of ['train', 'eval', 'plot', 'compare', 'checkpoints', 'render', 'rollout', 'bench', 'serve']) assert.ok(commands.includes(c), `${c} is listed`);
  for (const c of commands) {
    const h = commons(c, '--help');
    assert.equal(h.code, 0, `${c} --help: ${h.stderr}`);
    assert.match(h.stdout, new RegExp(`^commons ${c}: `), c);
    assert.match(h.stdout, /Usage:/);
    assert.equal(commons(c, '-h').stdout, h.stdout, `${c} -h`);
  }
  for (const sub of ['env', 'train']) assert.equal(commons('bench', sub, '--help').code, 0);
  assert.equal(commons().code, 2, 'no command: the help, with status 2');
  assert.equal(commons('help', 'eval').stdout, commons('eval', '--help').stdout);
});

test('train --help lists every setting of TrainConfig as a flag with its default; the flags are exactly the ones parsed', () => {
  const h = commons('train', '--help').stdout;
  for (const key of CONFIG_KEYS) {
    const f = FIELDS[key];
    assert.ok(f.flag, `${key} has a flag`);
    assert.match(h, new RegExp(`--${f.flag}\\b[^\\n]*(\\n {10,}[^\\n]*)?\\(default `), `--${f.flag} with its default`);
  }
  // every flag the parser accepts is in the help (and nothing else is accepted)
  for (const flag of Object.keys(TRAIN.flags)) assert.ok(h.includes(`--${flag}`), `--${flag} documented`);
  assert.throws(() => parseCommand(['--influencerz', '2'], TRAIN), /Unknown option '--influencerz'.*see commons train --help/);
  for (const flag of ['influencers', 'vocab', 'tag-timeout', 'map', 'epochs', 'minibatches', 'clip', 'gae-lambda', 'value-coef', 'max-grad-norm']) {
    assert.ok(h.includes(`--${flag} `), `--${flag}`);
  }
});

test('commons --version prints the package version and the commit', () => {
  const v = commons('--version');
  assert.equal(v.code, 0);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  assert.match(v.stdout, new RegExp(`^commons ${pkg.replace(/\./g, '\\.')}( \\(commit [0-9a-f]{12}(, with uncommitted changes)?\\))?\\n$`));
  const inGit = spawnSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  if (inGit.status === 0) assert.match(v.stdout, /commit [0-9a-f]{12}/);
});

test('every setting reaches the run: flags, a --config file that flags override, name, tags and the code version in config.json', () => {
  const dir = tmp();
  const mapFile = join(dir, 'map.txt');
  writeFileSync(mapFile, ['@@@@@@@', '@P A P@', '@ AAA @', '@@@@@@@', ''].join('\n'));
  const cfgFile = join(dir, 'settings.json');
  writeFileSync(cfgFile, JSON.stringify({ game: 'harvest', agents: 2, envs: 4, episodeLength: 50, 'view-radius': 2, rolloutSteps: 10, lr: 0.001, 'tag-timeout': 7, tags: ['from-file'] }));
  const run = join(dir, 'run');
  const r = commons('train', '--config', cfgFile, '--lr', '0.002', '--map', mapFile, '--value-coef', '0.25', '--max-grad-norm', '5',
    '--name', 'first try', '--tag', 'a,b', '--tag', 'c', '--steps', '40', '--report-every', '40', '--out', run);
  assert.equal(r.code, 0, r.stderr);
  const cfg = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
  assert.equal(cfg.lr, 0.002, 'the flag overrides the file');
  assert.equal(cfg.viewRadius, 2, 'a flag name in the file');
  assert.equal(cfg.tagTimeout, 7);
  assert.deepEqual(cfg.map, ['@@@@@@@', '@P A P@', '@ AAA @', '@@@@@@@']);
  assert.equal(cfg.valueCoef, 0.25);
  assert.equal(cfg.maxGradNorm, 5);
  assert.equal(cfg.name, 'first try');
  assert.deepEqual(cfg.tags, ['a', 'b', 'c'], 'flags replace the file\'s tags');
  assert.equal(cfg.code.package, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  assert.ok(cfg.code.commit === null || /^[0-9a-f]{40}$/.test(cfg.code.commit));
  assert.equal(cfg.version, 'harvest_v1');
  // a run's config.json is itself a valid --config: the same settings again
  const again = join(dir, 'again');
  assert.equal(commons('train', '--config', join(run, 'config.json'), '--out', again).code, 0);
  const cfg2 = JSON.parse(readFileSync(join(again, 'config.json'), 'utf8'));
  for (const key of CONFIG_KEYS) assert.deepEqual(cfg2[key], cfg[key], key);
  // bad files: one line naming the file and the setting
  writeFileSync(cfgFile, JSON.stringify({ lr: 'fast' }));
  assert.throws(() => settingsFromFile(cfgFile), /--config .*settings\.json: lr: expected a number > 0 and <= 1, got 'fast'/);
  writeFileSync(cfgFile, JSON.stringify({ learningRate: 1 }));
  assert.throws(() => settingsFromFile(cfgFile), /unknown setting 'learningRate'; settings: game, model/);
  writeFileSync(cfgFile, '{ "lr": ');
  assert.throws(() => settingsFromFile(cfgFile), /settings\.json is not valid JSON/);
  const missing = commons('train', '--config', join(dir, 'nope.json'), '--out', join(dir, 'x'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^commons train: --config: cannot read .*nope\.json: no such file or directory\n$/);
});

test('tagTimeout reaches the environment: a FIRE hit removes an agent and peace drops below N', async () => {
  const { createTrainer } = await import('../src/hosting/run-dir.ts');
  const t = await createTrainer({ game: 'harvest', agents: 2, envs: 1, episodeLength: 20, viewRadius: 2, tagTimeout: 9, steps: 20, rolloutSteps: 20 });
  try {
    assert.equal(t.env.spec.tagTimeout, 9);
  } finally {
    await t.close();
  }
});

test('values that are legal but almost surely a mistake get a warning; flags the model ignores are named', () => {
  const given = settingsFromFlags({ lr: '0.5', 'ia-alpha': '3', workers: '8', envs: '16', steps: '100', clip: '0.3', beta: '0' });
  const cfg = resolveTrainConfig(given);
  const w = configWarnings(given, cfg, { cores: 2 }, (k) => `--${FIELDS[k].flag}`).join('\n');
  assert.match(w, /--lr 0\.5: high for RMSprop or Adam/);
  assert.match(w, /--ia-alpha has no effect here: it applies with --model inequity-aversion/);
  assert.match(w, /--clip has no effect here: it applies with --algo ppo/);
  assert.match(w, /--beta has no effect here/);
  assert.match(w, /--workers 8: more workers than the machine's 2 cores/);
  assert.match(w, /--steps 100: less than one update \(envs 16 x rollout 20 = 320 env steps\)/);
  assert.match(w, /--report-every 16000 \(default\): more than --steps/);
  const influence = resolveTrainConfig({ model: 'influence-moa', influenceBeta: 0, steps: 1000, influenceEnd: 5000 });
  const wi = configWarnings({ influenceBeta: 0, influenceEnd: 5000 }, influence).join('\n');
  assert.match(wi, /influenceBeta 0: no influence reward: influence-moa trains as its ablation moa does/);
  assert.deepEqual(configWarnings({}, resolveTrainConfig({})), [], 'the defaults raise no warning');
  // on the command line, after the run starts
  const run = join(tmp(), 'run');
  const r = commons('train', ...TINY, '--steps', '40', '--lr', '0.5', '--ia-beta', '1', '--out', run);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^commons train: warning: --lr 0\.5: high/m);
  assert.match(r.stderr, /^commons train: warning: --ia-beta has no effect here/m);
});

test('paths that cannot be written get one line and status 2, at once', () => {
  const dir = tmp();
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const cases: [string[], RegExp][] = [
    [['train', ...TINY, '--out', file], /--out: .*a-file exists and is a file, not a directory/],
    [['train', ...TINY, '--out', join(file, 'sub')], /--out: cannot create .*a-file\/sub: .*(file, not a directory)/],
    [['train', ...TINY, '--out', '/proc/commons-run'], /--out: \/proc\/commons-run is under \/proc, a virtual file system/],
    [['train', ...TINY, '--out', '/proc/self/commons'], /--out: .* is under \/proc/],
    [['train', ...TINY, '--out', dir], /--out: .* is not empty and holds no run/],
    [['render', '--game', 'harvest', '--out', join(file, 'x.gif')], /--out: cannot write .*a-file\/x\.gif: .*a-file is a file, not a directory/],
    [['render', '--game', 'harvest', '--out', dir], /--out: .* is a directory; give a file name/],
    [['plot', dir, '--out', '/sys/x.png'], /no config\.json|under \/sys/],
    [['serve', '--dir', file], /--dir: .* is not a directory/],
  ];
  for (const [args, pattern] of cases) {
    const t0 = Date.now();
    const r = commons(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').filter((l) => !/warning:/.test(l)).length, 1, `one line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(Date.now() - t0 < 20_000, `${args.join(' ')} answered in ${Date.now() - t0} ms`);
  }
});

test('a reader that stops reading (| head) ends a command quietly with status 141', async () => {
  for (const args of [['rollout', '--game', 'harvest', '--episodes', '400', '--steps', '50'], ['bench', 'env', '--game', 'harvest', '--steps', '1000', '--help']]) {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // read the first chunk, then close the pipe as `head -1` does
    await new Promise<void>((resolve) => child.stdout.once('data', () => { child.stdout.destroy(); resolve(); }));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.ok(code === 141 || code === 0, `${args[0]}: status ${code}`);
    assert.equal(stderr, '', `${args[0]}: nothing on stderr`);
    if (args[0] === 'rollout') assert.equal(code, 141);
  }
});

// What the reports and hints say: `sweep report` says when the paper's 5-agent Table 4 figure stands beside
// runs with another number of agents; the next commands a sweep prints are written as the CLI was run
// (README's node dist/cli.js, or commons from an install); a subcommand's error names the subcommand;
// eval counts "1 episode".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportMarkdown, PAPER_REFERENCES, type SweepReport } from '../src/sweep/report.ts';
import { meanCI } from '../src/sweep/stats.ts';
import { invocation } from '../src/cli/io.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });

function report(agents: number[]): SweepReport {
  const stats = { collective_return: meanCI([10, 12, 14]), efficiency: meanCI([0.1]), equality: meanCI([0.5]), sustainability: meanCI([300]), peace: meanCI([5]),
    equality_weighted_return: meanCI([]), influence_total: meanCI([]), 'moa.accuracy': meanCI([]), 'moa.majority_accuracy': meanCI([]) };
  return {
    name: 's', window: 0.1, level: 0.995, baseline: null, unfinished: [], rank: null,
    games: [{ game: 'cleanup', baseline: null, influenceVsReturn: null, groups: agents.map((n, i) => ({
      group: `g${i}`, game: 'cleanup', model: i === 0 ? 'a2c' : 'influence-moa', arm: i === 0 ? 'a2c' : 'influence-moa', point: {}, steps: 500_000, agents: n, planned: 3,
      runs: [], stats, vsBaseline: null, best: false, reference: PAPER_REFERENCES.cleanup[i === 0 ? 'a2c' : 'influence-moa'], influenceVsReturn: null,
    })) }],
  };
}

test('sweep report: beside runs of another number of agents, the paper\'s 5-agent figure says so, and a note says they do not compare', () => {
  const two = reportMarkdown(report([2, 2]));
  assert.match(two, /\| 89\.0 at ≥ 2\.3e\+8 steps \(our budget: at most 0\.22% of it\) \(5 agents; these runs: 2\) \|/);
  assert.match(two, /The reference figures are for 5 agents; these runs have 2\. A collective return sums over the agents/);
  const five = reportMarkdown(report([5, 5]));
  assert.doesNotMatch(five, /agents; these runs|reference figures are for/, 'nothing to say when the runs have 5 agents');
  const mixed = reportMarkdown(report([5, 3]));
  assert.match(mixed, /The reference figures are for 5 agents; influence-moa ran with 3\./);
});

test('hints name the command as it was run; subcommand errors name the subcommand; eval says "1 episode"', () => {
  assert.equal(invocation('/home/u/.npm/_npx/1/node_modules/.bin/commons', '/home/u'), 'commons');
  assert.equal(invocation('/repo/dist/cli.js', '/repo'), 'node dist/cli.js');
  assert.equal(invocation('/repo/dist/cli.js', '/elsewhere'), 'node /repo/dist/cli.js');
  assert.equal(invocation('/repo/src/cli/main.ts', '/repo'), 'commons');

  for (const [args, prefix] of [[['sweep', 'run'], 'commons sweep run: SPEC is missing'], [['sweep', 'status'], 'commons sweep status: DIR is missing'],
    [['sweep', 'report', '/nonexistent'], 'commons sweep report: DIR: /nonexistent holds no sweep'], [['sweep', 'submit', '--bogus'], "commons sweep submit: Unknown option '--bogus'"]] as const) {
    const r = run([...args]);
    assert.equal(r.status, 2, r.stderr);
    assert.ok(r.stderr.startsWith(prefix), `${args.join(' ')}: ${r.stderr}`);
  }

  const e = run(['eval', '--run', join(ROOT, 'gallery', 'harvest-a2c.tar'), '--episodes', '1']);
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /, 1 episode, sampled actions$/m);
  assert.match(e.stdout, /^over 1 episode \(mean, std, min\.\.max\):$/m);
  assert.doesNotMatch(e.stdout, /\b1 episodes\b/);
});

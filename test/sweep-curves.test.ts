// The sweep report's learning-curves plot: its y axis spans the means from 5% of the run on, so that the first
// reports of untrained agents (thousands below 0, with bands wider still) do not squash the differences that
// follow; what is left off the scale is named in the subtitle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { curvesSpecFor, meanDomain, type GroupReport } from '../src/sweep/report.ts';

test('meanDomain: the means from 5% of the run on, padded by 5%; earlier means outside it are returned', () => {
  const points = [{ x: 10, y: -2000 }, { x: 100, y: 300 }, { x: 200, y: 500 }, { x: 400, y: 400 }];
  const { domain, off } = meanDomain(points);
  assert.deepEqual(domain, [290, 510]);
  assert.deepEqual(off, [{ x: 10, y: -2000 }]);
  // An early mean inside the later range stays on it; a run reported once still gets a range.
  assert.deepEqual(meanDomain([{ x: 10, y: 350 }, { x: 100, y: 300 }, { x: 200, y: 500 }]).off, []);
  const one = meanDomain([{ x: 100, y: 40 }]).domain;
  assert.ok(one[0] < 40 && one[1] > 40, `${one}`);
});

test('the curves plot of a sweep keeps its scale for the later differences and names the early means off it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'commons-curves-'));
  try {
    const runs = [0, 1].map((seed) => {
      const id = `harvest-a2c-s${seed}`;
      mkdirSync(join(dir, 'runs', id), { recursive: true });
      writeFileSync(join(dir, 'runs', id, 'config.json'), JSON.stringify({ game: 'harvest', model: 'a2c', seed }));
      const rows = [[500, -3000 - 500 * seed], [5_000, 300 + seed], [10_000, 320 + seed], [20_000, 340 - seed]];
      writeFileSync(join(dir, 'runs', id, 'metrics.jsonl'), rows.map(([x, y]) => JSON.stringify({ env_steps: x, collective_return: y })).join('\n') + '\n');
      return { id };
    });
    const spec = curvesSpecFor(dir, 'harvest', [{ group: 'harvest-a2c', runs } as unknown as GroupReport], 0.995)!;
    const layers = spec.layer as { mark: { clip?: boolean }; encoding: { y: { scale: { domain: number[] } } } }[];
    const line = layers.at(-1)!;
    const [lo, hi] = line.encoding.y.scale.domain;
    assert.ok(lo > 290 && lo < 301 && hi > 339 && hi < 350, `y domain ${lo}..${hi}`);
    assert.ok(layers.every((l) => l.mark.clip), 'marks are clipped at the edges');
    const subtitle = (spec.title as { subtitle: string[] }).subtitle;
    assert.match(subtitle[0], /cut at the edges/);
    assert.equal(subtitle[1], '1 early mean off the scale, up to 500 env steps (farthest: -3,250 at 500)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

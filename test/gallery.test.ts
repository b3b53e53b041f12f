// The gallery's figures are measured, not written: every entry of gallery/gallery.json states its budget
// beside the paper's, what it shows, and what `commons eval` measured; this replays each eval with the
// built CLI (dist/cli.js, seeded: the same returns must come back; the episodes run as one batch, so all of
// them) and checks the claims that rest on the figures (the paper's Table 4 figure, influence below
// significance where it says so).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GalleryIndex } from '../src/web/gallery.ts';
import { PAPER_BUDGET_AT_LEAST, PAPER_TABLE4 } from '../src/learn/presets.ts';
import { INFLUENCE_NOISE } from '../src/web/ui-heatmap.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const index = JSON.parse(readFileSync(join(ROOT, 'gallery', 'gallery.json'), 'utf8')) as GalleryIndex;

test('gallery.json: the paper\'s budget, and for every entry its budget, what it shows and its eval figures', () => {
  assert.equal(index.paper?.envSteps, PAPER_BUDGET_AT_LEAST);
  assert.ok(index.entries.length >= 2);
  for (const e of index.entries) {
    assert.ok(existsSync(join(ROOT, 'gallery', e.file)), e.file);
    assert.ok(e.game && e.model && typeof e.envSteps === 'number' && e.envSteps > 0, `${e.file}: game, model, envSteps`);
    assert.ok(typeof e.cooperating === 'boolean' && e.shows, `${e.file}: what it shows`);
    if (!e.cooperating) assert.match(e.shows!, /^Not yet cooperating/, e.file);
    const ev = e.eval!;
    assert.ok(ev && ev.collectiveReturns.length === ev.episodes, `${e.file}: eval figures`);
    assert.ok(Math.abs(ev.collectiveReturn - ev.collectiveReturns.reduce((a, b) => a + b, 0) / ev.episodes) < 0.01, `${e.file}: mean of its episodes`);
    assert.equal(ev.paperCollectiveReturn, PAPER_TABLE4[e.game as keyof typeof PAPER_TABLE4]?.[e.model as never], `${e.file}: the paper's Table 4 figure`);
    if (ev.influenceTotal !== null && ev.influenceTotal < INFLUENCE_NOISE) assert.match(e.shows!, /below significance|not significant/, `${e.file}: says its influence is noise`);
  }
});

test('commons eval replays every gallery entry\'s episodes with the collective returns gallery.json states', { timeout: 300_000 }, () => {
  assert.ok(existsSync(CLI), 'dist/cli.js is missing: run npm run build (npm test does)');
  for (const e of index.entries) {
    const r = spawnSync(process.execPath, [CLI, 'eval', '--run', join(ROOT, 'gallery', e.file), '--episodes', String(e.eval!.episodes), '--seed', String(e.eval!.seed), '--json'], { encoding: 'utf8', timeout: 240_000 });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    assert.deepEqual(got.episodes.map((x: { collective_return: number }) => x.collective_return), e.eval!.collectiveReturns, e.file);
    assert.equal(got.influence === null ? null : +Number(got.influence.total).toPrecision(2), e.eval!.influenceTotal, `${e.file}: influence`);
    assert.equal(got.game, e.game);
    assert.equal(got.model, e.model);
    assert.equal(got.env_steps, e.envSteps);
  }
});

// The web app's gallery: for every (game, model) group of a finished sweep, the seed with the highest final
// collective return is exported as a player checkpoint (weights only, float16) into gallery/, and
// gallery/gallery.json lists them for the page (`npm run build` copies both into dist/web/gallery/), with
// their budget beside the paper's. --eval N then measures each entry with `commons eval --episodes N
// --seed 0 --json` (after npm run build) and writes the figures the page shows (test/gallery.test.ts replays
// them). What an entry shows ("shows", "cooperating") is written by hand after watching the agents play;
// it is kept from the existing gallery.json, as is the entries' order (the first plays on opening).
//   node --import tsx scripts/make-gallery.ts SWEEP_DIR [SWEEP_DIR ...] [--out gallery] [--models a2c,influence-moa] [--append] [--eval 4]
//   node --import tsx scripts/make-gallery.ts --eval 4 [--out gallery]     (eval only, the entries as they are)
// --append keeps the entries gallery.json already lists that these sweeps do not make (a new game's sweep,
// experiments/box-trapped.json, joins the gallery without the sweeps the others came from); without it the
// index lists only what these sweeps make.
// Each sweep needs its report first: commons sweep report SWEEP_DIR.

import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { PAPER_BUDGET_AT_LEAST, PAPER_TABLE4 } from '../src/learn/presets.ts';
import type { GalleryEntry, GalleryIndex } from '../src/web/gallery.ts';
import { gameInfo } from '../src/env/games.ts';
import { loadCheckpoint, listCheckpoints } from '../src/hosting/checkpoint.ts';
import { packArchive, playerCheckpoint } from '../src/learn/checkpoint-format.ts';
import type { SweepReport } from '../src/sweep/report.ts';

const MODEL_TITLE: Record<string, string> = {
  'a2c': 'baseline (A2C)', 'inequity-aversion': 'inequity aversion', 'visible-actions': 'visible actions',
  'influence': 'influence (model I)', 'comm': 'communication', 'influence-comm': 'influential communication (model II)',
  'moa': 'model of other agents', 'influence-moa': 'influence (model III, MOA)',
};

const args = process.argv.slice(2);
const flag = (name: string) => { const at = args.indexOf(name); return at >= 0 ? args[at + 1] : undefined; };
const out = flag('--out') ?? 'gallery';
const only = flag('--models')?.split(',');
const evalEpisodes = flag('--eval') === undefined ? 0 : Number(flag('--eval'));
if (!Number.isInteger(evalEpisodes) || evalEpisodes < 0) {
  console.error(`--eval: expected a number of episodes, got '${flag('--eval')}'`);
  process.exit(2);
}
const append = args.includes('--append');
const sweeps = args.filter((a, i) => !a.startsWith('--') && !(args[i - 1]?.startsWith('--') && args[i - 1] !== '--append'));
if (sweeps.length === 0 && evalEpisodes === 0) {
  console.error('usage: node --import tsx scripts/make-gallery.ts SWEEP_DIR [SWEEP_DIR ...] [--out gallery] [--models M,...] [--eval N]');
  process.exit(2);
}
const indexPath = join(out, 'gallery.json');
const previous: GalleryIndex = existsSync(indexPath) ? JSON.parse(readFileSync(indexPath, 'utf8')) : { entries: [] };
const paper = {
  envSteps: PAPER_BUDGET_AT_LEAST, budget: "at least 2.26e8 env steps per run (its influence curricula; 5e8 in the SSD repository's scripts)",
  // the budget of the sequential social dilemmas; the paper states none for Box trapped
  games: ['harvest', 'cleanup'],
};
mkdirSync(out, { recursive: true });
const made: GalleryEntry[] = [];
for (const dir of sweeps) {
  const reportPath = join(dir, 'report', 'report.json');
  if (!existsSync(reportPath)) {
    console.error(`${dir}: no report/report.json; run commons sweep report ${dir} first`);
    process.exit(2);
  }
  const rep = JSON.parse(readFileSync(reportPath, 'utf8')) as SweepReport;
  for (const { game, groups } of rep.games) {
    for (const g of groups) {
      if (only && !only.includes(g.model)) continue;
      const best = g.runs.filter((r) => r.values.collective_return !== null)
        .sort((a, b) => b.values.collective_return! - a.values.collective_return!)[0];
      if (!best) continue;
      const run = join(dir, 'runs', best.id);
      const latest = listCheckpoints(run).at(-1);
      if (!latest) continue;
      const ckpt = loadCheckpoint(run, latest);
      const bytes = packArchive(playerCheckpoint(ckpt).files);
      const file = `${game}-${g.model}.tar`;
      writeFileSync(join(out, file), bytes);
      made.push({
        title: `${gameInfo(game).title}, ${MODEL_TITLE[g.model] ?? g.model}`,
        file, game, model: g.model, envSteps: ckpt.manifest.envSteps,
        about: `seed ${best.seed} of ${g.runs.length} of sweep ${rep.name}: the best of its seeds by final training return ` +
          `(${best.values.collective_return!.toFixed(1)}; the ${g.runs.length} seeds' mean ${g.stats.collective_return.mean?.toFixed(1)})`,
      });
      console.log(`${file}: ${best.id} (${statSync(join(out, file)).size.toLocaleString('en-US')} bytes)`);
    }
  }
}

// The order and the hand-written fields of the existing index are kept; new entries go last. Without
// --append (and with sweeps given), entries these sweeps do not make are dropped.
const byFile = new Map(made.map((e) => [e.file, e]));
const keepAll = append || sweeps.length === 0;
const entries: GalleryEntry[] = [
  ...previous.entries.filter((e) => keepAll || byFile.has(e.file)).map((e) => ({ ...e, ...byFile.get(e.file), shows: e.shows, cooperating: e.cooperating })),
  ...made.filter((e) => !previous.entries.some((p) => p.file === e.file)),
];

if (evalEpisodes > 0) {
  const cli = join(import.meta.dirname, '..', 'dist', 'cli.js');
  for (const e of entries) {
    const r = JSON.parse(execFileSync(process.execPath, [cli, 'eval', '--run', join(out, e.file), '--episodes', String(evalEpisodes), '--seed', '0', '--json'], { encoding: 'utf8' }));
    const returns = (r.episodes as { collective_return: number }[]).map((x) => x.collective_return);
    const paperFigure = e.game && e.model ? PAPER_TABLE4[e.game as keyof typeof PAPER_TABLE4]?.[e.model as never] : undefined;
    e.eval = {
      episodes: evalEpisodes, seed: 0, collectiveReturns: returns, collectiveReturn: +r.mean.collective_return.toFixed(2),
      influenceTotal: r.influence ? +Number(r.influence.total).toPrecision(2) : null,
      ...(paperFigure !== undefined ? { paperCollectiveReturn: paperFigure } : {}),
    };
    console.log(`${e.file}: eval over ${evalEpisodes} episodes: collective return ${e.eval.collectiveReturn} (${returns.join(', ')})`);
  }
}
for (const e of entries) if (!e.shows) console.log(`${e.file}: say what it shows ("shows", "cooperating") in ${indexPath} after watching it play`);
writeFileSync(indexPath, JSON.stringify({ '//': (previous as { '//'?: string })['//'], paper, entries }, null, 2) + '\n');
console.log(`wrote ${indexPath}: ${entries.length} entries`);

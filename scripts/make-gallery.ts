// The web app's gallery: for every (game, model) group of a finished sweep, the seed with the highest final
// collective return is exported as a player checkpoint (weights only, float16) into gallery/, and
// gallery/gallery.json lists them for the page (`npm run build` copies both into dist/web/gallery/).
//   node --import tsx scripts/make-gallery.ts SWEEP_DIR [SWEEP_DIR ...] [--out gallery] [--models a2c,influence-moa] [--append]
// --append keeps the entries gallery.json already lists (replacing those of the same file): a new game's sweep
// (experiments/box-trapped.json) joins the gallery without the sweeps the others came from.
// Each sweep needs its report first: commons sweep report SWEEP_DIR.

import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, listCheckpoints } from '../src/hosting/checkpoint.ts';
import { packArchive, playerCheckpoint } from '../src/learn/checkpoint-format.ts';
import type { SweepReport } from '../src/sweep/report.ts';
import { gameInfo } from '../src/env/games.ts';


const MODEL_TITLE: Record<string, string> = {
  'a2c': 'baseline (A2C)', 'inequity-aversion': 'inequity aversion', 'visible-actions': 'visible actions',
  'influence': 'influence (model I)', 'comm': 'communication', 'influence-comm': 'influential communication (model II)',
  'moa': 'model of other agents', 'influence-moa': 'influence (model III, MOA)',
};

const args = process.argv.slice(2);
const flag = (name: string) => { const at = args.indexOf(name); return at >= 0 ? args[at + 1] : undefined; };
const out = flag('--out') ?? 'gallery';
const only = flag('--models')?.split(',');
const append = args.includes('--append');
const sweeps = args.filter((a, i) => !a.startsWith('--') && !(args[i - 1]?.startsWith('--') && args[i - 1] !== '--append'));
if (sweeps.length === 0) {
  console.error('usage: node --import tsx scripts/make-gallery.ts SWEEP_DIR [SWEEP_DIR ...] [--out gallery]');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const entries: { title: string; file: string; about: string }[] = [];
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
      entries.push({
        title: `${gameInfo(game).title}, ${MODEL_TITLE[g.model] ?? g.model}`,
        file,
        about: `seed ${best.seed} of ${g.runs.length}, trained ${ckpt.manifest.envSteps.toLocaleString('en-US')} env steps (sweep ${rep.name}); ` +
          `final collective return ${best.values.collective_return!.toFixed(1)}, the best of its seeds (mean ${g.stats.collective_return.mean?.toFixed(1)})`,
      });
      console.log(`${file}: ${best.id} (${statSync(join(out, file)).size.toLocaleString('en-US')} bytes)`);
    }
  }
}
if (append && existsSync(join(out, 'gallery.json'))) {
  const kept = (JSON.parse(readFileSync(join(out, 'gallery.json'), 'utf8')) as { entries: typeof entries }).entries
    .filter((e) => !entries.some((n) => n.file === e.file));
  entries.unshift(...kept);
}
writeFileSync(join(out, 'gallery.json'), JSON.stringify({ entries }, null, 2) + '\n');
console.log(`wrote ${join(out, 'gallery.json')}: ${entries.length} entries`);

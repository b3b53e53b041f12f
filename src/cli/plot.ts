// commons plot: learning curves of training runs (mean and a band over seeds, one line per group of runs
// that share their settings), written as SVG and PNG. The drawing lives in src/plot/curves.ts.

import { writeFileSync } from 'node:fs';
import { loadRun, renderCurves, curvesSpec, metricsOf, differingSettings, BANDS, type Run } from '../plot/curves.ts';
import { parseCommand, str, choiceFlag, intFlag, numFlag, UsageError, type CommandSpec } from './args.ts';
import { ensureFileDir, fsReason } from '../util/node-paths.ts';

export const PLOT: CommandSpec = {
  name: 'plot',
  summary: 'learning curves of runs (PNG and SVG): mean over seeds with a band, one line per group',
  usage: ['plot RUN [RUN ...] --out FILE.png [--metric collective_return] [--group-by model,lr] [--band minmax|ci|std|none] [--smooth N] [--title TEXT]'],
  about: `Draws a metric of metrics.jsonl against environment steps. Runs are grouped by model and by every other
setting in which they differ (the seed, the name, the budget and how the run was hosted aside), so runs with
different settings are never averaged as if they were seeds; --group-by names the settings instead. Each
group's line is the mean over its runs; the band shows their spread. Writes FILE.png and FILE.svg.`,
  positionals: true,
  flags: {
    out: { arg: 'FILE.png', help: 'the PNG to write; FILE.svg is written beside it (required)' },
    metric: { arg: 'NAME', help: 'any numeric field of metrics.jsonl, nested ones by a dotted path (moa.accuracy); an unknown name lists them', default: 'collective_return' },
    'group-by': { arg: 'A,B', help: 'settings of config.json that tell groups apart', default: 'model and every setting that differs' },
    band: { arg: BANDS.join('|'), help: 'the shaded band: min to max over seeds, the confidence interval of the mean, +- one std, or none', default: 'minmax' },
    ci: { arg: 'LEVEL', help: 'confidence level of --band ci, from 0.5 to 0.999', default: '0.95' },
    smooth: { arg: 'N', help: 'moving average of each run over N of its points before averaging', default: '1 (none)' },
    title: { arg: 'TEXT', help: 'the title', default: '"<game>: <metric> over training"' },
  },
};

/** Run directories and --group-by as plot and compare read them. */
export function readRuns(positionals: string[], usage: string): Run[] {
  if (positionals.length === 0) throw new UsageError(`no run directories given: ${usage}`);
  return positionals.map(loadRun);
}

export function groupByFlag(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const fields = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (fields.length === 0) throw new UsageError("--group-by: expected setting names separated by commas, e.g. model,lr");
  return fields;
}

/** Checks --metric against the metrics the runs have. */
export function metricFlag(raw: string | undefined, runs: Run[], fallback: string): string {
  const metric = raw ?? fallback;
  const known = metricsOf(runs);
  if (!known.includes(metric)) {
    throw new UsageError(`--metric: no line of these runs' metrics.jsonl has '${metric}'; metrics: ${known.join(', ') || 'none'}`);
  }
  return metric;
}

export async function plotCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(argv, PLOT);
  const file = str(values, 'out');
  if (!file) throw new UsageError('--out is required: the PNG file to write, e.g. --out curves.png (an SVG is written beside it)');
  if (!/\.png$/i.test(file)) throw new UsageError(`--out: expected a file name ending in .png, got '${file}'`);
  const band = choiceFlag('band', str(values, 'band'), BANDS, 'minmax');
  const level = numFlag('ci', str(values, 'ci'), 0.5, 0.999) ?? 0.95;
  const smooth = intFlag('smooth', str(values, 'smooth'), 1, 1, 100_000);
  const groupBy = groupByFlag(str(values, 'group-by'));
  const runs = readRuns(positionals, 'commons plot runs/A [runs/B ...] --out curves.png');
  const metric = metricFlag(str(values, 'metric'), runs, 'collective_return');
  ensureFileDir('--out', file);
  const opts = { metric, title: str(values, 'title'), groupBy, band, level, smooth };
  const { groups, aggregates } = curvesSpec(runs, opts);
  const { svg, png } = await renderCurves(runs, opts);
  const svgPath = file.replace(/\.png$/i, '.svg');
  try {
    writeFileSync(file, png);
    writeFileSync(svgPath, svg);
  } catch (e) {
    throw new UsageError(`--out: cannot write ${file}: ${fsReason(e)}`);
  }
  const by = groupBy ?? ['model', ...differingSettings(runs).filter((k) => k !== 'model')];
  out(`wrote ${file} and ${svgPath}: ${metric} of ${runs.length} run${runs.length === 1 ? '' : 's'}, ${groups.length} group${groups.length === 1 ? '' : 's'} ` +
    `(by ${by.join(', ')}${groupBy ? '' : '; --group-by to choose'})`);
  groups.forEach((g, i) => {
    const a = aggregates[i];
    if (a.x.length === 0) out(`  ${g.label}: no ${metric} values, not drawn`);
    else if (a.x.length === 1) out(`  ${g.label}: one point only (at ${a.x[0]} env steps), drawn as a dot`);
  });
}

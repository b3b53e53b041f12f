// commons plot: learning curves of training runs (mean and min-max band over seeds, one line per model),
// written as SVG and PNG. The drawing lives in src/plot/curves.ts.

import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadRun, renderCurves, METRICS } from '../plot/curves.ts';
import { parse, choiceFlag, UsageError } from './args.ts';

export const PLOT_HELP = `commons plot RUN_DIR [RUN_DIR ...] --out FILE.png [--metric collective_return|equality|sustainability|influence_total] [--title TEXT]
  Draws learning curves (metric against environment steps) of training runs, one line per model: the mean
  over seeds with a shaded min-max band where several runs share a model. Writes FILE.png and FILE.svg.`;

export async function plotCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values, positionals } = parse(argv, { out: { type: 'string' }, metric: { type: 'string' }, title: { type: 'string' } }, true);
  const metric = choiceFlag('metric', values.metric, METRICS, 'collective_return');
  if (!values.out) throw new UsageError('--out is required: the PNG file to write, e.g. --out curves.png (an SVG is written beside it)');
  if (!/\.png$/i.test(values.out)) throw new UsageError(`--out: expected a file name ending in .png, got '${values.out}'`);
  if (positionals.length === 0) throw new UsageError('no run directories given: commons plot runs/A [runs/B ...] --out curves.png');
  const runs = positionals.map(loadRun);
  const { svg, png } = await renderCurves(runs, { metric, title: values.title });
  const svgPath = values.out.replace(/\.png$/i, '.svg');
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, png);
  writeFileSync(svgPath, svg);
  const models = new Set(runs.map((r) => `${r.model}\u0000${r.algo}`)).size;
  out(`wrote ${values.out} and ${svgPath}: ${metric} of ${runs.length} run${runs.length === 1 ? '' : 's'}, ${models} model${models === 1 ? '' : 's'}`);
}

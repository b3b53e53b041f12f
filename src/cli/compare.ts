// commons compare: a table of the final metrics of runs per group (mean, spread, confidence interval,
// number of seeds), as text, --json or --csv. Groups as commons plot makes them (src/plot/compare.ts).

import { compareRuns, comparisonCsv, comparisonText } from '../plot/compare.ts';
import { differingSettings, metricsOf } from '../plot/curves.ts';
import { parseCommand, str, numFlag, UsageError, type CommandSpec } from './args.ts';
import { readRuns, groupByFlag } from './plot.ts';

export const COMPARE: CommandSpec = {
  name: 'compare',
  summary: 'a table of the final metrics of runs per group: mean, spread, confidence interval, seeds',
  usage: ['compare RUN [RUN ...] [--metrics collective_return,equality] [--group-by model,lr] [--window 0.1] [--ci 0.95] [--json|--csv]'],
  about: `Each run's final value of a metric is its mean over the metric lines in the last --window of its env steps
(at least its last line). Runs are grouped as commons plot groups them (model and every setting that differs,
the seed aside, or --group-by); each group shows the mean over its runs, the half-width of the Student t
confidence interval of that mean, the standard deviation, the range and the number of runs (seeds).`,
  positionals: true,
  flags: {
    metrics: { arg: 'A,B', help: 'metrics of metrics.jsonl (dotted paths for nested ones; equality_weighted_return: R(1-G) of each line\'s returns)', default: 'collective_return,efficiency,equality,sustainability,peace,equality_weighted_return' },
    'group-by': { arg: 'A,B', help: 'settings of config.json that tell groups apart', default: 'model and every setting that differs' },
    window: { arg: 'F', help: 'fraction of each run\'s env steps, at its end, averaged into its final value; > 0 to 1', default: '0.1' },
    ci: { arg: 'LEVEL', help: 'confidence level, from 0.5 to 0.999', default: '0.95' },
    json: { type: 'boolean', help: 'print JSON (schemas/compare.schema.json)' },
    csv: { type: 'boolean', help: 'print CSV: one row per group and metric' },
  },
};

const DEFAULT_METRICS = ['collective_return', 'efficiency', 'equality', 'sustainability', 'peace', 'equality_weighted_return'];

export async function compareCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(argv, COMPARE);
  if (values.json && values.csv) throw new UsageError('--json and --csv: choose one');
  const level = numFlag('ci', str(values, 'ci'), 0.5, 0.999) ?? 0.95;
  const window = numFlag('window', str(values, 'window'), 0, 1) ?? 0.1;
  if (window === 0) throw new UsageError("--window: expected a fraction > 0 and <= 1, got '0'");
  const groupBy = groupByFlag(str(values, 'group-by'));
  const runs = readRuns(positionals, 'commons compare runs/A [runs/B ...]');
  const known = metricsOf(runs);
  const asked = str(values, 'metrics');
  const metrics = asked === undefined ? DEFAULT_METRICS.filter((m) => known.includes(m)) : asked.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = metrics.filter((m) => !known.includes(m));
  if (unknown.length || metrics.length === 0) {
    throw new UsageError(`--metrics: ${unknown.length ? `${unknown.join(', ')} not in these runs' metrics.jsonl` : 'none given'}; metrics: ${known.join(', ') || 'none'}`);
  }
  const groups = compareRuns(runs, { metrics, groupBy, window, level });
  const by = groupBy ?? ['model', ...differingSettings(runs).filter((k) => k !== 'model')];
  if (values.json) {
    out(JSON.stringify({ window, level, group_by: by, metrics, groups }));
    return;
  }
  if (values.csv) {
    out(comparisonCsv(groups, metrics).trimEnd());
    return;
  }
  out(`${runs.length} run${runs.length === 1 ? '' : 's'} in ${groups.length} group${groups.length === 1 ? '' : 's'} (by ${by.join(', ')}); ` +
    `final value of a run: mean over its last ${+(100 * window).toFixed(2)}% of env steps`);
  for (const l of comparisonText(groups, metrics, level)) out(l);
}

// The `commons` command line: one subcommand per job. Errors in the user's input print a one-line
// message and exit with status 2; anything else is a bug and prints its stack.

import { rolloutCommand, ROLLOUT_HELP } from './rollout.ts';
import { benchCommand, BENCH_HELP, BENCH_TRAIN_HELP } from './bench.ts';
import { renderCommand, RENDER_HELP } from './render.ts';
import { trainCommand, TRAIN_HELP } from './train.ts';
import { evalCommand, EVAL_HELP } from './eval.ts';
import { plotCommand, PLOT_HELP } from './plot.ts';
import { serveCommand, SERVE_HELP } from './serve.ts';
import { sweepCommand, SWEEP_HELP } from './sweep.ts';
import { workerCommand, WORKER_HELP } from './worker.ts';
import { sweepChildCommand } from '../sweep/child.ts';
import { UsageError } from './args.ts';
import { InputError } from '../util/errors.ts';

const HELP = `commons: Harvest and Cleanup (sequential social dilemmas) in WebAssembly, and agents that learn in them.

Usage:
${TRAIN_HELP}

${EVAL_HELP}

${PLOT_HELP}

${ROLLOUT_HELP}

${BENCH_HELP}

${BENCH_TRAIN_HELP}

${RENDER_HELP}

${SERVE_HELP}

${SWEEP_HELP}

${WORKER_HELP}
`;

const COMMANDS: Record<string, (argv: string[], out: (s: string) => void) => Promise<void>> = {
  rollout: rolloutCommand,
  bench: benchCommand,
  render: renderCommand,
  train: trainCommand,
  eval: evalCommand,
  plot: plotCommand,
  serve: serveCommand,
  sweep: sweepCommand,
  worker: workerCommand,
};

/** Internal commands, not listed: the child process of a sweep run (src/sweep/child.ts). */
const INTERNAL: Record<string, (argv: string[], out: (s: string) => void) => Promise<void>> = {
  '__sweep-child': sweepChildCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(HELP);
    return cmd === undefined ? 2 : 0;
  }
  const run = COMMANDS[cmd] ?? INTERNAL[cmd];
  try {
    if (!run) throw new UsageError(`unknown command '${cmd}'; commands: ${Object.keys(COMMANDS).join(', ')} (see commons --help)`);
    await run(rest, (s) => process.stdout.write(s + '\n'));
    return 0;
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`commons ${cmd}: ${(e as Error).message}\n`);
      return (e as { exitCode?: number }).exitCode ?? 2;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });

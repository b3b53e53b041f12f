// The `commons` command line: one subcommand per job, each declared as a CommandSpec (flags, defaults, help)
// and a function. Errors in the user's input print one line and exit with status 2; anything else is a bug
// and prints its stack. `commons COMMAND --help` prints a command's flags; `commons --version` the version.

import { trainCommand, TRAIN } from './train.ts';
import { evalCommand, EVAL } from './eval.ts';
import { plotCommand, PLOT } from './plot.ts';
import { compareCommand, COMPARE } from './compare.ts';
import { checkpointsCommand, CHECKPOINTS } from './checkpoints.ts';
import { renderCommand, RENDER } from './render.ts';
import { rolloutCommand, ROLLOUT } from './rollout.ts';
import { benchCommand, BENCH } from './bench.ts';
import { serveCommand, SERVE } from './serve.ts';
import { HelpRequested, UsageError, type CommandSpec } from './args.ts';
import { out, watchStdout } from './io.ts';
import { sweepCommand, SWEEP } from './sweep.ts';
import { workerCommand, WORKER } from './worker.ts';
import { presetsCommand, PRESETS_COMMAND } from './presets.ts';
import { gameReportCommand, GAME_REPORT } from './game-report.ts';
import { sweepChildCommand } from '../sweep/child.ts';
import { InputError } from '../util/errors.ts';
import { versionLine } from '../util/code-version.ts';
import { fsReason } from '../util/node-paths.ts';
import { setWebgpuProvider } from '../learn/tfjs/backend.ts';
import { provideNodeWebgpu } from '../learn/tfjs/node-webgpu.ts';

setWebgpuProvider(provideNodeWebgpu);

/** A command: its spec (for help) and what it runs; a returned number is the exit status (default 0). */
export interface Command {
  spec: CommandSpec;
  run(argv: string[], out: (s: string) => void): Promise<number | void>;
}

export const COMMANDS: Record<string, Command> = {
  train: { spec: TRAIN, run: trainCommand },
  eval: { spec: EVAL, run: evalCommand },
  plot: { spec: PLOT, run: plotCommand },
  compare: { spec: COMPARE, run: compareCommand },
  'game-report': { spec: GAME_REPORT, run: gameReportCommand },
  presets: { spec: PRESETS_COMMAND, run: presetsCommand },
  checkpoints: { spec: CHECKPOINTS, run: checkpointsCommand },
  render: { spec: RENDER, run: renderCommand },
  rollout: { spec: ROLLOUT, run: rolloutCommand },
  bench: { spec: BENCH, run: benchCommand },
  serve: { spec: SERVE, run: serveCommand },
  sweep: { spec: SWEEP, run: sweepCommand },
  worker: { spec: WORKER, run: workerCommand },
};

/** Internal commands, not listed: the child process of a sweep run (src/sweep/child.ts). */
const INTERNAL: Record<string, Command> = {
  '__sweep-child': { spec: { name: '__sweep-child', summary: '', usage: [], flags: {} }, run: sweepChildCommand },
};

export function topHelp(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length)) + 2;
  return `commons ${versionLine()}: Harvest and Cleanup (sequential social dilemmas) in WebAssembly, and agents that learn in them.

Usage: commons COMMAND [flags]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(w)}${c.spec.summary}`).join('\n')}

commons COMMAND --help lists a command's flags and their defaults; commons --version prints the version.
Exit status: 0 success, 1 failure (a worker died), 2 bad input; commons train stopped by a signal: 128 + the
signal (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP), after saving a checkpoint. Docs: README.md, docs/training.md.
`;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    const sub = cmd === 'help' ? rest[0] : undefined;
    if (sub !== undefined && COMMANDS[sub]) return main([sub, '--help']);
    process.stdout.write(topHelp());
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
    out(`commons ${versionLine()}`);
    return 0;
  }
  const command = COMMANDS[cmd] ?? INTERNAL[cmd];
  try {
    if (!command) throw new UsageError(`unknown command '${cmd}'; commands: ${Object.keys(COMMANDS).join(', ')} (see commons --help)`);
    return (await command.run(rest, out)) ?? 0;
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(e.text);
      return 0;
    }
    // A command with subcommands names the one that failed (`commons sweep run: ...`).
    const label = typeof (e as { command?: unknown })?.command === 'string' ? (e as { command: string }).command : cmd;
    if (e instanceof InputError) {
      process.stderr.write(`commons ${label}: ${(e as Error).message}\n`);
      return (e as { exitCode?: number }).exitCode ?? 2;
    }
    // A file-system failure no check foresaw (a disk that fills up, a folder that vanishes): one line naming
    // the path; 1 when the machine is at fault, 2 when the path is.
    const sys = e as NodeJS.ErrnoException;
    if (sys && typeof sys.code === 'string' && typeof sys.path === 'string') {
      process.stderr.write(`commons ${label}: ${sys.path}: ${fsReason(sys)}${cmd === 'train' ? '; the last checkpoint is intact' : ''}\n`);
      return ['ENOSPC', 'EDQUOT', 'EIO'].includes(sys.code) ? 1 : 2;
    }
    throw e;
  }
}

watchStdout();
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });

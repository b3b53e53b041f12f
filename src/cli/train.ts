// commons train: trains a model, writing config, metrics, checkpoints and a summary under --out; shows
// a live progress line on a terminal and plain periodic lines otherwise. Ctrl-C, SIGTERM and SIGHUP save a
// checkpoint and stop (exit status 130, 143, 129); --resume continues a run from its newest intact checkpoint.

import type { Trainer, MetricsRow, Progress } from '../learn/trainer.ts';
import { createTrainer, openRun, resumeOpened, adoptArchive, type OpenRun } from '../hosting/run-dir.ts';
import { resolveTrainConfig, finalSteps, stepsPerUpdate, type TrainConfig } from '../learn/config.ts';
import { isArchivePath } from '../hosting/checkpoint.ts';
import { parseCommand, str, UsageError, type CommandSpec } from './args.ts';
import { configFlags, settingsFromFlags, settingsFromFile, settingValue, commandLineWarnings } from './config-flags.ts';
import { onStdoutClosed, stdoutClosed, warn, write, EXIT_PIPE } from './io.ts';
import { WorkerError, WorkerGroup } from '../parallel/group.ts';
import type { FaultKind } from '../parallel/protocol.ts';
import { InputError } from '../util/errors.ts';

/** A run that stopped on a worker's failure: reported in one line (exit status 1), not as a crash. */
export class TrainingFailed extends InputError {
  readonly exitCode = 1;
}

/** Exit statuses of a run stopped by a signal after saving its checkpoint: 128 + the signal's number, as
 * shells report a process the signal ended, so that `commons train ... && next` does not go on. */
export const STOP_STATUS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

export const TRAIN: CommandSpec = {
  name: 'train',
  summary: 'train agents; writes config.json, metrics.jsonl, checkpoints/ and summary.json into a run directory',
  usage: [
    'train [--game cleanup] [--model a2c] [--algo a2c] [--steps 2e6] [--seed 0] [...] --out runs/NAME',
    'train --config FILE.json [flags that override it] --out runs/NAME',
    'train --resume runs/NAME [--steps N] [--keep K] [--checkpoint step-...]',
    'train --resume checkpoint.tar --out runs/NEW [--steps N]',
  ],
  about: `A run ends at the first update that reaches --steps: each update steps every environment --rollout steps,
so a budget that is not a multiple of envs x rollout ends just past it (the run says where at its start).
Ctrl-C, SIGTERM (what schedulers send on preemption) and SIGHUP save a checkpoint, stop the workers and exit
with status 130, 143 and 129; a second signal quits at once without saving. --resume continues from the newest
checkpoint that loads (a corrupt newest one is passed over, with a warning) and writes the same metrics as a
run that never stopped. Exit status: 0 done, 1 a worker failed, 2 bad input, 130/143/129 stopped and resumable.
All settings: docs/training.md.`,
  flags: {
    ...configFlags(),
    out: { arg: 'DIR', help: 'the run directory to write (new or empty)', section: 'The run' },
    config: { arg: 'FILE.json', help: 'settings from a JSON file (a run\'s config.json works); flags override it', section: 'The run' },
    resume: { arg: 'RUN|FILE.tar', help: 'continue a run directory, or a checkpoint archive into a new --out', section: 'Resuming' },
    checkpoint: { arg: 'ID', help: 'with --resume: the checkpoint to continue from (default the newest intact)', section: 'Resuming' },
  },
};

function fmtDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

const num = (n: number) => n.toLocaleString('en-US');
const compact = (n: number) => (n >= 1e6 ? `${+(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${+(n / 1e3).toFixed(1)}k` : String(Math.round(n)));

/**
 * The progress line for a terminal `columns` wide: the longest of a few forms that fits (a bar and every
 * figure; a shorter bar; no bar; compact figures; percentage and ETA), so it never wraps.
 */
export function progressLine(p: Progress, agents: number, columns: number): string {
  const frac = p.totalSteps > 0 ? Math.min(1, p.envSteps / p.totalSteps) : 1;
  const eta = p.agentStepsPerS > 0 ? (Math.max(0, p.totalSteps - p.envSteps) * agents) / p.agentStepsPerS : NaN;
  const ret = p.lastReturn === null ? 'n/a' : p.lastReturn.toFixed(1);
  const bar = (w: number) => `[${'#'.repeat(Math.round(w * frac))}${'.'.repeat(w - Math.round(w * frac))}] `;
  const full = `${num(p.envSteps)}/${num(p.totalSteps)} env steps (${(100 * frac).toFixed(1)}%) | ` +
    `${num(Math.round(p.agentStepsPerS))} agent-steps/s | ETA ${fmtDuration(eta)} | collective return ${ret}`;
  const short = `${compact(p.envSteps)}/${compact(p.totalSteps)} (${(100 * frac).toFixed(0)}%) ${compact(p.agentStepsPerS)}/s ETA ${fmtDuration(eta)} ret ${ret}`;
  const forms = [bar(24) + full, bar(10) + full, full, bar(10) + short, short, `${(100 * frac).toFixed(0)}% ETA ${fmtDuration(eta)}`];
  const room = Math.max(1, columns - 1);
  return forms.find((f) => f.length <= room) ?? forms[forms.length - 1].slice(0, room);
}

/** Builds the run's settings from --config and the flags, checked, with the warnings they deserve. */
function newRunSettings(values: Record<string, unknown>): { partial: Partial<TrainConfig>; warnings: string[] } {
  const fromFile = values.config !== undefined ? settingsFromFile(str(values, 'config')!) : {};
  const fromFlags = settingsFromFlags(values);
  const partial = { ...fromFile, ...fromFlags };
  return { partial, warnings: commandLineWarnings(partial, resolveTrainConfig(partial)) };
}

/** Flags --resume takes; the run keeps every other setting. */
const RESUME_FLAGS = new Set(['resume', 'steps', 'keep', 'checkpoint', 'out']);

export async function trainCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseCommand(argv, TRAIN);
  const resume = str(values, 'resume');

  // Signals from here on: a stop asked for while workers start is honoured before the first update.
  const tty = Boolean(process.stdout.isTTY);
  let stop: { signal: string; status: number } | undefined;
  const stopped = () => stop;
  const requestStop = (signal: string, status: number, how: string) => {
    if (stop) process.exit(status);
    stop = { signal, status };
    if (!stdoutClosed()) write(`${tty ? '\n' : ''}stopping (${signal}): saving a checkpoint (${how} again to quit without it)\n`);
  };
  const handlers: (() => unknown)[] = Object.entries(STOP_STATUS).map(([sig, status]) => {
    const h = () => requestStop(sig, status, sig === 'SIGINT' ? 'Ctrl-C' : sig);
    process.on(sig as NodeJS.Signals, h);
    return () => process.off(sig as NodeJS.Signals, h);
  });
  handlers.push(onStdoutClosed(() => { if (!stop) stop = { signal: 'closed output', status: EXIT_PIPE }; }));
  const log = (line: string) => warn('train', line);

  let trainer: Trainer | undefined;
  let runDir: string;
  try {
    if (resume !== undefined) {
      const others = Object.keys(values).filter((k) => !RESUME_FLAGS.has(k));
      if (others.length) {
        throw new UsageError(`--resume continues a run with its saved settings; only --steps, --keep and --checkpoint may be given with it (got --${others.join(', --')})`);
      }
      const steps = values.steps === undefined ? undefined : settingValue('steps', str(values, 'steps'), '--steps') as number;
      const keep = values.keep === undefined ? undefined : settingValue('keep', str(values, 'keep'), '--keep') as number;
      let run: OpenRun;
      if (isArchivePath(resume)) {
        const dest = str(values, 'out');
        if (!dest) throw new UsageError(`--resume ${resume}: a checkpoint archive starts a new run directory; give it with --out DIR`);
        if (values.checkpoint !== undefined) throw new UsageError('--checkpoint: an archive holds one checkpoint; --checkpoint chooses among a run directory\'s');
        run = adoptArchive(resume, dest, { steps, keep, log });
        runDir = dest;
        out(`starting ${dest} from ${resume} (${run.ckpt.manifest.id}); its metrics.jsonl starts there`);
      } else {
        if (values.out !== undefined) throw new UsageError('--out: --resume continues a run in its own directory; --out goes with a checkpoint archive (--resume FILE.tar)');
        run = openRun(resume, { steps, keep, checkpoint: str(values, 'checkpoint'), log });
        runDir = resume;
      }
      const done = run.ckpt.manifest.envSteps;
      if (steps !== undefined && steps < done) {
        throw new UsageError(`--steps ${num(steps)}: ${runDir} has trained ${num(done)} env steps already (${run.ckpt.manifest.id}); give more to train on`);
      }
      if (done >= run.cfg.steps) {
        out(`${runDir} is finished: ${num(done)} of ${num(run.cfg.steps)} env steps (${run.ckpt.manifest.id}); nothing to do. ` +
          `To train on, give a larger budget: commons train --resume ${runDir} --steps N`);
        return 0;
      }
      trainer = await resumeOpened(run, log);
      out(`resuming ${runDir} at ${num(trainer.envSteps)} env steps (${run.ckpt.manifest.id})`);
    } else {
      if (values.checkpoint !== undefined) throw new UsageError('--checkpoint goes with --resume RUN');
      const dest = str(values, 'out');
      if (!dest) throw new UsageError('--out is required: the run directory to write, e.g. --out runs/cleanup-a2c');
      const { partial, warnings } = newRunSettings(values);
      trainer = await createTrainer(partial, dest);
      for (const w of warnings) warn('train', w);
      runDir = dest;
    }
    const cfg = trainer.cfg;
    const end = finalSteps(cfg);
    out(`training ${cfg.model} (${cfg.algo}) on ${cfg.game}: ${cfg.agents} agents x ${cfg.envs} envs, ${num(end)} env steps, ` +
      `backend ${trainer.group.backend}${cfg.shareParams ? ', shared parameters' : ''}` +
      `${cfg.workers ? `, ${cfg.workers} workers x ${cfg.envs / cfg.workers} envs` : ''} -> ${runDir}`);
    if (end !== cfg.steps) {
      out(`note: each update steps every environment ${cfg.rolloutSteps} times (${num(stepsPerUpdate(cfg))} env steps), so the budget of ` +
        `${num(cfg.steps)} env steps ends at ${num(end)}`);
    }
    const early = stopped();
    if (early) {
      out(`stopped (${early.signal}) before the first update; nothing was trained`);
      return early.status;
    }

    const t0 = performance.now();
    let lastLine = 0;
    const plain = (p: Progress) => progressLine(p, cfg.agents, 10_000).replace(/^\[[#.]+\] /, '');
    // Test hook: COMMONS_FAULT=worker:throw|exit|exit-in-exchange:update injects a fault into a worker after that update.
    const fault = /^(\d+):(throw|exit|exit-in-exchange):(\d+)$/.exec(process.env.COMMONS_FAULT ?? '');
    const tr = trainer;
    try {
      const summary = await tr.run({
        shouldStop: () => stop !== undefined,
        onProgress: (p) => {
          if (fault && p.updates === Number(fault[3]) && tr.group instanceof WorkerGroup) {
            void tr.group.fault(Number(fault[1]), fault[2] as FaultKind);
          }
          if (tty) {
            write(`\r${progressLine(p, cfg.agents, process.stdout.columns || 80)}\x1b[K`);
          } else if (performance.now() - lastLine > 10_000) {
            lastLine = performance.now();
            out(plain(p));
          }
        },
        onReport: (r: MetricsRow) => {
          if (!tty) out(`report: ${r.env_steps} env steps, episodes ${r.episodes}, collective return ${r.collective_return?.toFixed(2) ?? 'n/a'}, ` +
            `entropy ${r.entropy.toFixed(3)}, ${r.timing.agent_steps_per_s} agent-steps/s`);
        },
      });
      if (tty) write('\n');
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      if (summary.stopped) {
        out(`stopped at ${summary.env_steps} env steps after ${secs} s; checkpoint ${summary.checkpoint}; continue with: commons train --resume ${runDir}`);
        return stopped()?.status ?? 0;
      }
      out(`done: ${summary.env_steps} env steps in ${secs} s; last collective return ${summary.last?.collective_return?.toFixed(2) ?? 'n/a'}; ` +
        `checkpoint ${summary.checkpoint}; ${runDir}/summary.json`);
      return 0;
    } catch (e) {
      if (tty) write('\n');
      if (e instanceof WorkerError) {
        throw new TrainingFailed(`${e.message}; the run stopped, its last checkpoint is intact (continue with: commons train --resume ${runDir})`);
      }
      throw e;
    }
  } finally {
    for (const off of handlers) off();
    await trainer?.close();
  }
}

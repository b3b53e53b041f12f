// commons train: trains a model, writing config, metrics, checkpoints and a summary under --out; shows
// a live progress line on a terminal and plain periodic lines otherwise. Ctrl-C saves a checkpoint and
// exits; --resume continues a run from its last checkpoint.

import type { Trainer, MetricsRow, Progress } from '../learn/trainer.ts';
import { createTrainer, resumeTrainer } from '../learn/run-dir.ts';
import { MODELS, ALGOS, BACKENDS, type TrainConfig } from '../learn/config.ts';
import { GAMES } from '../env/games.ts';
import { parse, intFlag, choiceFlag, numFlag, UsageError } from './args.ts';
import { WorkerError, WorkerGroup } from '../parallel/group.ts';
import { InputError } from '../util/errors.ts';

/** A run that stopped on a worker's failure: reported in one line (exit status 1), not as a crash. */
export class TrainingFailed extends InputError {
  readonly exitCode = 1;
}

export const TRAIN_HELP = `commons train --game cleanup --model a2c --algo a2c|ppo --agents 5 --envs 16 --steps 2e6 --seed 0 --out runs/NAME
      [--share-params] [--backend wasm|webgpu|cpu] [--lr X] [--gamma X] [--entropy X] [--rollout N]
      [--episode-length N] [--view-radius N] [--report-every N] [--checkpoint-every N] [--ia-alpha X] [--ia-beta X]
      [--beta X] [--influence-start N] [--influence-end N] [--influence-clip X] [--divergence kl|js|pmi] [--influence-all]
      [--moa-loss-weight X] [--workers W]
commons train --resume runs/NAME [--steps N]
  Trains and writes runs/NAME/{config.json, metrics.jsonl, checkpoints/, summary.json}. Ctrl-C saves a checkpoint.
  Models: ${MODELS.join(', ')}. Algorithms: ${ALGOS.join(', ')}.
  --workers W splits the envs over W worker threads (W must divide --envs; 0, the default, trains in this
  thread). Synchronous data parallelism: each worker computes gradients on its rollout, all apply the average,
  so a run is reproducible for a given seed and W (docs/training.md).`;

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export async function trainCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values } = parse(argv, {
    game: { type: 'string' }, model: { type: 'string' }, algo: { type: 'string' }, agents: { type: 'string' },
    envs: { type: 'string' }, steps: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' },
    resume: { type: 'string' }, 'share-params': { type: 'boolean' }, backend: { type: 'string' }, lr: { type: 'string' },
    gamma: { type: 'string' }, entropy: { type: 'string' }, rollout: { type: 'string' }, 'episode-length': { type: 'string' },
    'view-radius': { type: 'string' }, 'report-every': { type: 'string' }, 'checkpoint-every': { type: 'string' },
    'ia-alpha': { type: 'string' }, 'ia-beta': { type: 'string' }, beta: { type: 'string' }, 'influence-start': { type: 'string' },
    'influence-end': { type: 'string' }, 'influence-clip': { type: 'string' }, divergence: { type: 'string' },
    'influence-all': { type: 'boolean' }, 'moa-loss-weight': { type: 'string' }, influencers: { type: 'string' }, vocab: { type: 'string' },
    workers: { type: 'string' },
  });
  let trainer: Trainer;
  if (values.resume !== undefined) {
    const others = Object.keys(values).filter((k) => k !== 'resume' && k !== 'steps');
    if (others.length) throw new UsageError(`--resume continues a run with its saved settings; only --steps may be given with it (got --${others.join(', --')})`);
    trainer = await resumeTrainer(values.resume, { steps: values.steps === undefined ? undefined : intFlag('steps', values.steps, 0, 1) });
    out(`resuming ${values.resume} at ${trainer.envSteps.toLocaleString('en-US')} env steps`);
  } else {
    if (!values.out) throw new UsageError('--out is required: the run directory to write, e.g. --out runs/cleanup-a2c');
    const partial: Partial<TrainConfig> = {
      game: choiceFlag('game', values.game, GAMES, 'cleanup'),
      model: choiceFlag('model', values.model, MODELS, 'a2c'),
      algo: choiceFlag('algo', values.algo, ALGOS, 'a2c'),
      agents: intFlag('agents', values.agents, 5, 1, 255),
      envs: intFlag('envs', values.envs, 16, 1, 4096),
      steps: intFlag('steps', values.steps, 2e6, 1),
      seed: intFlag('seed', values.seed, 0, 0),
      shareParams: values['share-params'] ?? false,
      backend: choiceFlag('backend', values.backend, BACKENDS, 'wasm'),
      lr: numFlag('lr', values.lr, 0, 1),
      gamma: numFlag('gamma', values.gamma, 0, 1),
      entropyCoef: numFlag('entropy', values.entropy, 0),
      rolloutSteps: values.rollout === undefined ? undefined : intFlag('rollout', values.rollout, 0, 1, 100_000),
      episodeLength: values['episode-length'] === undefined ? undefined : intFlag('episode-length', values['episode-length'], 0, 1, 1_000_000),
      viewRadius: values['view-radius'] === undefined ? undefined : intFlag('view-radius', values['view-radius'], 0, 1, 32),
      reportEvery: values['report-every'] === undefined ? undefined : intFlag('report-every', values['report-every'], 0, 1),
      checkpointEvery: values['checkpoint-every'] === undefined ? undefined : intFlag('checkpoint-every', values['checkpoint-every'], 0, 1),
      iaAlpha: numFlag('ia-alpha', values['ia-alpha'], 0),
      iaBeta: numFlag('ia-beta', values['ia-beta'], 0),
      influenceBeta: numFlag('beta', values.beta, 0),
      influenceStart: values['influence-start'] === undefined ? undefined : intFlag('influence-start', values['influence-start'], 0, 0),
      influenceEnd: values['influence-end'] === undefined ? undefined : intFlag('influence-end', values['influence-end'], 0, 0),
      influenceClip: numFlag('influence-clip', values['influence-clip'], 0),
      divergence: values.divergence === undefined ? undefined : choiceFlag('divergence', values.divergence, ['kl', 'js', 'pmi'] as const),
      influenceVisibleOnly: values['influence-all'] ? false : undefined,
      moaLossWeight: numFlag('moa-loss-weight', values['moa-loss-weight'], 0),
      influencers: values.influencers === undefined ? undefined : intFlag('influencers', values.influencers, 1, 1, 254),
      vocab: values.vocab === undefined ? undefined : intFlag('vocab', values.vocab, 0, 1, 64),
      workers: intFlag('workers', values.workers, 0, 0, 64),
    };
    trainer = await createTrainer(partial, values.out);
  }
  const runDir = values.resume ?? values.out!;
  const cfg = trainer.cfg;
  out(`training ${cfg.model} (${cfg.algo}) on ${cfg.game}: ${cfg.agents} agents x ${cfg.envs} envs, ${cfg.steps.toLocaleString('en-US')} env steps, ` +
    `backend ${trainer.group.backend}${cfg.shareParams ? ', shared parameters' : ''}` +
    `${cfg.workers ? `, ${cfg.workers} workers x ${cfg.envs / cfg.workers} envs` : ''} -> ${runDir}`);

  const tty = Boolean(process.stdout.isTTY);
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    process.stdout.write(`${tty ? '\n' : ''}stopping: saving a checkpoint (Ctrl-C again to quit without it)\n`);
  };
  process.on('SIGINT', onSigint);
  const t0 = performance.now();
  let lastLine = 0;
  const line = (p: Progress) => {
    const pct = (100 * p.envSteps) / p.totalSteps;
    const rate = p.agentStepsPerS;
    const eta = rate > 0 ? ((p.totalSteps - p.envSteps) * cfg.agents) / rate : NaN;
    const ret = p.lastReturn === null ? 'n/a' : p.lastReturn.toFixed(1);
    return `${p.envSteps.toLocaleString('en-US')}/${p.totalSteps.toLocaleString('en-US')} env steps (${pct.toFixed(1)}%) | ` +
      `${Math.round(rate).toLocaleString('en-US')} agent-steps/s | ETA ${fmtDuration(eta)} | collective return ${ret}`;
  };
  // Test hook: COMMONS_FAULT=worker:throw|exit:update injects a fault into a worker after that update.
  const fault = /^(\d+):(throw|exit):(\d+)$/.exec(process.env.COMMONS_FAULT ?? '');
  try {
    const summary = await trainer.run({
      shouldStop: () => stopRequested,
      onProgress: (p) => {
        if (fault && p.updates === Number(fault[3]) && trainer.group instanceof WorkerGroup) {
          void trainer.group.fault(Number(fault[1]), fault[2] as 'throw' | 'exit');
        }
        if (tty) {
          const width = 24, filled = Math.round((width * p.envSteps) / p.totalSteps);
          process.stdout.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${line(p)}\x1b[K`);
        } else if (performance.now() - lastLine > 10_000) {
          lastLine = performance.now();
          out(line(p));
        }
      },
      onReport: (r: MetricsRow) => {
        if (!tty) out(`report: ${r.env_steps} env steps, episodes ${r.episodes}, collective return ${r.collective_return?.toFixed(2) ?? 'n/a'}, ` +
          `entropy ${r.entropy.toFixed(3)}, ${r.timing.agent_steps_per_s} agent-steps/s`);
      },
    });
    if (tty) process.stdout.write('\n');
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    if (summary.stopped) out(`stopped at ${summary.env_steps} env steps after ${secs} s; checkpoint ${summary.checkpoint}; continue with: commons train --resume ${runDir}`);
    else out(`done: ${summary.env_steps} env steps in ${secs} s; last collective return ${summary.last?.collective_return?.toFixed(2) ?? 'n/a'}; ` +
      `checkpoint ${summary.checkpoint}; ${runDir}/summary.json`);
  } catch (e) {
    if (tty) process.stdout.write('\n');
    if (e instanceof WorkerError) {
      throw new TrainingFailed(`${e.message}; the run stopped, its last checkpoint is intact (continue with: commons train --resume ${runDir})`);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    await trainer.close();
  }
}

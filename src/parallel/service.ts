// The worker side of ShardApi (./protocol.ts), the same in Node worker_threads and browser Web Workers:
// the entry files (worker-node.ts, src/web/worker.ts) only connect it to their endpoint.

import * as Comlink from 'comlink';
import { Shard } from '../learn/shard.ts';
import { Policy } from '../learn/policy/policy.ts';
import { Play } from '../learn/play.ts';
import { loadWeights } from '../learn/learner.ts';
import { modelOf } from '../learn/models/registry.ts';
import { InfluenceMeter } from '../learn/window.ts';
import { createInfluenceKernel } from '../core/influence.ts';
import { resolveTrainConfig, resolveStoredConfig, envSettings, type TrainConfig } from '../learn/config.ts';
import { readCheckpointFiles, checkCompatible, type CheckpointManifest } from '../learn/checkpoint-format.ts';
import { initBackend } from '../learn/tfjs/backend.ts';
import { createVecEnv, type VecEnv } from '../env/vec-env.ts';
import { gameInfo } from '../env/games.ts';
import { Rng } from '../util/rng.ts';
import { InputError } from '../util/errors.ts';
import { SharedExchange } from './exchange.ts';
import type { ShardApi, ShardEvent, Frame, PlayStep, WorkerInit, FaultKind } from './protocol.ts';
import type { ShardState } from '../learn/shard.ts';

const transferEvent = (e: ShardEvent): ShardEvent => (e.kind === 'gradient' ? Comlink.transfer(e, [e.grads.buffer]) : e);

/** A picture of env 0 of `env` and of `agent`'s current view. */
function frameOf(env: VecEnv, agent: number, cfg: TrainConfig): Frame {
  const N = cfg.agents;
  if (!Number.isInteger(agent) || agent < 0 || agent >= N) throw new InputError(`agent: expected an integer from 0 to ${N - 1}, got ${agent}`);
  const V = 2 * cfg.viewRadius + 1, S = V * V * 3;
  const world = env.renderWorld(0);
  const view = env.internals.views.obs.slice(agent * S, (agent + 1) * S);
  return Comlink.transfer({
    world: { width: env.spec.mapWidth, height: env.spec.mapHeight, rgb: world },
    agents: env.agents(0),
    view: { size: V, rgb: view, agent },
    episodeStep: env.internals.views.stepCount[0],
  }, [world.buffer, view.buffer]);
}

interface Playback { cfg: TrainConfig; play: Play; rng: Rng; returns: number[]; meter?: InfluenceMeter }

export class ShardService implements ShardApi {
  private shard?: Shard;
  /** Where the pending call's answer goes: the next gradient or the end of the update. */
  private answer?: { resolve: (e: ShardEvent) => void; reject: (e: unknown) => void };
  /** The learner waiting for its averaged gradient. */
  private waiting?: (mean: Float32Array) => void;
  private faultNext = false;
  private exitNext = false;
  private faultInExchange = false;
  private exchange?: SharedExchange;
  private resetStep = () => {};
  private play?: Playback;

  constructor(private readonly exit: () => void) {}

  private need(): Shard {
    if (!this.shard) throw new Error('worker: init() was not called');
    return this.shard;
  }

  async init(cfg: TrainConfig, index: number, count: number, opts: WorkerInit): Promise<{ backend: string; params: number }> {
    const shard = this.shard = await Shard.create(resolveTrainConfig(cfg), index, count, opts);
    // Through the trainer until share(): each gradient is an answer, the average comes back with reduce().
    let step = 0;
    if (count > 1) {
      shard.learner.reducer = {
        reduce: (grads) => new Promise<Float32Array>((resolve) => {
          this.waiting = resolve;
          this.answer!.resolve({ kind: 'gradient', step: step++, grads });
        }),
      };
    }
    this.resetStep = () => { step = 0; };
    return { backend: shard.backend, params: shard.learner.variables.reduce((n, v) => n + v.size, 0) };
  }

  share(buffer: SharedArrayBuffer): void {
    const shard = this.need();
    if (shard.count < 2) throw new Error('worker: one worker has nothing to exchange');
    const params = shard.learner.variables.reduce((n, v) => n + v.size, 0);
    this.exchange = new SharedExchange(buffer, shard.index, shard.count, params);
    this.exchange.onReduce = () => {
      if (!this.faultInExchange) return;
      this.exit();
      // Node's process.exit stops the thread at once; in a browser self.close() lets this task run on.
      throw new Error('injected fault (test hook): the worker left the exchange');
    };
    shard.learner.reducer = this.exchange;
  }

  exchangeTime() {
    return this.exchange ? { ...this.exchange.time } : null;
  }

  /** The answer to the current call: the next event of the update under way. */
  private next(): Promise<ShardEvent> {
    return new Promise<ShardEvent>((resolve, reject) => { this.answer = { resolve, reject }; }).then(transferEvent);
  }

  start(envSteps: number): Promise<ShardEvent> {
    const shard = this.need();
    if (this.faultNext) {
      this.faultNext = false;
      return Promise.reject(new Error('injected fault (test hook)'));
    }
    if (this.exitNext) {
      // the thread ends at the start of the update after the fault was asked for, whatever the load: the
      // fault's message arrives before this call's on the same port
      this.exit();
      return new Promise<ShardEvent>(() => {});
    }
    const answer = this.next();
    this.resetStep();
    shard.iterate(envSteps).then(
      (stats) => this.answer!.resolve({ kind: 'done', stats }),
      (e) => this.answer!.reject(e),
    );
    return answer;
  }

  reduce(mean: Float32Array): Promise<ShardEvent> {
    const waiting = this.waiting;
    if (!waiting) return Promise.reject(new Error('worker: reduce() called while no gradient is waiting'));
    this.waiting = undefined;
    const answer = this.next();
    waiting(mean);
    return answer;
  }

  takeWindow() {
    return this.need().takeWindow();
  }

  async saveState(): Promise<ShardState> {
    const s = await this.need().saveState();
    return Comlink.transfer(s, [s.env.buffer, ...s.tensors.map((t) => t.data.buffer)]);
  }

  async loadState(s: ShardState): Promise<void> {
    await this.need().loadState(s);
  }

  frame(agent: number): Frame {
    const shard = this.need();
    return frameOf(shard.env, agent, shard.cfg);
  }

  async loadPlayer(files: { name: string; bytes: Uint8Array }[], opts: WorkerInit & { seed?: number }): Promise<CheckpointManifest> {
    const ckpt = readCheckpointFiles(files, '');
    const m = ckpt.manifest;
    const cfg = resolveStoredConfig(m.config as Partial<TrainConfig>, { workers: 0 });
    checkCompatible(m, { game: cfg.game, agents: cfg.agents, model: cfg.model, shareParams: cfg.shareParams }, 'the checkpoint');
    await initBackend(cfg.backend === 'cpu' ? 'cpu' : 'wasm', opts);
    this.disposePlay();
    const env = await createVecEnv({ ...envSettings(cfg), numEnvs: 1, seed: opts.seed ?? 0 });
    const agents = new Policy(cfg, gameInfo(cfg.game).actionNames.length, 1, cfg.agents);
    loadWeights(agents, ckpt);
    const kernel = modelOf(cfg.model).measuresInfluence ? await createInfluenceKernel() : undefined;
    this.play = {
      cfg, play: new Play(env, agents, kernel), rng: new Rng(opts.seed ?? 0, 2), returns: new Array(cfg.agents).fill(0),
      meter: kernel ? new InfluenceMeter(cfg.agents) : undefined,
    };
    return m;
  }

  async playStep(n: number, agent: number): Promise<PlayStep> {
    const p = this.play;
    if (!p) throw new Error('worker: no checkpoint loaded for playback');
    if (!Number.isInteger(n) || n < 0 || n > 10_000) throw new InputError(`steps: expected an integer from 0 to 10000, got ${n}`);
    for (let k = 0; k < n; k++) {
      const r = await p.play.step(p.rng);
      p.meter?.add(p.play.ckj, 1);
      if (r.dones[0]) {
        p.returns.fill(0);
        p.meter?.reset();
        p.play.policy.resetState();
      } else {
        for (let i = 0; i < p.cfg.agents; i++) p.returns[i] += r.rewards[i];
      }
    }
    return { ...frameOf(p.play.env, agent, p.cfg), returns: [...p.returns], influence: p.meter?.steps ? p.meter.matrix() : null };
  }

  fault(kind: FaultKind): void {
    if (kind === 'exit') this.exitNext = true;
    else if (kind === 'exit-in-exchange') this.faultInExchange = true;
    else this.faultNext = true;
  }

  private disposePlay(): void {
    if (!this.play) return;
    this.play.play.policy.dispose();
    this.play.play.env.close();
    this.play = undefined;
  }

  dispose(): void {
    this.shard?.dispose();
    this.shard = undefined;
    this.disposePlay();
  }
}

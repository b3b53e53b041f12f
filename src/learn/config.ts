// Training configuration: every setting, its default and where the default comes from. One object per
// concern (cleanrl's Args): what to train (game, model, algo), the environment batch, the optimiser and
// each algorithm's own constants, and how the run is kept (reports, checkpoints, workers).
//
// FIELDS below is the one table of settings: each entry gives the default, the allowed values, the
// command-line flag, its help line, when the setting applies and what values are legal but suspicious.
// `resolveTrainConfig` (defaults and checks), `commons train` (flags, --config files, help) and the docs'
// flag table (checked by a test) are all made from it. The settings every model shares are CoreConfig
// (./settings.ts) with their entries here; a model's own settings and their entries live in its module
// (./models/), and apply to the models that declare them.

import { InputError } from '../util/errors.ts';
import { GAMES, gameInfo, perGameText, type GameName } from '../env/games.ts';
import { NET_FORMS, SECTIONS, type CoreConfig, type FieldSpec, type HostFacts, type PresetName, type Section } from './settings.ts';
import { MODELS, MODEL_LIST, MODEL_FIELDS, DECLARED_BY, modelOf, modelsWhere, type ModelName, type ModelSettings } from './models/registry.ts';
import { ALGOS, type AlgoName } from './algos/registry.ts';
import { presetSettings } from './presets.ts';
import { scheduleAt } from './schedule.ts';

export { MODELS, ALGOS, SECTIONS, type ModelName, type AlgoName, type FieldSpec, type HostFacts, type PresetName, type Section };
export const BACKENDS = ['wasm', 'webgpu', 'cpu'] as const;
export const DIVERGENCES = ['kl', 'js', 'pmi'] as const;

/** Every setting of a run: the shared ones (CoreConfig) and every model's own (ModelSettings). */
export type TrainConfig = Omit<CoreConfig, 'model' | 'algo'> & { model: ModelName; algo: AlgoName } & ModelSettings;

/** "--model a, b or c" */
const modelsText = (names: readonly string[]) => `--model ${names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names[0]}`;
/** Where a setting applies, by what the models can do (from the registry). */
const appliesTo = (names: readonly string[]) => ({ test: (c: { model: string }) => names.includes(c.model), text: modelsText(names) });
const INFLUENCE_REWARD = appliesTo(modelsWhere((m) => !!m.influenceReward));
const MEASURES_INFLUENCE = appliesTo(modelsWhere((m) => !!m.measuresInfluence));
const NET_FORM = appliesTo(modelsWhere((m) => !!m.netForms));
const PPO = { test: (c: CoreConfig) => c.algo === 'ppo', text: '--algo ppo' };
/** Each influence model's ablation (the same model without the influence reward), from the registry. */
const ABLATION: Record<string, string> = Object.fromEntries(MODEL_LIST.flatMap((m) => ('ablationOf' in m && m.ablationOf ? [[m.ablationOf, m.name]] : [])));
/** A model's default for a shared setting (ModelDef.defaults), when it gives one. */
const modelDefault = (model: string, key: string): unknown => (modelOf(model).defaults as Record<string, unknown> | undefined)?.[key];

const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : String(n));

type CoreFields = { [K in keyof CoreConfig]-?: FieldSpec<CoreConfig[K]> };

const CORE_FIELDS: CoreFields = {
  game: { kind: 'choice', values: GAMES, default: 'cleanup', flag: 'game', section: 'what', help: 'the game' },
  model: { kind: 'choice', values: MODELS, default: 'a2c', flag: 'model', section: 'what', help: 'the agents\' model (docs/training.md, Models)' },
  preset: {
    kind: 'choice', values: ['none', 'paper'], default: 'none', flag: 'preset', section: 'what',
    help: 'settings of a published experiment for --game and --model (commons presets); flags given beside it win',
  },
  algo: { kind: 'choice', values: ALGOS, default: 'a2c', flag: 'algo', section: 'what', help: 'the learning algorithm' },
  agents: {
    kind: 'int', min: 1, max: 255, default: (c) => gameInfo(c.game).defaultAgents, defaultText: perGameText('defaultAgents'),
    flag: 'agents', arg: 'N', section: 'what', help: 'agents per environment (at most the map\'s spawn points)',
  },
  envs: { kind: 'int', min: 1, max: 4096, default: 16, flag: 'envs', arg: 'N', section: 'what', help: 'environments stepped together' },
  steps: {
    kind: 'int', min: 1, default: 2e6, flag: 'steps', arg: 'N', section: 'what',
    help: 'environment steps over the whole batch (accepts 2e6); the run ends at the first update that reaches them',
    suspicious: (v, c) => (v < c.envs * c.rolloutSteps
      ? `less than one update (envs ${c.envs} x rollout ${c.rolloutSteps} = ${fmt(c.envs * c.rolloutSteps)} env steps): the run makes one update`
      : undefined),
  },
  seed: { kind: 'int', min: 0, default: 0, flag: 'seed', arg: 'N', section: 'what', help: 'seed of environments, initial weights and action sampling' },
  shareParams: { kind: 'bool', default: false, flag: 'share-params', section: 'what', help: 'one network for all agents, with an agent id input (not for influence models)' },
  episodeLength: {
    kind: 'int', min: 1, max: 1_000_000, default: (c) => gameInfo(c.game).episodeLength, defaultText: perGameText('episodeLength'),
    flag: 'episode-length', arg: 'N', section: 'env', help: 'steps per episode',
  },
  viewRadius: { kind: 'int', min: 1, max: 32, default: 7, flag: 'view-radius', arg: 'N', section: 'env', help: 'view radius: agents see (2r+1) x (2r+1) cells; the paper\'s 15x15 is 7' },
  tagTimeout: {
    kind: 'int', min: 0, max: 1_000_000, default: 0, flag: 'tag-timeout', arg: 'N', section: 'env',
    help: 'steps a FIRE hit removes an agent for; 0 keeps it in play (the SSD repo), so peace stays N',
  },
  map: { kind: 'map', default: undefined, defaultText: 'the game\'s', flag: 'map', arg: 'FILE', section: 'env', help: 'a text file of ASCII map rows replacing the game\'s map (docs/RULES.md characters)' },
  backend: { kind: 'choice', values: BACKENDS, default: 'wasm', flag: 'backend', section: 'run', help: 'tfjs backend' },
  gamma: {
    kind: 'num', min: 0, max: 1, default: 0.99, flag: 'gamma', arg: 'X', section: 'optim', help: 'discount factor',
    suspicious: (v) => (v < 0.9 ? `discounts rewards more than ~${Math.max(1, Math.round(1 / (1 - v)))} steps away to almost nothing; the paper uses 0.99` : undefined),
  },
  lr: {
    kind: 'num', min: 0, above: true, max: 1, default: (c) => (c.algo === 'ppo' ? 2.5e-4 : 7e-4), defaultText: '7e-4 (a2c), 2.5e-4 (ppo)',
    flag: 'lr', arg: 'X', section: 'optim', help: 'learning rate (RMSprop for a2c, Adam for ppo)',
    suspicious: (v) => (v > 0.01 ? 'high for RMSprop or Adam on this network (the defaults are 7e-4 and 2.5e-4): training is likely to diverge' : undefined),
  },
  lrEnd: {
    kind: 'num', min: 0, max: 1, default: (c) => c.lr, defaultText: '--lr (constant)', flag: 'lr-end', arg: 'X', section: 'optim',
    help: 'the learning rate anneals linearly from --lr to this over --lr-anneal-steps, then stays',
    suspicious: (v, c) => (v > c.lr ? `above --lr (${c.lr}): the learning rate rises during the run` : undefined),
  },
  lrAnnealSteps: {
    kind: 'int', min: 1, default: 2e7, flag: 'lr-anneal-steps', arg: 'N', section: 'optim',
    help: 'env steps over which the learning rate goes from --lr to --lr-end (the SSD repo: 2e7)',
  },
  entropyCoef: {
    kind: 'num', min: 0, default: 0.01, flag: 'entropy', arg: 'X', section: 'optim', help: 'entropy bonus weight',
    suspicious: (v) => (v > 0.1 ? 'an entropy bonus this large keeps the policies close to uniformly random' : undefined),
  },
  valueCoef: {
    kind: 'num', min: 0, default: 0.5, flag: 'value-coef', arg: 'X', section: 'optim', help: 'value loss weight',
    suspicious: (v) => (v === 0 ? 'the value head never learns, and advantages are measured against an untrained baseline' : undefined),
  },
  maxGradNorm: { kind: 'num', min: 0, above: true, default: 40, flag: 'max-grad-norm', arg: 'X', section: 'optim', help: 'clip each agent\'s gradients to this global norm' },
  rolloutSteps: {
    kind: 'int', min: 1, max: 100_000, default: (c) => (c.algo === 'ppo' ? 32 : 20), defaultText: '20 (a2c), 32 (ppo)',
    flag: 'rollout', arg: 'N', section: 'optim', help: 'steps per rollout, one update each (the LSTM\'s truncated backpropagation length)',
  },
  gaeLambda: { kind: 'num', min: 0, max: 1, default: 0.95, flag: 'gae-lambda', arg: 'X', section: 'ppo', appliesWhen: PPO, help: 'GAE lambda' },
  clip: { kind: 'num', min: 0, above: true, max: 10, default: 0.2, flag: 'clip', arg: 'X', section: 'ppo', appliesWhen: PPO, help: 'clipping range of the probability ratio' },
  epochs: { kind: 'int', min: 1, max: 1000, default: 4, flag: 'epochs', arg: 'N', section: 'ppo', appliesWhen: PPO, help: 'passes over each rollout' },
  minibatches: { kind: 'int', min: 1, max: 4096, default: 2, flag: 'minibatches', arg: 'N', section: 'ppo', appliesWhen: PPO, help: 'minibatches per pass, split by (agent, env) stream; must divide envs / workers' },
  netForm: {
    kind: 'choice', values: NET_FORMS, default: 'head', flag: 'net-form', section: 'models',
    help: 'where the influence models\' conditioning enters: the LSTM (paper, the paper\'s form) or the heads after it (head: a counterfactual re-runs only the heads)',
    appliesWhen: NET_FORM,
  },
  influenceBeta: {
    kind: 'num', min: 0, default: 1, flag: 'beta', arg: 'X', section: 'models', help: 'influence reward weight at the end of the curriculum',
    appliesWhen: INFLUENCE_REWARD,
    suspicious: (v, c) => (v === 0 ? `no influence reward: ${c.model} trains as its ablation ${ABLATION[c.model] ?? ''} does` : undefined),
  },
  extrinsicWeight: {
    kind: 'num', min: 0, default: 1, flag: 'alpha', arg: 'X', section: 'models',
    help: 'weight alpha of the game\'s reward in alpha * e + beta * c, for the stream the influence trains (model II: the messages)',
    appliesWhen: INFLUENCE_REWARD,
  },
  influenceStart: {
    kind: 'int', min: 0, default: (c) => Math.round(0.02 * c.steps), defaultText: '2% of --steps', flag: 'influence-start', arg: 'N', section: 'models',
    help: 'curriculum: beta is 0 before this env step, then ramps linearly',
    appliesWhen: INFLUENCE_REWARD,
  },
  influenceEnd: {
    kind: 'int', min: 0, default: (c) => Math.max(c.influenceStart, Math.round(0.2 * c.steps)), defaultText: '20% of --steps', flag: 'influence-end', arg: 'N', section: 'models',
    help: 'curriculum: ...reaching --beta at this env step',
    appliesWhen: INFLUENCE_REWARD,
  },
  influenceSchedule: {
    kind: 'schedule', default: (c) => [[c.influenceStart, 0], [c.influenceEnd, 1]], defaultText: 'START:0,END:1 (from --influence-start, --influence-end)',
    flag: 'beta-schedule', arg: 'STEP:X,...', section: 'models',
    help: 'the curriculum as points env-step:multiplier of --beta, linear between them, held after the last (e.g. 0:0,1e7:0,1e8:1,3e8:0.5)',
    appliesWhen: INFLUENCE_REWARD,
    suspicious: (v, c) => {
      const top = Math.max(...v.map((p) => p[1])), atEnd = scheduleAt(v, finalSteps(c));
      return c.influenceBeta > 0 && atEnd < top
        ? `the curriculum is unfinished at the run's end (${fmt(finalSteps(c))} env steps): beta reaches ${+(c.influenceBeta * atEnd).toPrecision(3)} of ${+(c.influenceBeta * top).toPrecision(3)}`
        : undefined;
    },
  },
  influenceClip: {
    kind: 'num', min: 0, default: 10, flag: 'influence-clip', arg: 'X', section: 'models', help: 'the influence reward c_k is clipped to [-X, X] (only PMI can be negative)',
    appliesWhen: INFLUENCE_REWARD,
    suspicious: (v, c) => (v === 0 ? `the influence reward is always 0: ${c.model} trains as its ablation ${ABLATION[c.model] ?? ''} does` : undefined),
  },
  divergence: {
    kind: 'choice', values: DIVERGENCES, default: 'kl', flag: 'divergence', section: 'models', help: 'divergence of the influence reward (pmi: at the action taken)',
    appliesWhen: MEASURES_INFLUENCE,
  },
  influenceVisibleOnly: {
    kind: 'bool', default: false, flag: 'influence-all', flagSets: false, section: 'models',
    defaultText: `off with ${modelsText(modelsWhere((m) => m.defaults?.influenceVisibleOnly === true))}; on otherwise`,
    help: 'reward influence on all agents, not only those the influencer sees at its action\'s step',
    appliesWhen: MEASURES_INFLUENCE,
  },
  /* the models' own settings go here (see FIELDS) */
  reportEvery: {
    kind: 'int', min: 1, default: (c) => c.envs * c.episodeLength, defaultText: 'envs x episode length', flag: 'report-every', arg: 'N', section: 'run',
    help: 'env steps between lines of metrics.jsonl',
    suspicious: (v, c) => (v > c.steps ? `more than --steps (${fmt(c.steps)}): the run writes no metrics line before its end` : undefined),
  },
  checkpointEvery: { kind: 'int', min: 1, default: 100_000, flag: 'checkpoint-every', arg: 'N', section: 'run', help: 'env steps between checkpoints (and one at the end)' },
  keep: { kind: 'int', min: 0, max: 1_000_000, default: 5, flag: 'keep', arg: 'K', section: 'run', help: 'keep the newest K checkpoints (and marked ones); 0 keeps all' },
  workers: {
    kind: 'int', min: 0, max: 64, default: 0, flag: 'workers', arg: 'W', section: 'run',
    help: 'worker threads to split the envs over (must divide --envs); 0 trains in this thread',
    suspicious: (v, _c, host) => (host.cores !== undefined && v > host.cores
      ? `more workers than the machine's ${host.cores} cores: they compete for the cores and wait for each other at every update, which slows the run down`
      : undefined),
  },
  name: { kind: 'string', default: '', flag: 'name', arg: 'TEXT', section: 'run', help: 'a name for the run (kept in config.json; no effect on training)' },
  tags: { kind: 'strings', default: [], defaultText: 'none', flag: 'tag', arg: 'TAG', section: 'run', help: 'a label for the run; repeat or separate with commas (kept in config.json)' },
};

/** Every setting's entry, in the order they resolve and show: the shared ones, with every model's own settings
 * (./models/) before the run's (they apply to the models that declare them). */
export const FIELDS = (() => {
  const keys = Object.keys(CORE_FIELDS), at = keys.indexOf('reportEvery');
  const own = Object.fromEntries(Object.entries(MODEL_FIELDS).map(([k, f]) => [k, { ...f, appliesWhen: appliesTo(DECLARED_BY[k]) }]));
  return Object.fromEntries([
    ...keys.slice(0, at).map((k) => [k, CORE_FIELDS[k as keyof CoreConfig]]), ...Object.entries(own), ...keys.slice(at).map((k) => [k, CORE_FIELDS[k as keyof CoreConfig]]),
  ]);
})() as unknown as { [K in keyof TrainConfig]-?: FieldSpec<TrainConfig[K], TrainConfig> };

/** The settings' defaults, where they do not depend on other settings. */
export const DEFAULTS = Object.fromEntries(
  Object.entries(FIELDS).filter(([, f]) => typeof f.default !== 'function' && f.default !== undefined).map(([k, f]) => [k, f.default]),
) as Partial<TrainConfig>;

/** The keys of TrainConfig, in the table's order. */
export const CONFIG_KEYS = Object.keys(FIELDS) as (keyof TrainConfig)[];

const describe = (v: unknown) => JSON.stringify(v) ?? String(v);

/** The allowed values of a setting, in words ("an integer from 1 to 255", "one of a2c, ppo"). */
export function allowedText(f: FieldSpec<unknown>): string {
  switch (f.kind) {
    case 'choice': return `one of ${f.values!.join(', ')}`;
    case 'bool': return 'true or false';
    case 'map': return 'an array of strings (map rows)';
    case 'string': return 'a string';
    case 'strings': return 'an array of strings';
    case 'schedule': return 'points [env step, value] with steps >= 0 in non-decreasing order (equal steps make a jump) and values >= 0 (on the command line STEP:X,STEP:X,...)';
    default: {
      const what = f.kind === 'int' ? 'an integer' : 'a number';
      const lo = f.above ? `> ${f.min}` : `>= ${f.min}`;
      if (f.max === undefined) return `${what} ${lo}`;
      return f.above ? `${what} > ${f.min} and <= ${f.max}` : `${what} from ${f.min} to ${f.max}`;
    }
  }
}

/** Throws InputError unless `v` is an allowed value of setting `key`; `label` names it in the message (the
 * field name, or the flag on the command line). */
export function checkField(key: keyof TrainConfig, v: unknown, label: string = key): void {
  const f = FIELDS[key] as FieldSpec<unknown>;
  const fail = () => { throw new InputError(`${label}: expected ${allowedText(f)}, got ${describe(v)}`); };
  switch (f.kind) {
    case 'map':
      if (v !== undefined && !(Array.isArray(v) && v.length > 0 && v.every((r) => typeof r === 'string'))) fail();
      return;
    case 'choice':
      if (!f.values!.includes(v as string)) throw new InputError(`${label}: unknown value ${describe(v)}; allowed values: ${f.values!.join(', ')}`);
      return;
    case 'bool':
      if (typeof v !== 'boolean') fail();
      return;
    case 'string':
      if (typeof v !== 'string') fail();
      return;
    case 'strings':
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) fail();
      return;
    case 'schedule': {
      const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
      if (!Array.isArray(v) || v.length === 0) fail();
      const pts = v as unknown[];
      for (let i = 0; i < pts.length; i++) {
        const p = pts[i];
        if (!Array.isArray(p) || p.length !== 2 || !num(p[0]) || !num(p[1])) fail();
        if (i > 0 && (p as number[])[0] < (pts[i - 1] as number[])[0]) fail();
      }
      return;
    }
    default: {
      const ok = typeof v === 'number' && Number.isFinite(v) && (f.kind === 'num' || Number.isInteger(v)) &&
        (f.above ? v > f.min! : v >= f.min!) && (f.max === undefined || v <= f.max);
      if (!ok) fail();
      // 1e300 is an integer to JavaScript, but not one it counts exactly: no count or step may be that large
      if (f.kind === 'int' && !Number.isSafeInteger(v)) {
        throw new InputError(`${label}: expected an integer below 2^53 (${Number.MAX_SAFE_INTEGER.toLocaleString('en-US')}), got ${describe(v)}`);
      }
    }
  }
}

/** Fills defaults and checks every field; throws InputError naming the field and its allowed values. */
export function resolveTrainConfig(partial: Partial<TrainConfig>): TrainConfig {
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) throw new InputError('config: expected an object of settings');
  for (const key of Object.keys(partial)) {
    if (!(key in FIELDS)) throw new InputError(`config: unknown setting '${key}'; settings: ${CONFIG_KEYS.join(', ')}`);
  }
  let defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<TrainConfig>;
  if (defined.preset !== undefined && defined.preset !== 'none') {
    checkField('preset', defined.preset);
    for (const key of ['game', 'model'] as const) if (defined[key] !== undefined) checkField(key, defined[key]);
    // The preset's values sit under the settings given beside it.
    defined = { ...presetSettings(defined.preset, defined.game ?? (FIELDS.game.default as GameName), defined.model ?? (FIELDS.model.default as ModelName)) as Partial<TrainConfig>, ...defined };
  }
  const c = {} as Record<string, unknown>;
  // In table order, so that a computed default sees the settings it depends on (lr sees algo; influenceEnd
  // sees influenceStart), checked before use.
  for (const key of CONFIG_KEYS) {
    const f = FIELDS[key] as FieldSpec<unknown>;
    const own = key in defined || c.model === undefined ? undefined : modelDefault(c.model as string, key);
    let v = key in defined ? defined[key] : own !== undefined ? own
      : typeof f.default === 'function' ? (f.default as (c: TrainConfig) => unknown)(c as unknown as TrainConfig) : f.default;
    if (Array.isArray(v)) v = v.map((x) => (Array.isArray(x) ? [...x] : x));
    // checked at once: a later default may read it (the model's defaults read the model)
    checkField(key, v);
    if (v !== undefined) c[key] = v;
  }
  return checkCombination(c as unknown as TrainConfig);
}

/** Settings added after runs began to store their configuration, with the value every run had before them:
 * a stored configuration without one ran that way (a run of the paper preset from before --net-form had the
 * head form), whatever a preset or default says now. */
const BEFORE_SETTING: Partial<TrainConfig> = { netForm: 'head' };

/** Resolves a configuration a run stored (config.json, a checkpoint's manifest) with `overrides` on top: as
 * resolveTrainConfig, but a setting the stored one lacks takes the value runs had before it existed. */
export function resolveStoredConfig(saved: Partial<TrainConfig>, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return resolveTrainConfig({ ...BEFORE_SETTING, ...saved, ...overrides });
}

/** Checks the settings against each other. */
function checkCombination(c: TrainConfig): TrainConfig {
  if (c.influenceEnd < c.influenceStart) throw new InputError(`influenceEnd: must be >= influenceStart (${c.influenceStart}), got ${c.influenceEnd}`);
  const m = modelOf(c.model);
  if (m.independentOnly && c.shareParams) {
    throw new InputError(`shareParams: model '${c.model}' needs each agent's own network; use independent learners (no --share-params)`);
  }
  const bad = m.check?.(c);
  if (bad) throw new InputError(`${bad[0]}: ${bad[1]}`);
  if (c.agents < (m.minAgents ?? 1)) {
    throw new InputError(`agents: model '${c.model}' needs at least ${m.minAgents} agents, got ${c.agents}`);
  }
  if (c.workers > 0 && c.envs % c.workers !== 0) {
    throw new InputError(`workers: each worker steps an equal share of the environments; workers must divide envs (${c.envs}), got ${c.workers}`);
  }
  const perWorker = c.workers > 0 ? c.envs / c.workers : c.envs;
  if (c.algo === 'ppo' && perWorker % c.minibatches !== 0) {
    throw new InputError(c.workers > 0
      ? `minibatches: PPO splits each worker's ${perWorker} environments into minibatches; minibatches must divide envs / workers (got ${c.minibatches})`
      : `minibatches: PPO splits the ${c.envs} environments into minibatches; minibatches must divide envs (got ${c.minibatches})`);
  }
  checkUpdateMemory(c);
  return c;
}

/** The most memory one update of one shard may need: the WASM backend (the default) holds an update's
 * tensors in a 32-bit address space of 4 GiB; the other backends are held to the same bound. */
export const UPDATE_MEMORY_LIMIT = 4 * 2 ** 30;

/**
 * About the memory one update of one shard needs (bytes): every agent-step of its rollout (envs / workers x
 * rolloutSteps x agents) is kept for the update with its view, its activations and their gradients. Measured
 * on the WASM backend (its heap after two updates, commons' networks): about 8 KB plus 27 bytes per byte of
 * the (2r+1)^2 x 3 view per agent-step, twice that for the models with a Model of Other Agents (BENCHMARKS.md,
 * "Memory of one update"). An estimate: it decides only what is refused up front.
 */
export function updateMemoryBytes(c: Pick<TrainConfig, 'envs' | 'workers' | 'rolloutSteps' | 'agents' | 'viewRadius' | 'model'>): number {
  const view = (2 * c.viewRadius + 1) ** 2 * 3;
  const samples = (c.envs / Math.max(1, c.workers)) * c.rolloutSteps * c.agents;
  return samples * (8192 + 27 * view) * (modelOf(c.model).moaMetrics ? 2 : 1);
}

/** Refuses sizes whose update cannot be allocated (UPDATE_MEMORY_LIMIT), saying what they would need. */
function checkUpdateMemory(c: TrainConfig): void {
  const need = updateMemoryBytes(c);
  if (need <= UPDATE_MEMORY_LIMIT) return;
  const gib = (b: number) => `${+(b / 2 ** 30).toPrecision(3)} GiB`;
  const side = 2 * c.viewRadius + 1;
  const shard = c.workers > 0 ? `each of ${c.workers} workers' ${c.envs / c.workers} envs` : `${c.envs} envs`;
  throw new InputError(`envs: ${shard} x ${c.rolloutSteps} rollout steps x ${c.agents} agents of ${side}x${side} views need about ` +
    `${gib(need)} for one update, more than the ${gib(UPDATE_MEMORY_LIMIT)} it may use (the WASM backend's memory); ` +
    'use fewer envs, a shorter rollout, or more workers (each holds envs / workers of it)');
}

/** Env steps per update: every environment steps a rollout. */
export const stepsPerUpdate = (c: Pick<TrainConfig, 'envs' | 'rolloutSteps'>) => c.envs * c.rolloutSteps;

/** Where a run of `c` ends: the first update boundary at or past c.steps. Updates come in whole rollouts of
 * every environment, so a budget that is not a multiple of envs x rolloutSteps ends just past it, and
 * every display (progress, ETA, summary) counts to this figure. */
export function finalSteps(c: Pick<TrainConfig, 'steps' | 'envs' | 'rolloutSteps'>): number {
  const per = stepsPerUpdate(c);
  return Math.ceil(c.steps / per) * per;
}

/**
 * Warnings for a resolved configuration: settings given (keys of `given`) that have no effect with this
 * model or algorithm, and values that are legal but almost surely a mistake. One line each, naming the
 * setting by `label` (the flag on the command line).
 */
export function configWarnings(given: Partial<TrainConfig>, c: TrainConfig, host: HostFacts = {},
  label: (key: keyof TrainConfig) => string = (k) => k): string[] {
  const out: string[] = [];
  // A value the preset set is not a default: say where it came from.
  const fromPreset = (c.preset !== 'none' ? presetSettings(c.preset, c.game, c.model) : {}) as Partial<TrainConfig>;
  for (const key of CONFIG_KEYS) {
    const f = FIELDS[key] as FieldSpec<unknown>;
    const isGiven = given[key] !== undefined;
    if (isGiven && f.appliesWhen && !f.appliesWhen.test(c)) {
      out.push(`${label(key)} has no effect here: it applies with ${f.appliesWhen.text} (this run: --model ${c.model}, --algo ${c.algo})`);
      continue;
    }
    if (f.appliesWhen && !f.appliesWhen.test(c)) continue;
    // Suspicious values are reported whether given or computed (a computed default can still be odd next to
    // a given setting, e.g. reportEvery beyond a short --steps).
    const why = f.suspicious?.(c[key], c, host);
    if (why) out.push(`${label(key)} ${describe(c[key])}${isGiven ? '' : fromPreset[key] !== undefined ? ` (--preset ${c.preset})` : ' (default)'}: ${why}`);
  }
  return out;
}

/** A run's environment settings, as createVecEnv takes them (the caller adds numEnvs, seed and firstEnv). */
export function envSettings(c: TrainConfig): { game: GameName; numAgents: number; map?: string[]; viewRadius: number; episodeLength: number; tagTimeout: number } {
  return { game: c.game, numAgents: c.agents, map: c.map, viewRadius: c.viewRadius, episodeLength: c.episodeLength, tagTimeout: c.tagTimeout };
}

// Presets: the settings of published experiments, by game and model. 'paper' is Jaques et al. 2019's
// supplementary Tables 1-3 (arXiv 1810.08647v4: the best hyper-parameters of every model in both games), the
// prosocial baseline's eta (10.5.2) and the paper's network form, with the decisions where the paper leaves a
// unit or meaning open written beside them (docs/training.md, "The paper's experiments", which also lists
// the values). A preset fills settings under the ones a user gives, so `--preset paper --steps 1e6` keeps the
// paper's values and changes only the budget.

import type { GameName } from '../env/games.ts';
import { InputError } from '../util/errors.ts';
import type { ModelName, ModelSettings } from './models/registry.ts';
import type { CoreConfig, PresetName } from './settings.ts';

/** Settings a preset may give. */
type Settings = Partial<CoreConfig & ModelSettings>;

/** The paper's curriculum C is given as 140, 40, 226, 1, 8 while the text says C in [0.2-3.5] x 10^8 steps: we
 * read C in millions of env steps (140 -> 1.4e8), which puts the three larger values inside the stated range
 * and matches the SSD repo's scripts (influence ramps over 1e8 steps). */
export const CURRICULUM_UNIT = 1e6;
/** The SSD repo anneals the learning rate over the first 2e7 env steps (lr_schedule [[0, init], [2e7, end]]). */
export const LR_ANNEAL_STEPS = 2e7;

/** One model's row of the paper's tables in one game. */
interface PaperRow {
  entropy: number;
  lrInit: number;
  lrEnd: number;
  /** The model's own settings (influence weight, curriculum, divergence, channel, MOA). */
  extra?: Settings;
}

const curriculum = (c: number, beta: number): Settings => ({
  influenceBeta: beta, influenceStart: 0, influenceEnd: c * CURRICULUM_UNIT, influenceSchedule: [[0, 0], [c * CURRICULUM_UNIT, 1]],
});

/** Model III: "train MOA only when visible" (Table 3: False for the MOA baseline, True for influence), and the SSD
 * repo's normalisation of the MOA loss (over all pairs, masked ones as 0), under which the paper's MOA loss weights
 * (1.3-15) were tuned. The paper's MOA form (the actions enter its LSTM) comes with the paper's net form. */
const MOA = (visibleOnly: boolean): Settings => ({ moaVisibleOnly: visibleOnly, moaLossNorm: 'all' });

/** Model II's channel (Table 2, one value per game for the comm baseline and influence comm alike): vocabulary,
 * comm embedding, comm entropy weight and comm loss weight. */
const COMM = (vocab: number, embedding: number, entropy: number, loss: number): Settings => ({
  vocab, commEmbedding: embedding, commEntropyCoef: entropy, commLossWeight: loss,
});

/** Table 1's, 2's and 3's A3C column (the same in all three tables). */
const A3C: Partial<Record<GameName, PaperRow>> = {
  cleanup: { entropy: 0.00176, lrInit: 0.00126, lrEnd: 0.000012 },
  harvest: { entropy: 0.000687, lrInit: 0.00136, lrEnd: 0.000028 },
};

/** Jaques et al. 2019, Tables 1-3, per game and model. Inequity aversion and the prosocial agents have no table in
 * the paper: they use the A3C learner's values with Hughes et al. 2018's alpha 5, beta 0.05 (the SSD repo's
 * defaults) and the paper's best eta, 0.85 (10.5.2). */
export const PAPER: Partial<Record<GameName, Record<ModelName, PaperRow>>> = {
  cleanup: {
    'a2c': A3C.cleanup!,
    'inequity-aversion': { ...A3C.cleanup!, extra: { iaAlpha: 5, iaBeta: 0.05 } },
    'prosocial': { ...A3C.cleanup!, extra: { prosocialEta: 0.85 } },
    // Table 1: visible actions / influence
    'visible-actions': { entropy: 0.00176, lrInit: 0.00126, lrEnd: 0.000012, extra: { influencers: 3, divergence: 'js' } },
    'influence': { entropy: 0.000248, lrInit: 0.00107, lrEnd: 0.000042, extra: { influencers: 1, ...curriculum(140, 0.146), divergence: 'js', influenceeReward: true } },
    // Table 2: comm baseline / influence comm
    'comm': { entropy: 0.000249, lrInit: 0.00223, lrEnd: 0.000022, extra: { ...COMM(9, 32, 0.000789, 0.0758), divergence: 'kl' } },
    'influence-comm': { entropy: 0.00305, lrInit: 0.00249, lrEnd: 0.0000127, extra: { ...COMM(9, 32, 0.000789, 0.0758), ...curriculum(1, 2.752), extrinsicWeight: 0, divergence: 'kl' } },
    // Table 3: MOA baseline / influence MOA
    'moa': { entropy: 0.00176, lrInit: 0.00123, lrEnd: 0.000012, extra: { moaLossWeight: 1.312, ...MOA(false), divergence: 'kl' } },
    'influence-moa': { entropy: 0.00176, lrInit: 0.00123, lrEnd: 0.000012, extra: { moaLossWeight: 15.007, ...MOA(true), ...curriculum(40, 0.620), divergence: 'kl' } },
  },
  harvest: {
    'a2c': A3C.harvest!,
    'inequity-aversion': { ...A3C.harvest!, extra: { iaAlpha: 5, iaBeta: 0.05 } },
    'prosocial': { ...A3C.harvest!, extra: { prosocialEta: 0.85 } },
    'visible-actions': { entropy: 0.00184, lrInit: 0.00215, lrEnd: 0.000013, extra: { influencers: 3, divergence: 'pmi' } },
    'influence': { entropy: 0.00025, lrInit: 0.00107, lrEnd: 0.000042, extra: { influencers: 3, ...curriculum(140, 0.224), divergence: 'pmi', influenceeReward: false } },
    'comm': { entropy: 0.000174, lrInit: 0.00137, lrEnd: 0.0000127, extra: { ...COMM(7, 16, 0.00208, 0.0709), divergence: 'kl' } },
    'influence-comm': { entropy: 0.00220, lrInit: 0.000413, lrEnd: 0.000049, extra: { ...COMM(7, 16, 0.00208, 0.0709), ...curriculum(8, 4.825), extrinsicWeight: 1, divergence: 'kl' } },
    'moa': { entropy: 0.00495, lrInit: 0.00206, lrEnd: 0.000022, extra: { moaLossWeight: 1.711, ...MOA(false), divergence: 'kl' } },
    'influence-moa': { entropy: 0.00223, lrInit: 0.00120, lrEnd: 0.000044, extra: { moaLossWeight: 10.911, ...MOA(true), ...curriculum(226, 2.521), divergence: 'kl' } },
  },
};

/** What every paper preset shares: the paper's agents, view, discount and learner (A3C, here synchronous A2C),
 * the paper's network form (the conditioning inputs enter the LSTM), the SSD repo's influence clip and
 * learning-rate annealing. */
const PAPER_COMMON: Settings = {
  agents: 5, viewRadius: 7, gamma: 0.99, algo: 'a2c', netForm: 'paper', influenceClip: 10, lrAnnealSteps: LR_ANNEAL_STEPS,
};

export const PRESETS: Record<Exclude<PresetName, 'none'>, { about: string }> = {
  paper: { about: 'Jaques et al. 2019, supplementary Tables 1-3: the best hyper-parameters of each model in each game' },
};

/** The settings preset `name` gives `model` in `game` (preset and game/model included). */
export function presetSettings(name: PresetName, game: GameName, model: ModelName): Settings {
  if (name === 'none') return {};
  const row = PAPER[game]?.[model];
  if (!row) throw new InputError(`preset: the paper gives no settings for ${game}; preset '${name}' covers ${Object.keys(PAPER).join(' and ')}`);
  return { ...PAPER_COMMON, preset: name, game, model, entropyCoef: row.entropy, lr: row.lrInit, lrEnd: row.lrEnd, ...row.extra };
}

/** Jaques et al. 2019, Table 4: final collective reward (best hyper-parameters, 5 seeds) per game and model. The
 * paper gives no numbers for visible-actions, comm and moa (figures only). */
export const PAPER_TABLE4: Partial<Record<GameName, Partial<Record<ModelName, number>>>> = {
  cleanup: { 'a2c': 89, 'inequity-aversion': 275, 'influence': 190, 'influence-comm': 166, 'influence-moa': 392 },
  harvest: { 'a2c': 485, 'inequity-aversion': 750, 'influence': 1073, 'influence-comm': 951, 'influence-moa': 588 },
};
/** The paper does not state its runs' length; its longest curriculum (C = 226, read as 2.26e8 env steps) is a
 * lower bound, and the SSD repo's scripts run 5e8. */
export const PAPER_BUDGET_AT_LEAST = 2.26e8;

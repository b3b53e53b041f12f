// commons presets: the presets of settings (`--preset NAME` of train, `preset` in sweep specs and the library)
// and, for one game and model, every value a preset sets.

import { PRESETS, PAPER, presetSettings } from '../learn/presets.ts';
import { FIELDS, MODELS, resolveTrainConfig, type ModelName, type PresetName, type TrainConfig } from '../learn/config.ts';
import { GAMES, type GameName } from '../env/games.ts';
import { parseCommand, str, UsageError, type CommandSpec } from './args.ts';
import { flagText } from './config-flags.ts';

export const PRESETS_COMMAND: CommandSpec = {
  name: 'presets',
  summary: 'list the presets of settings (the paper\'s Tables 1-3) and what one sets for a game and model',
  usage: ['presets [NAME] [--game cleanup|harvest] [--model M] [--json]'],
  about: `Without NAME, lists the presets. With NAME, prints the settings it gives every game and model (or the one
--game and --model given) as commons train --preset NAME --game G --model M uses them, written as train's
flags (a boolean as --flag or --no-flag), so that a line pastes onto commons train; flags given beside
--preset win over its values.`,
  positionals: true,
  flags: {
    game: { arg: GAMES.join('|'), help: 'only this game', default: 'every game a preset covers (the paper\'s: cleanup, harvest)' },
    model: { arg: 'M', help: 'only this model', default: 'all' },
    json: { type: 'boolean', help: 'print JSON: { preset: { game: { model: settings } } }' },
  },
};

export async function presetsCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(argv, PRESETS_COMMAND);
  const names = Object.keys(PRESETS) as Exclude<PresetName, 'none'>[];
  if (positionals.length > 1) throw new UsageError(`expected at most one preset name, got ${positionals.length}: ${positionals.join(' ')}`);
  const name = positionals[0] as Exclude<PresetName, 'none'> | undefined;
  if (name !== undefined && !names.includes(name)) throw new UsageError(`unknown preset '${name}'; presets: ${names.join(', ')}`);
  const game = str(values, 'game'), model = str(values, 'model');
  if (game !== undefined && !GAMES.includes(game as GameName)) throw new UsageError(`--game: unknown value '${game}'; allowed values: ${GAMES.join(', ')}`);
  if (model !== undefined && !MODELS.includes(model as ModelName)) throw new UsageError(`--model: unknown value '${model}'; allowed values: ${MODELS.join(', ')}`);
  // without --game, the games the presets cover (the paper gives no settings for Box trapped)
  const games = game ? [game as GameName] : GAMES.filter((g) => g in PAPER);
  const models = model ? [model as ModelName] : MODELS;
  const chosen = name ? [name] : names;
  if (values.json) {
    out(JSON.stringify(Object.fromEntries(chosen.map((p) => [p, Object.fromEntries(games.map((g) => [g,
      Object.fromEntries(models.map((m) => [m, presetSettings(p, g, m)]))]))]))));
    return;
  }
  if (!name) {
    for (const p of names) out(`${p.padEnd(8)}${PRESETS[p].about}`);
    out('commons presets NAME [--game G] [--model M] prints the values; commons train --preset NAME --game G --model M uses them.');
    return;
  }
  out(`${name}: ${PRESETS[name].about}`);
  for (const g of games) {
    for (const m of models) {
      const s = presetSettings(name, g, m);
      const c = resolveTrainConfig({ preset: name, game: g, model: m });
      // the values this model reads (a preset's shared values include some, like the influence clip, it ignores)
      const parts = (Object.keys(s) as (keyof TrainConfig)[])
        .filter((k) => !['preset', 'game', 'model', 'influenceStart', 'influenceEnd'].includes(k) && (FIELDS[k].appliesWhen?.test(c) ?? true))
        .map((k) => flagText(k, s[k]));
      out(`${g} ${m}: ${parts.join(' ')}`);
    }
  }
}

// The baseline (the paper's A3C agents, here A2C or PPO): every agent learns from its own reward in the game,
// with nothing added to the network. The generic policy is all it needs.

import { defineModel } from './model.ts';

export const a2c = defineModel({
  name: 'a2c',
  label: 'a2c: baseline',
  summary: 'the baseline: independent A3C/A2C agents, environment reward only',
  source: 'Jaques et al. 2019, baseline',
});

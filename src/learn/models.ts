// The models, in one table: what each needs from the policy (heads, a channel, Models of Other Agents),
// what influence it measures, and which reward terms it learns from. Everything else asks this table
// (config checks, the policy, the reward pipeline, the web app), so adding a model means one entry here
// and the code of whatever new part it needs.

/** How a model measures influence: not at all; centrally, through the influencees' policy heads (model I);
 * through the listeners' policy heads, for the symbols heard (model II); or with each agent's own Models of
 * Other Agents (model III). */
export type InfluenceKind = 'none' | 'centralised' | 'messages' | 'moa';

export interface ModelSpec {
  /** One line for help and docs. */
  readonly summary: string;
  /** Where it comes from. */
  readonly source: string;
  /** The paper model this one is the ablation of (no influence reward), if any. */
  readonly ablationOf?: string;
  /** Model I: the first `influencers` agents act first and the others' policy heads see their actions. */
  readonly conditionsOnInfluencers: boolean;
  /** Model II: agents emit a symbol every step and hear everyone's symbols of the previous step. */
  readonly communicates: boolean;
  /** Model III: every agent trains a Model of Other Agents. */
  readonly moa: boolean;
  /** The influence it measures (and, with influenceReward, is rewarded for). */
  readonly influence: InfluenceKind;
  /** Learns from beta * c_k beside the environment's reward (the influence reward). */
  readonly influenceReward: boolean;
  /** Learns from inequity-averse rewards (Hughes et al. 2018) instead of the environment's. */
  readonly inequityAversion: boolean;
  /** Needs each agent's own network (no --share-params). */
  readonly independentOnly: boolean;
  /** Fewest agents it works with. */
  readonly minAgents: number;
}

const base = {
  conditionsOnInfluencers: false, communicates: false, moa: false, influence: 'none', influenceReward: false,
  inequityAversion: false, independentOnly: false, minAgents: 1,
} as const;

export const MODEL_TABLE = {
  'a2c': { ...base, summary: 'the baseline: independent A3C/A2C agents, environment reward only', source: 'Jaques et al. 2019, baseline' },
  'inequity-aversion': {
    ...base, inequityAversion: true,
    summary: 'rewards shaped by inequity aversion (alpha, beta)', source: 'Hughes et al. 2018; Jaques et al. 2019 Table 4',
  },
  'visible-actions': {
    ...base, conditionsOnInfluencers: true, influence: 'centralised', independentOnly: true, minAgents: 2,
    summary: 'influencees see the influencers\' actions, no influence reward', source: 'Jaques et al. 2019, model I ablation', ablationOf: 'influence',
  },
  'influence': {
    ...base, conditionsOnInfluencers: true, influence: 'centralised', influenceReward: true, independentOnly: true, minAgents: 2,
    summary: 'model I: influencers rewarded for their causal influence, computed centrally', source: 'Jaques et al. 2019, Sec. 2.1',
  },
  'comm': {
    ...base, communicates: true, influence: 'messages', independentOnly: true, minAgents: 2,
    summary: 'a cheap-talk channel, no influence reward', source: 'Jaques et al. 2019, model II ablation', ablationOf: 'influence-comm',
  },
  'influence-comm': {
    ...base, communicates: true, influence: 'messages', influenceReward: true, independentOnly: true, minAgents: 2,
    summary: 'model II: messages rewarded for their influence on the listeners\' actions', source: 'Jaques et al. 2019, Sec. 2.2',
  },
  'moa': {
    ...base, moa: true, influence: 'moa', independentOnly: true, minAgents: 2,
    summary: 'Models of Other Agents trained beside the policy, no influence reward', source: 'Jaques et al. 2019, model III ablation', ablationOf: 'influence-moa',
  },
  'influence-moa': {
    ...base, moa: true, influence: 'moa', influenceReward: true, independentOnly: true, minAgents: 2,
    summary: 'model III: influence reward from each agent\'s own Model of Other Agents, fully decentralised', source: 'Jaques et al. 2019, Sec. 2.3',
  },
} as const satisfies Record<string, ModelSpec>;

export type ModelName = keyof typeof MODEL_TABLE;
export const MODELS = Object.keys(MODEL_TABLE) as ModelName[];

export const modelSpec = (name: ModelName): ModelSpec => MODEL_TABLE[name];

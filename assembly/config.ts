// Run-time configuration of one core instance, set once by `configure` (index.ts).
// Every instance steps B environments of N agents on one map; nothing here changes after configure.

/** Game id: the game's index in the table of games.ts. */
export let game: i32 = 0;
/** B: environments in the batch. */
export let numEnvs: i32 = 0;
/** N: agents per environment. */
export let numAgents: i32 = 0;
/** Map height (rows) and width (columns). */
export let mapH: i32 = 0;
export let mapW: i32 = 0;
/** Cells in the map, H*W. */
export let mapCells: i32 = 0;
/** View radius r; a view is (2r+1)x(2r+1). */
export let radius: i32 = 0;
/** View side, 2r+1. */
export let viewSide: i32 = 0;
/** Padded image size: the map with r cells of black on every side, so views never leave it. */
export let padH: i32 = 0;
export let padW: i32 = 0;
/** Steps per episode before the automatic reset. */
export let episodeLength: i32 = 0;
/** Steps an agent is removed for after a FIRE hit (docs/RULES.md [ours]); 0 keeps it in play. */
export let tagTimeout: i32 = 0;
/** Actions of the game (its Game.numActions). */
export let numActions: i32 = 0;
/** Whether configure has run. */
export let configured: bool = false;

export function setConfig(
  g: i32, b: i32, n: i32, h: i32, w: i32, r: i32, len: i32, tag: i32, actions: i32,
): void {
  game = g;
  numEnvs = b;
  numAgents = n;
  mapH = h;
  mapW = w;
  mapCells = h * w;
  radius = r;
  viewSide = 2 * r + 1;
  padH = h + 2 * r;
  padW = w + 2 * r;
  episodeLength = len;
  tagTimeout = tag;
  numActions = actions;
  configured = true;
}

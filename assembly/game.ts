// What a game gives the core: one rules file in games/ builds one Game from its own functions, and the
// table in games.ts lists them. The base stepper (env.ts) calls these hooks at fixed points of a step and
// never asks which game it plays; everything a game does beyond the shared mechanics of grid.ts (moves,
// eating, FIRE, CLEAN) is in its hooks.

export class Game {
  constructor(
    /** Actions of the game; the host's definition (src/env/games/NAME.ts) names them in this order. */
    readonly numActions: i32,
    /** Index of FIRE, the punishment beam, or -1 for a game without it. */
    readonly fireAction: i32,
    /** Index of CLEAN, the cleaning beam, or -1 for a game without it. */
    readonly cleanAction: i32,
    /** Lists the map's game cells (BASE_MAP is written): APPLE_POINTS and GAME_POINTS, and MAP_COUNTS[1..3]. */
    readonly scanMap: () => void,
    /** Sets every cell from BASE_MAP at reset. */
    readonly resetCells: () => void,
    /** Puts every agent on the map at reset (cells are set, the generator is loaded). */
    readonly placeAgents: () => void,
    /** The game's own actions of env b, after turns and before moves; a no-op for games without any. */
    readonly act: (b: i32) => void,
    /** The spawning phase (step 5 of docs/RULES.md); `scratch` holds at least H*W i32. */
    readonly spawn: (scratch: usize) => void,
    /** What WASTE_COUNT and the episode's second series record: Cleanup's waste cells, 0 elsewhere. */
    readonly countWaste: () => i32,
  ) {}
}

/** For games without actions of their own. */
export function noActions(b: i32): void {}

/** For games without waste. */
export function noWaste(): i32 { return 0; }

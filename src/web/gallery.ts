// The gallery's entries as the page shows them: each says its budget beside the paper's, what it shows
// ("Not yet cooperating" where it does not) and what `commons eval` measured. gallery/gallery.json is the
// data (its order is the page's order; the first entry plays when the page opens): see docs/web.md.

/** What `commons eval --run gallery/FILE --episodes N --seed S` measured (test/gallery.test.ts replays it). */
export interface GalleryEval {
  episodes: number;
  seed: number;
  collectiveReturns: number[];
  collectiveReturn: number;
  /** Total influence over agent pairs, nats per step; null for models without an influence measure. */
  influenceTotal: number | null;
  /** The paper's Table 4 figure for this game and model, when it gives one. */
  paperCollectiveReturn?: number;
}

/** An entry of gallery/gallery.json: trained agents shipped with the page (player checkpoints). */
export interface GalleryEntry {
  title: string;
  file: string;
  about?: string;
  game?: string;
  model?: string;
  /** Env steps trained. */
  envSteps?: number;
  /** Whether the agents cooperate; `shows` says how, or how they do not. */
  cooperating?: boolean;
  shows?: string;
  eval?: GalleryEval;
}

export interface GalleryIndex {
  /** The paper's budget per run, to set ours beside, and the games it is the budget of (all when absent). */
  paper?: { envSteps: number; budget: string; games?: string[] };
  entries: GalleryEntry[];
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** "0.22%": a share of the paper's budget, with two significant digits. */
export function budgetShare(envSteps: number, paperEnvSteps: number): string {
  return `${+((100 * envSteps) / paperEnvSteps).toPrecision(2)}%`;
}

/** Whether the paper's budget is the budget of this entry's game. */
const paperBudgetOf = (e: GalleryEntry, index: GalleryIndex) => index.paper !== undefined && (!index.paper.games || (e.game !== undefined && index.paper.games.includes(e.game)));

/** The sentence above the list: our budget beside the paper's. */
export function galleryIntro(index: GalleryIndex): string {
  const steps = [...new Set(index.entries.filter((e) => paperBudgetOf(e, index)).map((e) => e.envSteps).filter((n): n is number => typeof n === 'number'))];
  if (!index.paper || steps.length === 0) return '';
  const ours = steps.length === 1 ? `${int(steps[0])} env steps each` : `${int(Math.min(...steps))} to ${int(Math.max(...steps))} env steps`;
  return `These agents trained for ${ours}: ${budgetShare(Math.max(...steps), index.paper.envSteps)} of the paper's budget, which is ` +
    `${index.paper.budget}. Expect less cooperation than the paper reports; each entry says what its agents do.`;
}

/** The budget, eval and paper figures of an entry in one line. */
export function entryFigures(e: GalleryEntry, index: GalleryIndex): string {
  const parts: string[] = [];
  if (e.envSteps !== undefined) {
    parts.push(`Budget: ${int(e.envSteps)} env steps${paperBudgetOf(e, index) ? `, ${budgetShare(e.envSteps, index.paper!.envSteps)} of the paper's`
      : index.paper ? ' (the paper states no budget for this game)' : ''}.`);
  }
  const ev = e.eval;
  if (ev) {
    const lo = Math.min(...ev.collectiveReturns), hi = Math.max(...ev.collectiveReturns);
    parts.push(`commons eval, ${ev.episodes} episode${ev.episodes === 1 ? '' : 's'}: collective return ${+ev.collectiveReturn.toFixed(1)} (${lo} to ${hi})` +
      (ev.paperCollectiveReturn !== undefined ? `; the paper's Table 4: ${ev.paperCollectiveReturn}` : '') +
      (ev.influenceTotal !== null ? `; influence ${+ev.influenceTotal.toPrecision(2)} nats per step in all` : '') + '.');
  }
  if (e.about) parts.push(e.about.endsWith('.') ? e.about : `${e.about}.`);
  return parts.join(' ');
}

/** One entry: its button (the title), what it shows, and its figures. */
export function galleryItem(e: GalleryEntry, index: GalleryIndex): { li: HTMLLIElement; button: HTMLButtonElement } {
  const li = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = e.title;
  button.dataset.file = e.file;
  button.setAttribute('aria-pressed', 'false');
  const text = document.createElement('div');
  text.className = 'entry';
  if (e.shows) {
    const shows = document.createElement('p');
    shows.className = `shows ${e.cooperating ? 'cooperating' : 'not-cooperating'}`;
    // The verdict ("Not yet cooperating", "Partly cooperating") before the first colon, in bold.
    const at = e.shows.indexOf(':');
    if (at > 0 && at < 60) shows.append(Object.assign(document.createElement('strong'), { textContent: e.shows.slice(0, at + 1) }), e.shows.slice(at + 1));
    else shows.textContent = e.shows;
    text.append(shows);
  }
  const figures = document.createElement('p');
  figures.className = 'hint';
  figures.textContent = entryFigures(e, index);
  text.append(figures);
  button.setAttribute('aria-describedby', (text.id = `gallery-${e.file.replace(/\W+/g, '-')}`));
  li.append(button, text);
  return { li, button };
}

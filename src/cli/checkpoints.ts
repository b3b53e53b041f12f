// commons checkpoints: what a run directory holds (each checkpoint's steps, size, whether it is marked to
// keep, whether it loads), and marking checkpoints so that pruning (--keep) never deletes them.

import { join } from 'node:path';
import { existsSync } from 'node:fs';
import {
  listCheckpoints, latestId, markedCheckpoints, markCheckpoint, checkpointBytes, loadCheckpoint,
} from '../hosting/checkpoint.ts';
import { readRunConfig, takeRunLease } from '../hosting/run-dir.ts';
import { InputError } from '../util/errors.ts';
import { parseCommand, str, UsageError, type CommandSpec } from './args.ts';
import { exportCheckpointArchive } from '../hosting/checkpoint.ts';
import { packArchive, playerCheckpoint } from '../learn/checkpoint-format.ts';
import { writeFileSync } from 'node:fs';
import { ensureFileDir } from '../util/node-paths.ts';

export const CHECKPOINTS: CommandSpec = {
  name: 'checkpoints',
  summary: 'list a run\'s checkpoints; mark some to keep (pruning by --keep spares them)',
  usage: ['checkpoints RUN [--mark step-...] [--unmark step-...] [--verify] [--clean] [--json]',
    'checkpoints RUN --export FILE.tar [--checkpoint step-...] [--player]'],
  about: `A run keeps its newest --keep checkpoints (default 5), the one latest.json names and every marked one; older
ones are deleted after each save. --verify loads every checkpoint and checks its SHA-256 digests.
--export writes one checkpoint as a single archive (what the web app downloads; train --resume FILE.tar
--out DIR continues it); with --player, only the weights the policy plays with, in half precision: a file
about a quarter of the size for eval, render and the web app's player, which cannot be resumed.`,
  positionals: true,
  flags: {
    mark: { arg: 'ID', multiple: true, help: 'keep this checkpoint whatever --keep says (repeatable; "latest" for the newest)' },
    unmark: { arg: 'ID', multiple: true, help: 'let pruning delete this checkpoint again (repeatable)' },
    verify: { type: 'boolean', help: 'load every checkpoint and say whether it is intact' },
    clean: { type: 'boolean', help: 'remove what interrupted saves left behind (.tmp-* directories)' },
    json: { type: 'boolean', help: 'print JSON' },
    export: { arg: 'FILE.tar', help: 'write a checkpoint (default: the latest) as one archive' },
    checkpoint: { arg: 'ID', help: 'the checkpoint --export writes', default: 'the latest' },
    player: { type: 'boolean', help: 'with --export: the policy\'s weights only, float16 (for playing, not resuming)' },
  },
};

export async function checkpointsCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(argv, CHECKPOINTS);
  if (positionals.length !== 1) throw new UsageError(`expected one run directory, got ${positionals.length}: commons checkpoints runs/NAME`);
  const run = positionals[0];
  const cfg = readRunConfig(run, 'checkpoints');
  if (!existsSync(join(run, 'checkpoints'))) throw new InputError(`checkpoints: ${run} has no checkpoints yet`);
  const latest = latestId(run);
  const target = str(values, 'export');
  if (values.player && !target) throw new UsageError('--player goes with --export FILE.tar');
  if (target) {
    const id = str(values, 'checkpoint');
    const bytes = values.player ? packArchive(playerCheckpoint(loadCheckpoint(run, id)).files) : exportCheckpointArchive(run, id);
    ensureFileDir('--export', target);
    writeFileSync(target, bytes);
    out(`wrote ${target} (${bytes.length.toLocaleString('en-US')} bytes${values.player ? ', weights only, float16' : ''})`);
    return;
  }
  const resolveId = (id: string) => (id === 'latest' ? latest ?? id : id);
  const marks = (values.mark as string[] | undefined) ?? [];
  const unmarks = (values.unmark as string[] | undefined) ?? [];
  if (marks.length || unmarks.length || values.clean) {
    // These write into the run: one writer at a time, so not while a trainer holds it (its lease).
    const { lease, cleaned } = takeRunLease(run, 'checkpoints');
    try {
      for (const id of marks) {
        lease.check();
        markCheckpoint(run, resolveId(id), true);
        if (!values.json) out(`marked ${resolveId(id)}: kept whatever --keep says`);
      }
      for (const id of unmarks) {
        lease.check();
        markCheckpoint(run, resolveId(id), false);
        if (!values.json) out(`unmarked ${resolveId(id)}`);
      }
      // taking the lease removed what earlier writers left half-written
      if (values.clean && !values.json) out(cleaned.length ? `removed ${cleaned.join(', ')}` : 'nothing to clean');
    } finally {
      lease.release();
    }
  }
  const marked = new Set(markedCheckpoints(run));
  const rows = listCheckpoints(run).map((id) => {
    let intact: boolean | null = null, problem: string | null = null;
    if (values.verify) {
      try {
        loadCheckpoint(run, id);
        intact = true;
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        intact = false;
        problem = e.message.replace(/^checkpoint: /, '');
      }
    }
    return { id, env_steps: Number(id.slice(5)), bytes: checkpointBytes(run, id), latest: id === latest, marked: marked.has(id), intact, problem };
  });
  if (values.json) {
    out(JSON.stringify({ run, keep: cfg.keep, checkpoints: rows }));
    return;
  }
  const total = rows.reduce((a, r) => a + r.bytes, 0);
  out(`${run}: ${rows.length} checkpoint${rows.length === 1 ? '' : 's'}, ${(total / 2 ** 20).toFixed(1)} MiB; keeps the newest ${cfg.keep || 'all'}${cfg.keep ? ' and marked ones' : ''}`);
  for (const r of rows) {
    const notes = [r.latest ? 'latest' : '', r.marked ? 'marked' : '', r.intact === true ? 'intact' : '', r.intact === false ? `CORRUPT: ${r.problem}` : ''].filter(Boolean);
    out(`  ${r.id}  ${r.env_steps.toLocaleString('en-US').padStart(14)} env steps  ${(r.bytes / 2 ** 20).toFixed(1).padStart(7)} MiB${notes.length ? `  ${notes.join(', ')}` : ''}`);
  }
}

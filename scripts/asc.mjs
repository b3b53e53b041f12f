// Runs the AssemblyScript compiler for scripts/build-core.mjs and passes its output on, less one line:
// with --converge (optimise until the module stops shrinking), binaryen prints "Last converge was
// suboptimal." when its final round did not improve the module; asc then keeps the better result, so the
// line reports nothing wrong, yet it reads like an error as the first line of `npm run build`.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const asc = createRequire(import.meta.url).resolve('assemblyscript/bin/asc.js');

/** The lines of asc's output worth showing. */
export function ascMessages(text) {
  return text.split('\n').filter((l) => l.trim() !== '' && l.trim() !== 'Last converge was suboptimal.').join('\n');
}

/** Compiles with asc (`args` as on its command line) in `cwd`; returns what it printed, filtered, and its raw
 * output; throws with the output if it fails. */
export function runAsc(args, cwd) {
  const r = spawnSync(process.execPath, [asc, ...args], { cwd, encoding: 'utf8' });
  const raw = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`asc ${args.join(' ')} failed (status ${r.status}):\n${raw}`);
  return { messages: ascMessages(raw), raw };
}

// The README's main job: a short default training run (Cleanup, 5 agents, A2C) with a progress bar,
// ending with its learning-curve plot. Writes runs/demo-N (the first N not taken).
// Usage: node scripts/demo.mjs [extra commons train flags]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
let n = 1;
while (existsSync(join(root, 'runs', `demo-${n}`))) n++;
const run = join('runs', `demo-${n}`);
const steps = process.env.DEMO_STEPS ?? '160000';
const run1 = (args) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run1(['train', '--game', 'cleanup', '--model', 'a2c', '--agents', '5', '--envs', '16', '--steps', steps, '--seed', '0', '--out', run, ...process.argv.slice(2)]);
run1(['plot', run, '--out', join(run, 'curves.png')]);
console.log(`next: node dist/cli.js eval --run ${run} --episodes 4   |   node dist/cli.js render --run ${run} --out ${run}/play.gif`);

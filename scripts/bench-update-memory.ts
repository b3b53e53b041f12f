// npm run bench:update-memory: the memory one update needs, measured, beside the estimate that decides which
// sizes `commons train` refuses up front (updateMemoryBytes in src/learn/config.ts). Each configuration
// runs in a process of its own for two updates on the WASM backend; the WASM heap only grows, so its size
// afterwards is the update's peak. Prints one JSON line per configuration.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CONFIGS: { envs: number; rolloutSteps: number; viewRadius: number; model: string }[] = [
  { envs: 16, rolloutSteps: 20, viewRadius: 7, model: 'a2c' },
  { envs: 64, rolloutSteps: 50, viewRadius: 7, model: 'a2c' },
  { envs: 128, rolloutSteps: 50, viewRadius: 7, model: 'a2c' },
  { envs: 64, rolloutSteps: 50, viewRadius: 2, model: 'a2c' },
  { envs: 128, rolloutSteps: 50, viewRadius: 2, model: 'a2c' },
  { envs: 64, rolloutSteps: 50, viewRadius: 7, model: 'influence-moa' },
  { envs: 64, rolloutSteps: 50, viewRadius: 7, model: 'influence-comm' },
];

if (process.argv[2] === '--one') {
  const tf = await import('@tensorflow/tfjs-core');
  const { Trainer } = await import('../src/learn/trainer.ts');
  const { updateMemoryBytes } = await import('../src/learn/config.ts');
  const c = JSON.parse(process.argv[3]);
  const t = await Trainer.start({ game: 'cleanup', ...c, steps: 1e9 });
  for (let i = 0; i < 2; i++) await t.iterate();
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.length ?? 0;
  const est = updateMemoryBytes(t.cfg);
  const samples = c.envs * c.rolloutSteps * t.cfg.agents;
  const mib = (b: number) => +(b / 2 ** 20).toFixed(1);
  console.log(JSON.stringify({ ...c, agents: t.cfg.agents, agent_steps: samples, wasm_heap_mib: mib(heap), estimate_mib: mib(est), estimate_over_measured: +(est / heap).toFixed(2), bytes_per_agent_step: Math.round(heap / samples) }));
  await t.close();
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
for (const c of CONFIGS) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--one', JSON.stringify(c)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(r.stdout);
}

// The learner on tfjs's WebGPU backend in Node, through the `webgpu` package (Dawn) on a software
// Vulkan device (SwiftShader, shipped with Debian's chromium): every update's losses and gradient norm
// agree with the wasm backend's to float32 rounding. This checks the composed ops the GPU runs (batched
// matMuls, the conv per network, the unrolled LSTM, counterfactual heads, the MOA, the message head, PPO's
// minibatches), not speed: scripts/bench-gpu.sh measures a real GPU.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const FIXTURE = fileURLToPath(new URL('./fixtures/train-updates.ts', import.meta.url));

function skip(): string | false {
  if (!existsSync(ICD)) return `no software Vulkan at ${ICD} (apt-get install chromium)`;
  try {
    createRequire(import.meta.url).resolve('webgpu');
  } catch {
    return "the optional dependency 'webgpu' is not installed";
  }
  return false;
}

interface Stats { policyLoss: number; valueLoss: number; entropy: number; gradNorm: number; moaLoss?: number }

function train(backend: string, model: string, algo: string): { backend: string; rows: Stats[] } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', FIXTURE, backend, model, algo, '3'], {
    env: { ...process.env, LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: ICD }, encoding: 'utf8', timeout: 300_000,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

for (const [model, algo] of [['influence-moa', 'a2c'], ['influence-comm', 'ppo']]) {
  test(`${model} (${algo}) on WebGPU in Node matches wasm update by update`, { skip: skip(), timeout: 600_000 }, (t) => {
    const wasm = train('wasm', model, algo);
    const gpu = train('webgpu', model, algo);
    assert.equal(wasm.backend, 'wasm');
    assert.equal(gpu.backend, 'webgpu');
    let worst = 0;
    wasm.rows.forEach((w, k) => {
      const g = gpu.rows[k];
      for (const f of ['policyLoss', 'valueLoss', 'entropy', 'gradNorm', 'moaLoss'] as const) {
        if (w[f] === undefined) continue;
        const d = Math.abs(w[f]! - g[f]!) / Math.max(1, Math.abs(w[f]!));
        assert.ok(Number.isFinite(g[f]!) && d <= 1e-3, `update ${k} ${f}: wasm ${w[f]}, webgpu ${g[f]}`);
        worst = Math.max(worst, d);
      }
    });
    t.diagnostic(`3 updates; largest difference ${worst.toExponential(1)}`);
  });
}

// Return and advantage targets for a rollout, time-major: index t * B + b is step t of stream b
// (a stream is one agent in one environment). `dones[t*B+b] = 1` when step t ended stream b's episode;
// nothing is bootstrapped across it. `bootstrap[b]` is the value estimate after the last step.

/**
 * n-step returns as in A3C (Mnih et al. 2016, Algorithm S3): R_t = r_t + gamma * R_{t+1}, starting from
 * the bootstrap value, cut at episode ends. Returns [T*B].
 */
export function nStepReturns(rewards: Float32Array, dones: Uint8Array, bootstrap: Float32Array, T: number, B: number, gamma: number): Float32Array {
  const out = new Float32Array(T * B);
  for (let b = 0; b < B; b++) {
    let R = bootstrap[b];
    for (let t = T - 1; t >= 0; t--) {
      const k = t * B + b;
      if (dones[k]) R = 0;
      R = rewards[k] + gamma * R;
      out[k] = R;
    }
  }
  return out;
}

/**
 * Generalised advantage estimation (Schulman et al. 2016): delta_t = r_t + gamma V_{t+1} - V_t,
 * A_t = delta_t + gamma lambda A_{t+1}, cut at episode ends; returns are A_t + V_t. Returns both [T*B].
 */
export function gae(rewards: Float32Array, values: Float32Array, dones: Uint8Array, bootstrap: Float32Array,
  T: number, B: number, gamma: number, lambda: number): { advantages: Float32Array; returns: Float32Array } {
  const advantages = new Float32Array(T * B);
  const returns = new Float32Array(T * B);
  for (let b = 0; b < B; b++) {
    let next = bootstrap[b];
    let A = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = t * B + b;
      const live = dones[k] ? 0 : 1;
      const delta = rewards[k] + gamma * next * live - values[k];
      A = delta + gamma * lambda * live * A;
      advantages[k] = A;
      returns[k] = A + values[k];
      next = values[k];
    }
  }
  return { advantages, returns };
}

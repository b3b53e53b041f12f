// Optimiser steps over one variable's buffer, elementwise (so a stacked [G, ...] variable steps as G
// independent optimisers): RMSprop (tfjs's, momentum 0) and Adam (tfjs's, with the running powers of the
// betas given). Outputs go to new buffers; the caller swaps them in.

// @ts-ignore: decorator
@inline const F4: usize = 4;

/** ms' = decay ms + (1 - decay) g^2;  w' = w - lr g / sqrt(ms' + eps) */
export function rmsprop(n: i32, w: usize, g: usize, ms: usize, lr: f32, decay: f32, eps: f32, outW: usize, outMs: usize): void {
  const d = f32x4.splat(decay), d1 = f32x4.splat(<f32>1 - decay), l = f32x4.splat(lr), e = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * F4;
    const gv = v128.load(g + o);
    const m = f32x4.add(f32x4.mul(d, v128.load(ms + o)), f32x4.mul(d1, f32x4.mul(gv, gv)));
    v128.store(outMs + o, m);
    v128.store(outW + o, f32x4.sub(v128.load(w + o), f32x4.div(f32x4.mul(l, gv), f32x4.sqrt(f32x4.add(m, e)))));
  }
  for (; i < n; i++) {
    const o = <usize>i * F4;
    const gv = load<f32>(g + o);
    const m = decay * load<f32>(ms + o) + (<f32>1 - decay) * (gv * gv);
    store<f32>(outMs + o, m);
    store<f32>(outW + o, load<f32>(w + o) - (lr * gv) / Mathf.sqrt(m + eps));
  }
}

/** m' = b1 m + (1 - b1) g;  v' = b2 v + (1 - b2) g^2;  w' = w - lr (m' / (1 - p1)) / (sqrt(v' / (1 - p2)) + eps),
 * p1 and p2 the betas' running powers after this step. */
export function adam(n: i32, w: usize, g: usize, m: usize, v: usize, lr: f32, b1: f32, b2: f32, eps: f32, p1: f32, p2: f32,
  outW: usize, outM: usize, outV: usize): void {
  const B1 = f32x4.splat(b1), B1c = f32x4.splat(<f32>1 - b1), B2 = f32x4.splat(b2), B2c = f32x4.splat(<f32>1 - b2);
  const c1 = f32x4.splat(<f32>1 - p1), c2 = f32x4.splat(<f32>1 - p2), l = f32x4.splat(lr), e = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * F4;
    const gv = v128.load(g + o);
    const mv = f32x4.add(f32x4.mul(B1, v128.load(m + o)), f32x4.mul(B1c, gv));
    const vv = f32x4.add(f32x4.mul(B2, v128.load(v + o)), f32x4.mul(B2c, f32x4.mul(gv, gv)));
    v128.store(outM + o, mv);
    v128.store(outV + o, vv);
    const step = f32x4.div(f32x4.div(mv, c1), f32x4.add(f32x4.sqrt(f32x4.div(vv, c2)), e));
    v128.store(outW + o, f32x4.sub(v128.load(w + o), f32x4.mul(l, step)));
  }
  for (; i < n; i++) {
    const o = <usize>i * F4;
    const gv = load<f32>(g + o);
    const mv = b1 * load<f32>(m + o) + (<f32>1 - b1) * gv;
    const vv = b2 * load<f32>(v + o) + (<f32>1 - b2) * (gv * gv);
    store<f32>(outM + o, mv);
    store<f32>(outV + o, vv);
    store<f32>(outW + o, load<f32>(w + o) - lr * ((mv / (<f32>1 - p1)) / (Mathf.sqrt(vv / (<f32>1 - p2)) + eps)));
  }
}

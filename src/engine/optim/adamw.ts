/**
 * AdamW exactly as torch.optim.AdamW: decoupled weight decay p ← p·(1 − lr·wd), then the Adam
 * step with bias correction, optional AMSGrad and maximize.
 */
import { InputError } from "../../errors.js";
import type { TensorMap } from "./groups.js";
import { type BaseHyper, bufferOf, Optimizer, type OptimizerOptions, type ParamState } from "./optimizer.js";

export interface AdamWHyper extends BaseHyper {
  betas: [number, number];
  eps: number;
  amsgrad: boolean;
  maximize: boolean;
}

/** torch.optim.AdamW's defaults. */
export const ADAMW_DEFAULTS: Readonly<AdamWHyper> = {
  lr: 1e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 1e-2,
  amsgrad: false,
  maximize: false,
};

export class AdamW extends Optimizer<AdamWHyper> {
  readonly kind = "adamw";

  constructor(params: TensorMap, options: OptimizerOptions<AdamWHyper> = {}) {
    super(params, { ...ADAMW_DEFAULTS, betas: [...ADAMW_DEFAULTS.betas] }, options);
  }

  protected validate(h: AdamWHyper, source: string): void {
    const [b1, b2] = h.betas ?? [];
    if (!(h.lr >= 0)) throw new InputError(`invalid learning rate ${h.lr}`, source);
    if (!(h.eps >= 0)) throw new InputError(`invalid eps ${h.eps}`, source);
    if (!(b1! >= 0 && b1! < 1 && b2! >= 0 && b2! < 1))
      throw new InputError(`invalid betas ${JSON.stringify(h.betas)}`, source);
    if (!(h.weightDecay >= 0)) throw new InputError(`invalid weight decay ${h.weightDecay}`, source);
  }

  protected bufferNames(h: AdamWHyper): string[] {
    return h.amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"];
  }

  protected update(p: Float32Array, g: Float32Array, s: ParamState, h: AdamWHyper): void {
    const n = p.length;
    const m = bufferOf(s, "exp_avg", n);
    const v = bufferOf(s, "exp_avg_sq", n);
    const vmax = h.amsgrad ? bufferOf(s, "max_exp_avg_sq", n) : undefined;
    const [b1, b2] = h.betas;
    const c1 = 1 - b1;
    const c2 = 1 - b2;
    const decay = 1 - h.lr * h.weightDecay;
    const stepSize = h.lr / (1 - b1 ** s.step);
    // torch divides sqrt(v) by sqrt(1 − β2^t); multiplying by the inverse differs by < 1 ulp of a double.
    const invBc2Sqrt = 1 / Math.sqrt(1 - b2 ** s.step);
    const sign = h.maximize ? -1 : 1;
    const { eps } = h;
    // Moments are rounded to Float32 before use (Math.fround), as torch's in-place updates store them.
    if (vmax) {
      for (let i = 0; i < n; i++) {
        const gi = sign * g[i]!;
        const mi = Math.fround(b1 * m[i]! + c1 * gi);
        const vi = Math.fround(b2 * v[i]! + c2 * gi * gi);
        m[i] = mi;
        v[i] = vi;
        const top = Math.max(vi, vmax[i]!); // propagates NaN like torch.maximum
        vmax[i] = top;
        p[i] = p[i]! * decay - (stepSize * mi) / (Math.sqrt(top) * invBc2Sqrt + eps);
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      const gi = sign * g[i]!;
      const mi = Math.fround(b1 * m[i]! + c1 * gi);
      const vi = Math.fround(b2 * v[i]! + c2 * gi * gi);
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) * invBc2Sqrt + eps);
    }
  }
}

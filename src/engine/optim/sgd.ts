/**
 * SGD as torch.optim.SGD: L2 weight decay added to the gradient, momentum with dampening
 * (the buffer starts as the first gradient, undampened), Nesterov, maximize.
 */
import { InputError } from "../../errors.js";
import type { TensorMap } from "./groups.js";
import { type BaseHyper, bufferOf, Optimizer, type OptimizerOptions, type ParamState } from "./optimizer.js";

export interface SGDHyper extends BaseHyper {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  maximize: boolean;
}

/** torch.optim.SGD's defaults (torch requires lr; 1e-3 is its current default). */
export const SGD_DEFAULTS: Readonly<SGDHyper> = {
  lr: 1e-3,
  momentum: 0,
  dampening: 0,
  weightDecay: 0,
  nesterov: false,
  maximize: false,
};

export class SGD extends Optimizer<SGDHyper> {
  readonly kind = "sgd";

  constructor(params: TensorMap, options: OptimizerOptions<SGDHyper> = {}) {
    super(params, { ...SGD_DEFAULTS }, options);
  }

  protected validate(h: SGDHyper, source: string): void {
    if (!(h.lr >= 0)) throw new InputError(`invalid learning rate ${h.lr}`, source);
    if (!(h.momentum >= 0)) throw new InputError(`invalid momentum ${h.momentum}`, source);
    if (!(h.weightDecay >= 0)) throw new InputError(`invalid weight decay ${h.weightDecay}`, source);
    if (!Number.isFinite(h.dampening)) throw new InputError(`invalid dampening ${h.dampening}`, source);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new InputError("Nesterov momentum requires a momentum and zero dampening", source);
    }
  }

  protected bufferNames(h: SGDHyper): string[] {
    return h.momentum !== 0 ? ["momentum_buffer"] : [];
  }

  protected update(p: Float32Array, g: Float32Array, s: ParamState, h: SGDHyper): void {
    const n = p.length;
    const { lr, momentum, weightDecay: wd, nesterov } = h;
    const keep = 1 - h.dampening;
    const sign = h.maximize ? -1 : 1;
    if (momentum === 0) {
      for (let i = 0; i < n; i++) p[i] = p[i]! - lr * (sign * g[i]! + wd * p[i]!);
      return;
    }
    const first = s.buffers.momentum_buffer === undefined;
    const buf = bufferOf(s, "momentum_buffer", n);
    // torch starts the buffer as the first (decayed) gradient itself, without dampening.
    const mu = first ? 0 : momentum;
    const k = first ? 1 : keep;
    const ahead = nesterov ? momentum : 0;
    for (let i = 0; i < n; i++) {
      const d = sign * g[i]! + wd * p[i]!;
      const b = Math.fround(mu * buf[i]! + k * d);
      buf[i] = b;
      p[i] = p[i]! - lr * (nesterov ? d + ahead * b : b);
    }
  }
}

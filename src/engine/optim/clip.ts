/**
 * Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: the norm of all
 * gradients together; if it exceeds `maxNorm`, every gradient is scaled in place by
 * maxNorm / (norm + 1e-6).
 */
import type { TensorMap } from "./groups.js";

export interface ClipOptions {
  /** p of the p-norm (default 2; `Infinity` for the max norm). */
  normType?: number;
  /** Throw when the norm is NaN or infinite instead of scaling by it (torch's error_if_nonfinite). */
  errorIfNonfinite?: boolean;
}

/** Returns the total norm before clipping. Sums are accumulated in Float64. */
export function clipGradNorm(
  grads: TensorMap | readonly Float32Array[],
  maxNorm: number,
  opts: ClipOptions = {},
): number {
  const { normType = 2, errorIfNonfinite = false } = opts;
  if (!(normType > 0)) throw new RangeError(`clipGradNorm: normType must be > 0, got ${normType}`);
  const list = grads instanceof Map ? [...grads.values()] : grads;
  let total = 0;
  if (normType === Number.POSITIVE_INFINITY) {
    for (const g of list) for (let i = 0; i < g.length; i++) total = Math.max(total, Math.abs(g[i]!));
    // Math.max drops NaN comparisons the wrong way round; propagate NaN as torch does.
    for (const g of list) for (let i = 0; i < g.length; i++) if (Number.isNaN(g[i]!)) total = Number.NaN;
  } else {
    // torch takes the norm of per-tensor norms; summing |x|^p over all values is the same number.
    let acc = 0;
    if (normType === 2) {
      for (const g of list) for (let i = 0; i < g.length; i++) acc += g[i]! * g[i]!;
      total = Math.sqrt(acc);
    } else {
      for (const g of list) for (let i = 0; i < g.length; i++) acc += Math.abs(g[i]!) ** normType;
      total = acc ** (1 / normType);
    }
  }
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new RangeError(`clipGradNorm: the total norm of order ${normType} is non-finite (${total})`);
  }
  const coef = maxNorm / (total + 1e-6);
  // torch multiplies by min(coef, 1) unconditionally; skipping the ×1 pass changes no value.
  if (coef < 1 || Number.isNaN(coef)) {
    for (const g of list) for (let i = 0; i < g.length; i++) g[i] = g[i]! * coef;
  }
  return total;
}

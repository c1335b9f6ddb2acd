/**
 * Learning-rate schedules. A schedule is a pure function from the step index (0 for the first
 * update) to a factor that multiplies each group's initial lr, like torch's LambdaLR, so one
 * schedule serves groups with different rates. The optimizer evaluates it before every step.
 */

export type Schedule = (step: number) => number;

/** The same factor at every step. */
export function constantSchedule(factor = 1): Schedule {
  return () => factor;
}

/** torch.optim.lr_scheduler.StepLR: multiply by `gamma` every `stepSize` steps. */
export function stepSchedule(opts: { stepSize: number; gamma?: number }): Schedule {
  const { stepSize, gamma = 0.1 } = opts;
  if (!(stepSize >= 1)) throw new RangeError(`stepSchedule: stepSize must be ≥ 1, got ${stepSize}`);
  return (step) => gamma ** Math.floor(step / stepSize);
}

export interface WarmupCosineOptions {
  /** Steps of linear warmup from 0 (step 0 has factor 0, as in transformers). */
  warmupSteps: number;
  /** Step at which the cosine reaches `minFactor`; it stays there afterwards. */
  totalSteps: number;
  /** Final factor, as a fraction of the initial lr (transformers' `min_lr_rate`); default 0. */
  minFactor?: number;
}

/**
 * Linear warmup then half-cosine decay to `minFactor`, as transformers'
 * `get_cosine_with_min_lr_schedule_with_warmup` (one half-cycle), except that the factor is held
 * at `minFactor` after `totalSteps` instead of rising again.
 */
export function warmupCosineSchedule(opts: WarmupCosineOptions): Schedule {
  const { warmupSteps, totalSteps, minFactor = 0 } = opts;
  if (!(warmupSteps >= 0 && totalSteps >= warmupSteps)) {
    throw new RangeError(
      `warmupCosineSchedule: need 0 ≤ warmupSteps ≤ totalSteps, got ${warmupSteps}, ${totalSteps}`,
    );
  }
  return (step) => {
    if (step < warmupSteps) return step / Math.max(1, warmupSteps);
    const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}

/** Linear warmup from 0 over `warmupSteps`, then constant (transformers' constant-with-warmup). */
export function warmupConstantSchedule(opts: { warmupSteps: number }): Schedule {
  const { warmupSteps } = opts;
  return (step) => (step < warmupSteps ? step / Math.max(1, warmupSteps) : 1);
}

/**
 * Linear warmup from 0, then linear decay to `minFactor` at `totalSteps`, held afterwards
 * (transformers' `get_linear_schedule_with_warmup` when `minFactor` is 0).
 */
export function warmupLinearSchedule(opts: WarmupCosineOptions): Schedule {
  const { warmupSteps, totalSteps, minFactor = 0 } = opts;
  if (!(warmupSteps >= 0 && totalSteps >= warmupSteps)) {
    throw new RangeError(
      `warmupLinearSchedule: need 0 ≤ warmupSteps ≤ totalSteps, got ${warmupSteps}, ${totalSteps}`,
    );
  }
  return (step) => {
    if (step < warmupSteps) return step / Math.max(1, warmupSteps);
    const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return minFactor + (1 - minFactor) * (1 - progress);
  };
}

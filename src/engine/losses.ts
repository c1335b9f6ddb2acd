// Losses as compositions of standard ops (autodiff goes through their parts). Each returns the
// mean over all elements (or over the batch where noted) as a scalar of shape [].
import type { Value } from "./ir/graph.js";
import { abs, add, exp, log, mul, pow, relu, sigmoid, sub } from "./ops/elementwise.js";
import { logSoftmax } from "./ops/norm.js";
import { reduceMean, reduceSum } from "./ops/reduce.js";

/** Elementwise binary cross-entropy with logits, in the stable form max(x,0) − x·t + log(1 + e^−|x|). */
function bceTerms(logits: Value, targets: Value): Value {
  return add(sub(relu(logits), mul(logits, targets)), log(add(exp(mul(abs(logits), -1)), 1)));
}

export function bceWithLogits(logits: Value, targets: Value): Value {
  return reduceMean(bceTerms(logits, targets));
}

/** Sigmoid focal loss (Lin et al.): α_t · (1 − p_t)^γ · BCE. */
export function focalLoss(
  logits: Value,
  targets: Value,
  opts: { gamma?: number; alpha?: number } = {},
): Value {
  const gamma = opts.gamma ?? 2;
  const alpha = opts.alpha ?? 0.25;
  const p = sigmoid(logits);
  const pt = add(mul(p, targets), mul(sub(1, p), sub(1, targets)));
  let loss = mul(bceTerms(logits, targets), pow(sub(1, pt), gamma));
  if (alpha >= 0) loss = mul(loss, add(mul(targets, alpha), mul(sub(1, targets), 1 - alpha)));
  return reduceMean(loss);
}

/** Softmax cross-entropy against target probabilities (one-hot or soft) along `axis`; mean over the rest. */
export function softmaxCrossEntropy(logits: Value, targets: Value, axis = -1): Value {
  return mul(reduceMean(reduceSum(mul(targets, logSoftmax(logits, axis)), [axis])), -1);
}

/**
 * Soft Dice loss 1 − (2·Σp·t + ε)/(Σp + Σt + ε), summed over `axes` (default: all but the first
 * two, i.e. spatial axes of (N, C, …)) and averaged over the rest.
 */
export function diceLoss(probs: Value, targets: Value, opts: { axes?: number[]; eps?: number } = {}): Value {
  const axes = opts.axes ?? probs.shape.map((_, i) => i).filter((i) => i >= 2);
  const eps = opts.eps ?? 1;
  const inter = reduceSum(mul(probs, targets), axes);
  const denom = add(add(reduceSum(probs, axes), reduceSum(targets, axes)), eps);
  return sub(1, reduceMean(mul(add(mul(inter, 2), eps), pow(denom, -1))));
}

export function mse(pred: Value, target: Value): Value {
  const d = sub(pred, target);
  return reduceMean(mul(d, d));
}

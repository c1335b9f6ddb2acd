/**
 * Multi-label classification losses for training, as graph ops: focal (default) or BCE with
 * logits, optional per-finding positive weights, and missing labels masked out.
 *
 * The engine's `focalLoss`/`bceWithLogits` reduce to a mean over every element, so a mask cannot
 * be put between the elementwise terms and the mean; the terms are rebuilt here from the same
 * standard ops and reduced as Σ mask·w·term / Σ mask (the mean over labelled entries).
 */
import {
  abs,
  add,
  cast,
  exp,
  less,
  log,
  mul,
  pow,
  reduceSum,
  relu,
  sigmoid,
  sub,
  type Value,
} from "../engine/index.js";

export interface LossOptions {
  kind: "focal" | "bce";
  /** Focal exponent γ (focal only). */
  gamma: number;
  /** Focal class balance α for positives, 1 − α for negatives; negative disables it (focal only). */
  alpha: number;
  /**
   * Per-finding weight of positive entries (torch's BCEWithLogitsLoss `pos_weight`): a positive
   * entry's term is multiplied by posWeight[f], a negative one's by 1. Undefined: all 1.
   */
  posWeight?: Float32Array;
}

/**
 * The loss of `logits` [B, F] against `targets` [B, F] (0/1; masked entries may hold anything
 * finite) with `mask` [B, F] (1 = labelled, 0 = missing). Entries with mask 0 contribute neither
 * to the value nor to any gradient; a batch without any labelled entry has loss 0.
 */
export function multiLabelLoss(logits: Value, targets: Value, mask: Value, opts: LossOptions): Value {
  // Stable BCE with logits: max(x,0) − x·t + log(1 + e^−|x|).
  let terms = add(sub(relu(logits), mul(logits, targets)), log(add(exp(mul(abs(logits), -1)), 1)));
  if (opts.kind === "focal") {
    const p = sigmoid(logits);
    const pt = add(mul(p, targets), mul(sub(1, p), sub(1, targets)));
    terms = mul(terms, pow(sub(1, pt), opts.gamma));
    if (opts.alpha >= 0)
      terms = mul(terms, add(mul(targets, opts.alpha), mul(sub(1, targets), 1 - opts.alpha)));
  }
  if (opts.posWeight) {
    const f = logits.shape[logits.rank - 1]!;
    if (opts.posWeight.length !== f)
      throw new RangeError(`loss: posWeight has ${opts.posWeight.length} values for ${f} findings`);
    // w = 1 + (pw − 1)·t: pw on positives, 1 on negatives.
    const pwm1 = logits.graph.constant(
      Float32Array.from(opts.posWeight, (w) => w - 1),
      [f],
    );
    terms = mul(terms, add(mul(targets, pwm1), 1));
  }
  const count = reduceSum(mask);
  // An all-missing batch divides by 1 instead of 0 (its numerator is 0 anyway).
  const denom = add(count, cast(less(count, 0.5), "float32"));
  return mul(reduceSum(mul(terms, mask)), pow(denom, -1));
}

/**
 * Splits labels with NaN for "missing" into finite targets (missing → 0) and a 0/1 mask, the two
 * graph inputs `multiLabelLoss` needs (NaN must not reach the graph: NaN·0 is NaN).
 */
export function splitLabels(labels: Float32Array): {
  targets: Float32Array;
  mask: Float32Array;
  labelled: number;
} {
  const targets = new Float32Array(labels.length);
  const mask = new Float32Array(labels.length);
  let labelled = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (Number.isNaN(y)) continue;
    targets[i] = y;
    mask[i] = 1;
    labelled++;
  }
  return { targets, mask, labelled };
}

/**
 * Positive weights from training prevalence: n_neg / n_pos per finding over labelled entries of
 * `labels` [N, F], clamped to [1/max, max]; 1 for a finding without positives or negatives.
 */
export function posWeightFromLabels(labels: Float32Array, findings: number, max = 100): Float32Array {
  const pos = new Float64Array(findings);
  const neg = new Float64Array(findings);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y === 1) pos[i % findings]!++;
    else if (y === 0) neg[i % findings]!++;
  }
  return Float32Array.from(pos, (p, f) => {
    const n = neg[f]!;
    if (p === 0 || n === 0) return 1;
    return Math.min(max, Math.max(1 / max, n / p));
  });
}

/**
 * Auxiliary pixel supervision (METHODS.md §2): a light decoder on each slice's patch tokens
 * predicts the slice's mask (e.g. the phantom's hemorrhage mask) while the classifier trains, so
 * the adapter learns where findings are, not only whether. Training only: the classifier's
 * outputs never depend on it.
 *
 *   patch tokens [N, P, D] ─LayerNorm→ Linear(D, 1) → [N, 1, gh, gw] ─bilinear→ [N, H, W] logits
 *   loss = weight · Σ_b w_b (BCE_b + Dice_b)   (per scan over its slices; w_b = present_b / Σ present)
 */
import {
  abs,
  add,
  exp,
  log,
  mul,
  pow,
  reduceMean,
  reduceSum,
  relu,
  reshape,
  resize,
  sigmoid,
  slice,
  sub,
  type Value,
} from "../../engine/index.js";
import { LayerNorm } from "../../nn/layers/layernorm.js";
import { Linear } from "../../nn/layers/linear.js";
import { type BuildContext, Module } from "../../nn/module.js";

export class AuxDecoder extends Module {
  /**
   * @param dim the backbone's token width D
   * @param patch the backbone's patch size [ph, pw]: patch tokens are the last gh·gw tokens
   *   (after CLS and register tokens), gh = ⌊H/ph⌋, gw = ⌊W/pw⌋
   */
  constructor(
    readonly dim: number,
    readonly patch: readonly [number, number],
  ) {
    super();
    this.addModule("norm", new LayerNorm(dim, 1e-6));
    this.addModule("proj", new Linear(dim, 1));
  }

  /** Mask logits [N, H, W] of N images of size [H, W] from their tokens [N, T, D]. */
  logits(ctx: BuildContext, tokens: Value, size: readonly [number, number]): Value {
    const [n, t] = tokens.shape as [number, number, number];
    const [h, w] = size;
    const gh = Math.floor(h / this.patch[0]);
    const gw = Math.floor(w / this.patch[1]);
    const prefix = t - gh * gw;
    if (prefix < 0)
      throw new Error(`AuxDecoder: ${t} tokens cannot hold a ${gh}×${gw} patch grid of a ${h}×${w} image`);
    const patches = prefix > 0 ? slice(tokens, [prefix], [t], [1]) : tokens;
    const z = this.getModule("proj").forward(ctx, this.getModule("norm").forward(ctx, patches)); // [N, P, 1]
    const grid = reshape(z, [n, 1, gh, gw]);
    // Bilinear with half-pixel centres: each patch's logit sits at its patch's centre.
    const up = gh === h && gw === w ? grid : resize(grid, [n, 1, h, w], { mode: "linear" });
    return reshape(up, [n, h, w]);
  }

  forward(_ctx: BuildContext, _tokens: Value): Value {
    throw new Error("AuxDecoder: call logits(ctx, tokens, [H, W]) (the image size is needed)");
  }
}

/** Elementwise BCE with logits, stable: max(x, 0) − x·t + log(1 + e^−|x|). */
function bceTerms(x: Value, t: Value): Value {
  return add(sub(relu(x), mul(x, t)), log(add(exp(mul(abs(x), -1)), 1)));
}

/**
 * Σ_b w_b · (BCE_b + Dice_b) for mask logits and targets [B, …] (every axis after the first is one
 * scan's pixels: its slices × H × W): BCE_b the mean BCE over the scan's pixels, Dice_b =
 * 1 − (2·Σ p·t + 1)/(Σ p + Σ t + 1) with p = sigmoid(logits) (soft Dice, smoothing 1, so a scan
 * without foreground asks for p → 0). `weights` [B] chooses and scales the scans (0 for a scan
 * without a mask).
 */
export function auxMaskLoss(logits: Value, targets: Value, weights: Value): Value {
  const axes = logits.shape.map((_, i) => i).slice(1);
  const bce = reduceMean(bceTerms(logits, targets), axes); // [B]
  const p = sigmoid(logits);
  const inter = reduceSum(mul(p, targets), axes);
  const denom = add(add(reduceSum(p, axes), reduceSum(targets, axes)), 1);
  const dice = sub(1, mul(add(mul(inter, 2), 1), pow(denom, -1))); // [B]
  return reduceSum(mul(add(bce, dice), weights));
}

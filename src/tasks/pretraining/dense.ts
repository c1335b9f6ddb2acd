/**
 * Dense label pretraining of a DINOv2-layout backbone: every patch token of the last layer
 * predicts, through one linear layer, the class of each of its p × p pixels in a label map (an
 * anatomy parcellation, say), trained with softmax cross-entropy over all pixels. This is how
 * CT foundation encoders are often made from segmentation corpora (supervised dense
 * pretraining): the tokens learn what tissue sits where. The CLS token's last-layer output is
 * what classifiers use as the slice embedding (HF pooler_output), yet no pixel prediction reads
 * it, so it gets its own target: the slice's label composition (the fraction of pixels of each
 * class) through a second linear layer, with a soft cross-entropy — the tissue volumes that
 * findings like atrophy, hydrocephalus or a hematoma change. The backbone is a child module;
 * `saveBackbone(dense.backbone, dir)` writes an ordinary Hugging Face DINOv2 folder.
 */
import { add, reshape, slice, softmaxCrossEntropy, type Value } from "../../engine/index.js";
import { Linear } from "../../nn/layers/linear.js";
import { type BuildContext, Module } from "../../nn/module.js";
import type { Dinov2Model } from "../../nn/nets/dinov2.js";
import { patchTargets } from "./mae.js";

export class DenseLabels extends Module {
  readonly patches: number;
  readonly patchSize: number;
  readonly channels: number;
  readonly imageSize: number;

  constructor(
    readonly backbone: Dinov2Model,
    readonly classes: number,
  ) {
    super();
    if (!(Number.isInteger(classes) && classes >= 2))
      throw new RangeError(`dense labels: need at least 2 classes, got ${classes}`);
    const c = backbone.config;
    const grid = Math.floor(c.image_size / c.patch_size);
    this.patches = grid * grid;
    this.patchSize = c.patch_size;
    this.channels = c.num_channels;
    this.imageSize = c.image_size;
    this.addModule("backbone", backbone);
    this.addModule("decoder_pred", new Linear(c.hidden_size, this.patchSize * this.patchSize * classes));
    this.addModule("decoder_cls", new Linear(c.hidden_size, classes));
  }

  /**
   * Class logits of every pixel [B, T·p·p, K] in `labelTargets`' pixel order, and of the slice's
   * composition from the CLS token [B, K].
   */
  logits(ctx: BuildContext, pixels: Value): { pixels: Value; composition: Value } {
    const out = this.backbone.embed(ctx, pixels); // last hidden state [B, 1 + T, D], CLS first
    const b = out.lastHiddenState.shape[0] as number;
    const patches = slice(out.lastHiddenState, [1], [this.patches + 1], [1]);
    const pred = this.getModule("decoder_pred").forward(ctx, patches);
    return {
      pixels: reshape(pred, [b, this.patches * this.patchSize * this.patchSize, this.classes]),
      composition: this.getModule("decoder_cls").forward(ctx, out.poolerOutput),
    };
  }

  /**
   * Mean per-pixel cross-entropy plus the composition's soft cross-entropy; `target` one-hot
   * [B, T·p·p, K] from `labelTargets`, `composition` [B, K] from `labelComposition`.
   */
  forward(ctx: BuildContext, pixels: Value, target: Value, composition: Value): Value {
    const l = this.logits(ctx, pixels);
    return add(softmaxCrossEntropy(l.pixels, target), softmaxCrossEntropy(l.composition, composition));
  }
}

/**
 * One-hot targets [B, T·p·p, K] from integer label maps [B, H, W]: patches in row-major grid
 * order, pixels row-major within a patch (MAE's patchify order, which `logits` follows).
 * A label outside 0..K−1 is an error naming the image.
 */
export function labelTargets(
  labels: Float32Array,
  shape: readonly [number, number, number],
  patch: number,
  classes: number,
): Float32Array {
  const [b, h, w] = shape;
  const onehot = new Float32Array(b * classes * h * w);
  for (let i = 0; i < b; i++)
    for (let q = 0; q < h * w; q++) {
      const k = labels[i * h * w + q] as number;
      if (!(Number.isInteger(k) && k >= 0 && k < classes))
        throw new RangeError(`label map ${i}: label ${k} is not an integer in 0..${classes - 1}`);
      onehot[(i * classes + k) * h * w + q] = 1;
    }
  return patchTargets(onehot, [b, classes, h, w], patch, false);
}

/** The fraction of pixels of each class per label map [B, H, W] → [B, K] (rows sum to 1). */
export function labelComposition(
  labels: Float32Array,
  shape: readonly [number, number, number],
  classes: number,
): Float32Array {
  const [b, h, w] = shape;
  const out = new Float32Array(b * classes);
  for (let i = 0; i < b; i++) {
    for (let q = 0; q < h * w; q++) out[i * classes + (labels[i * h * w + q] as number)]! += 1;
    for (let k = 0; k < classes; k++) out[i * classes + k]! /= h * w;
  }
  return out;
}

/**
 * Masked autoencoder pretraining (He et al. 2022, "Masked Autoencoders Are Scalable Vision
 * Learners") of a DINOv2-layout backbone: the backbone's own embeddings (patches + positions)
 * are computed, a random 75 % of the patch tokens is dropped per image (CLS kept), the
 * backbone's blocks and final norm encode the visible tokens only, and a light decoder (its own
 * width, blocks, fixed 2-D sine-cosine positions and a learned mask token) predicts the pixels of
 * every patch; the loss is the MSE on the masked patches of per-patch normalised pixels.
 *
 * The backbone is a child module, so the encoder's weights ARE the backbone's: after training,
 * `saveBackbone(mae.backbone, dir)` writes an ordinary Hugging Face DINOv2 folder.
 */
import {
  add,
  cast,
  concat,
  equal,
  matmul,
  mul,
  reduceMean,
  reduceSum,
  reshape,
  slice,
  sub,
  transpose,
  type Value,
} from "../../engine/index.js";
import { lazyNormal } from "../../nn/init.js";
import { LayerNorm } from "../../nn/layers/layernorm.js";
import { Linear } from "../../nn/layers/linear.js";
import { sincosTable } from "../../nn/layers/posembed.js";
import { type BuildContext, Module, Parameter } from "../../nn/module.js";
import type { Dinov2Model } from "../../nn/nets/dinov2.js";
import { VitBlocks } from "../../nn/nets/vit-encoder.js";
import type { Rng } from "../../random/rng.js";

export interface MaeOptions {
  /** Fraction of patches hidden from the encoder (default 0.75). */
  maskRatio: number;
  /** Decoder width, depth and heads (default 64, 2, 2). */
  decoderDim: number;
  decoderDepth: number;
  decoderHeads: number;
  /** Normalise each target patch by its own mean and (unbiased) std, as MAE's norm_pix_loss. */
  normPix: boolean;
}

export const MAE_DEFAULTS: Readonly<MaeOptions> = {
  maskRatio: 0.75,
  decoderDim: 64,
  decoderDepth: 2,
  decoderHeads: 2,
  normPix: true,
};

/** Patches kept visible for a mask ratio over `patches` tokens (MAE: int(L · (1 − ratio))). */
export function keptCount(patches: number, maskRatio: number): number {
  return Math.max(1, Math.floor(patches * (1 - maskRatio)));
}

export class Mae extends Module {
  readonly options: MaeOptions;
  /** Patch tokens per image and visible ones per image. */
  readonly patches: number;
  readonly kept: number;
  readonly patchSize: number;
  readonly channels: number;
  readonly imageSize: number;
  readonly mask_token: Parameter;
  readonly decoder_pos_embed: Parameter;

  constructor(
    readonly backbone: Dinov2Model,
    options: Partial<MaeOptions> = {},
  ) {
    super();
    const o = { ...MAE_DEFAULTS, ...options };
    if (!(o.maskRatio >= 0 && o.maskRatio < 1)) throw new RangeError(`mae: mask ratio ${o.maskRatio}`);
    this.options = o;
    const c = backbone.config;
    const grid = Math.floor(c.image_size / c.patch_size);
    this.patches = grid * grid;
    this.kept = keptCount(this.patches, o.maskRatio);
    this.patchSize = c.patch_size;
    this.channels = c.num_channels;
    this.imageSize = c.image_size;
    const dd = o.decoderDim;
    this.addModule("backbone", backbone);
    this.addModule("decoder_embed", new Linear(c.hidden_size, dd));
    this.mask_token = this.addParam("mask_token", new Parameter([1, 1, dd], lazyNormal(dd, 0.02)));
    // Fixed positions (MAE's decoder uses a frozen 2-D sine-cosine table; CLS gets zeros).
    const table = new Float32Array((this.patches + 1) * dd);
    table.set(sincosTable(dd, [grid, grid]), dd);
    this.decoder_pos_embed = this.addParam(
      "decoder_pos_embed",
      new Parameter([1, this.patches + 1, dd], table, false),
    );
    this.addModule(
      "decoder_blocks",
      new VitBlocks(o.decoderDepth, {
        dim: dd,
        heads: o.decoderHeads,
        eps: 1e-6,
        names: { norm1: "norm1", norm2: "norm2", attention: "attn", mlp: "mlp" },
        attention: { layout: "fused", names: { q: "qkv", o: "proj" } },
        mlp: { kind: "plain", hidden: 4 * dd, act: "gelu" },
      }),
    );
    this.addModule("decoder_norm", new LayerNorm(dd, 1e-6));
    this.addModule("decoder_pred", new Linear(dd, this.patchSize * this.patchSize * this.channels));
  }

  /**
   * One-hot selection [B, K, T] of the kept patches (`keep` int64 [B, K], patch indices), built in
   * the graph: gathering by a batched MatMul with it keeps the gradient a MatMul too.
   */
  selection(keep: Value): Value {
    const [b, k] = keep.shape as [number, number];
    const range = keep.graph.constant(
      Array.from({ length: this.patches }, (_, i) => i),
      [1, 1, this.patches],
      "int64",
    );
    return cast(equal(reshape(keep, [b, k, 1]), range), "float32");
  }

  /** The backbone's embeddings (patches + positions, CLS first) with only the kept patches: [B, 1 + K, D]. */
  visibleTokens(ctx: BuildContext, pixels: Value, keep: Value): Value {
    const x = this.backbone.getModule("embeddings").forward(ctx, pixels);
    const [b, t, d] = x.shape as [number, number, number];
    const cls = slice(x, [0], [1], [1]);
    const patches = slice(x, [1], [t], [1]);
    const kept = matmul(this.selection(keep), patches);
    return concat([cls, reshape(kept, [b, keep.shape[1] as number, d])], 1);
  }

  /** The backbone's blocks and final layernorm over the visible tokens: [B, 1 + K, D]. */
  encode(ctx: BuildContext, pixels: Value, keep: Value): Value {
    const x = this.backbone.getModule("encoder.layer").forward(ctx, this.visibleTokens(ctx, pixels, keep));
    return this.backbone.getModule("layernorm").forward(ctx, x);
  }

  /** Pixel predictions [B, T, p·p·C] for every patch from the encoded visible tokens. */
  decode(ctx: BuildContext, latent: Value, keep: Value): Value {
    const [b, n] = latent.shape as [number, number];
    const y = this.getModule("decoder_embed").forward(ctx, latent);
    const cls = slice(y, [0], [1], [1]);
    const visible = slice(y, [1], [n], [1]);
    const sel = this.selection(keep); // [B, K, T]
    // Put each visible token back at its patch position; the others get the mask token.
    const placed = matmul(transpose(sel, [0, 2, 1]), visible); // [B, T, Dd]
    const shown = reshape(reduceSum(sel, [1]), [b, this.patches, 1]); // 1 where kept
    const masked = mul(sub(1, shown), ctx.param(this.mask_token));
    let x = concat([cls, add(placed, masked)], 1);
    x = add(x, ctx.param(this.decoder_pos_embed));
    x = this.getModule("decoder_blocks").forward(ctx, x);
    x = this.getModule("decoder_norm").forward(ctx, x);
    const pred = this.getModule("decoder_pred").forward(ctx, x);
    return slice(pred, [1], [this.patches + 1], [1]);
  }

  /**
   * Mean over masked patches of the per-patch mean squared error. `target` [B, T, p·p·C] from
   * `patchTargets`; `keep` int64 [B, K].
   */
  loss(pred: Value, target: Value, keep: Value): Value {
    const [b, t] = pred.shape as [number, number];
    const perPatch = reduceMean(mul(sub(pred, target), sub(pred, target)), [2]); // [B, T]
    const shown = reduceSum(this.selection(keep), [1]); // [B, T]
    const hidden = sub(1, shown);
    const count = b * (t - (keep.shape[1] as number));
    return mul(reduceSum(mul(perPatch, hidden)), 1 / count);
  }

  /** The training loss from pixels [B, C, H, W], kept indices [B, K] and targets [B, T, P]. */
  forward(ctx: BuildContext, pixels: Value, keep: Value, target: Value): Value {
    const pred = this.decode(ctx, this.encode(ctx, pixels, keep), keep);
    return this.loss(pred, target, keep);
  }
}

/**
 * Kept patch indices for `batch` images: per image a uniformly random subset of `kept` of the
 * `patches` positions (a partial Fisher–Yates shuffle), in ascending order, as int64 [B, K].
 */
export function drawKept(rng: Rng, batch: number, patches: number, kept: number): BigInt64Array {
  const out = new BigInt64Array(batch * kept);
  const perm = new Int32Array(patches);
  for (let i = 0; i < batch; i++) {
    for (let j = 0; j < patches; j++) perm[j] = j;
    for (let j = 0; j < kept; j++) {
      const r = j + rng.intBelow(patches - j);
      const tmp = perm[j] as number;
      perm[j] = perm[r] as number;
      perm[r] = tmp;
    }
    const chosen = Array.from(perm.subarray(0, kept)).sort((a, b) => a - b);
    for (let j = 0; j < kept; j++) out[i * kept + j] = BigInt(chosen[j] as number);
  }
  return out;
}

/**
 * MAE's reconstruction targets from images [B, C, H, W]: patches in row-major grid order, each
 * flattened as (row in patch, column in patch, channel) — MAE's `patchify` — and, with `normPix`,
 * normalised by the patch's own mean and unbiased variance: (x − mean) / √(var + 1e-6).
 */
export function patchTargets(
  pixels: Float32Array,
  shape: readonly [number, number, number, number],
  patch: number,
  normPix = true,
): Float32Array {
  const [b, c, h, w] = shape;
  const gh = Math.floor(h / patch);
  const gw = Math.floor(w / patch);
  const p = patch * patch * c;
  const out = new Float32Array(b * gh * gw * p);
  const v = new Float64Array(p);
  for (let i = 0; i < b; i++)
    for (let gy = 0; gy < gh; gy++)
      for (let gx = 0; gx < gw; gx++) {
        let k = 0;
        for (let y = 0; y < patch; y++)
          for (let x = 0; x < patch; x++)
            for (let ch = 0; ch < c; ch++)
              v[k++] = pixels[((i * c + ch) * h + gy * patch + y) * w + gx * patch + x] as number;
        let mean = 0;
        let varr = 0;
        if (normPix) {
          for (let j = 0; j < p; j++) mean += v[j] as number;
          mean /= p;
          for (let j = 0; j < p; j++) varr += ((v[j] as number) - mean) ** 2;
          varr /= Math.max(1, p - 1);
        }
        const scale = normPix ? 1 / Math.sqrt(varr + 1e-6) : 1;
        const base = ((i * gh + gy) * gw + gx) * p;
        for (let j = 0; j < p; j++) out[base + j] = ((v[j] as number) - mean) * scale;
      }
  return out;
}

/** Dimensions of the graph inputs a Mae takes for a batch of `batch` images. */
export function maeInputShapes(
  mae: Mae,
  batch: number,
): { pixels: number[]; keep: number[]; target: number[] } {
  const s = mae.imageSize;
  return {
    pixels: [batch, mae.channels, s, s],
    keep: [batch, mae.kept],
    target: [batch, mae.patches, mae.patchSize * mae.patchSize * mae.channels],
  };
}

/**
 * AnyMC3D (METHODS.md §2): a 2D backbone run over every slice of a scan, its pooled (CLS)
 * embedding per slice pooled over the slices (task-query attention, or the mean/max baseline),
 * and a linear head → one logit per finding. With several views (axial, coronal, sagittal) each
 * stack is encoded by the same backbone and pooled by its own pool; the view embeddings are
 * averaged or concatenated before the head.
 *
 * Module names: `backbone.*` (the 2D FM, adapters wrapped inside by `applyMethod`), `pool.<view>`
 * (`pool.<view>.query` for attention), `head` — the names the trainer's default optimizer
 * groups select (adapters / head and query) — and, with auxiliary pixel supervision, `aux` (a
 * light mask decoder on the patch tokens, run only in training graphs).
 */
import { concat, reduceMean, reshape, type Value } from "../../engine/index.js";
import { Linear } from "../../nn/layers/linear.js";
import { type BuildContext, Container, Module } from "../../nn/module.js";
import type { VisionBackbone } from "../../nn/nets/backbone.js";
import type { Plane } from "../../volume/slices.js";
import { AuxDecoder } from "./aux-decoder.js";
import { type PoolingKind, type SlicePool, slicePool } from "./pooling.js";

export type ViewFusion = "mean" | "concat";

export interface AnyMc3dOptions {
  findings: number;
  /** Input views, in order (each an input of the same name, [B, S, C, H, W]). Default ["axial"]. */
  views?: readonly Plane[];
  pooling?: PoolingKind;
  fusion?: ViewFusion;
  /** Seed of the query initialisation (each view's pool gets seed + its index). */
  seed?: number;
  /**
   * Auxiliary pixel supervision: adds the mask decoder `aux` on the backbone's patch tokens
   * (patch size [ph, pw] of the backbone). Its logits appear in training graphs only.
   */
  aux?: { patch: readonly [number, number] };
}

export interface AnyMc3dOutputs {
  /** [B, F] */
  logits: Value;
  /** Per view: [B, S] slice weights (sum 1 over S). */
  sliceWeights: Record<string, Value>;
  /** [B, D] (or [B, V·D] when concatenated): what the head sees. */
  embedding: Value;
  /** Per view, training graphs of a model with an `aux` decoder only: mask logits [B, S, H, W]. */
  auxLogits?: Record<string, Value>;
}

export class AnyMc3d extends Module {
  readonly views: readonly Plane[];
  readonly pooling: PoolingKind;
  readonly fusion: ViewFusion;
  readonly findings: number;
  readonly hiddenSize: number;

  constructor(backbone: VisionBackbone, opts: AnyMc3dOptions) {
    super();
    this.views = opts.views?.length ? [...opts.views] : ["axial"];
    if (new Set(this.views).size !== this.views.length)
      throw new Error(`AnyMc3d: a view is listed twice (${this.views.join(", ")})`);
    this.pooling = opts.pooling ?? "attention";
    this.fusion = opts.fusion ?? "mean";
    this.findings = opts.findings;
    this.hiddenSize = backbone.hiddenSize;
    this.addModule("backbone", backbone);
    const pools = this.addModule("pool", new Container());
    const seed = opts.seed ?? 1;
    this.views.forEach((v, i) => {
      pools.add(v, slicePool(this.pooling, this.hiddenSize, seed + i));
    });
    const headIn = this.fusion === "concat" ? this.hiddenSize * this.views.length : this.hiddenSize;
    this.addModule("head", new Linear(headIn, this.findings));
    if (opts.aux) this.addModule("aux", new AuxDecoder(this.hiddenSize, opts.aux.patch));
  }

  /** Whether the model has the auxiliary mask decoder. */
  get hasAux(): boolean {
    return this.children.has("aux");
  }

  /** The backbone, looked up by path (an adapter method may have rebuilt parts of it). */
  get backbone(): VisionBackbone {
    return this.getModule("backbone") as VisionBackbone;
  }

  /** Per-slice embeddings [B, S, D] of a slice stack [B, S, C, H, W]. */
  encodeSlices(ctx: BuildContext, stack: Value): Value {
    return this.encode(ctx, stack).slices;
  }

  /** Per-slice pooled embeddings [B, S, D] and every slice's tokens [B·S, T, D]. */
  private encode(ctx: BuildContext, stack: Value): { slices: Value; tokens: Value } {
    if (stack.rank !== 5)
      throw new Error(`AnyMc3d: expected a slice stack [B, S, C, H, W], got [${stack.shape.join(", ")}]`);
    const [b, s, c, h, w] = stack.shape as [number, number, number, number, number];
    const out = this.backbone.embed(ctx, reshape(stack, [b * s, c, h, w]));
    return { slices: reshape(out.poolerOutput, [b, s, this.hiddenSize]), tokens: out.lastHiddenState };
  }

  classify(ctx: BuildContext, inputs: Readonly<Record<string, Value>>): AnyMc3dOutputs {
    const sliceWeights: Record<string, Value> = {};
    const auxLogits: Record<string, Value> = {};
    const withAux = ctx.training && this.hasAux;
    const embeddings = this.views.map((v) => {
      const x = inputs[v];
      if (!x) throw new Error(`AnyMc3d: no input for view "${v}" (have ${Object.keys(inputs).join(", ")})`);
      const enc = this.encode(ctx, x);
      const pooled = (this.getModule(`pool.${v}`) as SlicePool).pool(ctx, enc.slices);
      sliceWeights[v] = pooled.weights;
      if (withAux) {
        const [b, s, , h, w] = x.shape as [number, number, number, number, number];
        const m = (this.getModule("aux") as AuxDecoder).logits(ctx, enc.tokens, [h, w]);
        auxLogits[v] = reshape(m, [b, s, h, w]);
      }
      return pooled.embedding;
    });
    let embedding = embeddings[0] as Value;
    if (embeddings.length > 1) {
      const [b, d] = embedding.shape as [number, number];
      const stacked = concat(embeddings, 1);
      embedding =
        this.fusion === "concat" ? stacked : reduceMean(reshape(stacked, [b, embeddings.length, d]), [1]);
    }
    const logits = this.getModule("head").forward(ctx, embedding);
    return withAux ? { logits, sliceWeights, embedding, auxLogits } : { logits, sliceWeights, embedding };
  }

  /** Logits [B, F] of one view's stack (single-view models). */
  forward(ctx: BuildContext, stack: Value): Value {
    return this.classify(ctx, { [this.views[0] as string]: stack }).logits;
  }
}

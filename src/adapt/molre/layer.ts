// MolreLayer wraps a Linear or a 2D/3D convolution (the patch embedding) with K low-rank experts
// and a soft router (METHODS.md §1): h = W0 x + Σ_k g_k (α/r) B_k A_k x, g = softmax(W_g · pool(x) / τ).
// Computed as (α/r) · [B_1 … B_K] · (g ⊗ [A_1; …; A_K] x): two matmuls (or two convolutions)
// whatever K is, and for K = 1 (g ≡ 1) exactly LoRA's operations. On a convolution each expert is
// LoRA's conv pair — A_k an r-channel convolution with the base kernel, stride, padding and
// dilation, B_k a 1×1 convolution — and the router sees the input averaged over its spatial axes.
import {
  concat,
  conv,
  matmul,
  mul,
  reduceMean,
  reshape,
  transposeLast2,
  unsqueeze,
  type Value,
} from "../../engine/index.js";
import { InputError } from "../../errors.js";
import type { BuildContext, Module, Parameter } from "../../nn/index.js";
import { AdapterLayer, type BaseKind, dropout } from "../base.js";
import { ModuleDict, Weight } from "../containers.js";
import { kaimingUniform, seedFor } from "../init.js";
import { lowRankProduct } from "../lora/layer.js";
import type { Routing } from "./config.js";
import { recordGates, routerGates } from "./router.js";

export interface MolreAdapterSettings {
  r: number;
  alpha: number;
  numExperts: number;
  routing: Routing;
  temperature: number;
  dropout: number;
  init: "kaiming" | "random";
  seed: number;
}

export class MolreLayer extends AdapterLayer {
  readonly molreA = this.addModule("molre_A", new ModuleDict<ModuleDict<Weight>>());
  readonly molreB = this.addModule("molre_B", new ModuleDict<ModuleDict<Weight>>());
  readonly router = this.addModule("molre_router", new ModuleDict<Weight>());
  readonly settings = new Map<string, MolreAdapterSettings & { scaling: number }>();
  /** d_in (a convolution's input channels). */
  readonly inFeatures: number;
  /** d_out (a convolution's output channels). */
  readonly outFeatures: number;

  constructor(
    base: Module,
    readonly kind: BaseKind,
    path: string,
  ) {
    super(base, path);
    if (kind.kind === "conv" && kind.groups !== 1)
      throw new InputError(`${path}: MoLRE on a grouped convolution is not supported`);
    this.inFeatures = kind.kind === "linear" ? kind.inFeatures : kind.inChannels;
    this.outFeatures = kind.kind === "linear" ? kind.outFeatures : kind.outChannels;
  }

  /** Shapes of one expert's A and B: [r, d_in] / [d_out, r], or [r, C_in, …kernel] / [C_out, r, 1…]. */
  private expertShapes(r: number): [number[], number[]] {
    const k = this.kind;
    if (k.kind === "linear")
      return [
        [r, k.inFeatures],
        [k.outFeatures, r],
      ];
    return [
      [r, k.inChannels, ...k.kernel],
      [k.outChannels, r, ...k.kernel.map(() => 1)],
    ];
  }

  /** Adds adapter `name`; returns the number of parameters added: K·(|A| + |B|) + K·d_in. */
  addAdapter(name: string, s: MolreAdapterSettings): number {
    const [din, k] = [this.inFeatures, s.numExperts];
    const [aShape, bShape] = this.expertShapes(s.r);
    const as = new ModuleDict<Weight>();
    const bs = new ModuleDict<Weight>();
    const seed = seedFor(s.seed, `${this.path}.${name}`);
    for (let e = 0; e < k; e++) {
      as.set(String(e), new Weight(aShape, kaimingUniform(aShape, seed + 3 * e)));
      bs.set(
        String(e),
        new Weight(bShape, s.init === "random" ? kaimingUniform(bShape, seed + 3 * e + 1) : undefined),
      );
    }
    this.molreA.set(name, as);
    this.molreB.set(name, bs);
    // W_g = 0: every expert gets 1/K at the start.
    this.router.set(
      name,
      new Weight([k, din], s.init === "random" ? kaimingUniform([k, din], seed - 1) : undefined),
    );
    this.settings.set(name, { ...s, scaling: s.alpha / s.r });
    const size = (sh: number[]) => sh.reduce((a, b) => a * b, 1);
    return k * (size(aShape) + size(bShape)) + k * din;
  }

  adapterNames(): string[] {
    return [...this.settings.keys()];
  }

  /** Saved keys: molre_A.<k>.weight, molre_B.<k>.weight, molre_router.weight. */
  adapterParams(name: string): Map<string, Parameter> {
    const s = this.settings.get(name);
    if (!s) throw new Error(`${this.path}: no adapter "${name}"`);
    const out = new Map<string, Parameter>();
    for (let e = 0; e < s.numExperts; e++)
      out.set(`molre_A.${e}.weight`, this.expert(this.molreA, name, e).weight);
    for (let e = 0; e < s.numExperts; e++)
      out.set(`molre_B.${e}.weight`, this.expert(this.molreB, name, e).weight);
    out.set("molre_router.weight", (this.router.get(name) as Weight).weight);
    return out;
  }

  private expert(d: ModuleDict<ModuleDict<Weight>>, name: string, e: number): Weight {
    return (d.get(name) as ModuleDict<Weight>).get(String(e)) as Weight;
  }

  protected delta(ctx: BuildContext, x: Value, name: string, _base: Value): Value {
    const s = this.settings.get(name) as MolreAdapterSettings & { scaling: number };
    const [din, dout, r, k] = [this.inFeatures, this.outFeatures, s.r, s.numExperts];
    const experts = [...Array(k).keys()];
    const cat = (vs: Value[], axis: number) => (vs.length === 1 ? (vs[0] as Value) : concat(vs, axis));
    const a = cat(
      experts.map((e) => ctx.param(this.expert(this.molreA, name, e).weight)),
      0,
    ); // [K·r, d_in]
    const b = cat(
      experts.map((e) => ctx.param(this.expert(this.molreB, name, e).weight)),
      1,
    ); // [d_out, K·r]
    const wg = ctx.param((this.router.get(name) as Weight).weight);
    const xd = dropout(ctx, x, s.dropout, `${this.path}.molre_dropout.${name}`);
    if (this.kind.kind === "conv") return mul(this.convDelta(x, xd, a, b, wg, s, name), s.scaling);
    const lead = x.shape.slice(0, -1);
    const x2 = xd.rank === 2 ? xd : reshape(xd, [-1, din]);
    const h = reshape(matmul(x2, transposeLast2(a)), [...lead, k, r]);
    const g = routerGates(x, wg, s.routing, s.temperature); // [..., K] or [B, 1…, K]
    recordGates(this.path, name, g);
    const hg = reshape(mul(h, unsqueeze(g, [g.rank])), [-1, k * r]);
    const y2 = matmul(hg, transposeLast2(b));
    const y = x.rank === 2 ? y2 : reshape(y2, [...lead, dout]);
    return mul(y, s.scaling);
  }

  /**
   * x [B, C_in, …spatial]: h = conv(x; [A_1; …; A_K]) [B, K·r, …out], scaled per sample by its
   * gates g [B, K] (router on x averaged over the spatial axes, without dropout), then the 1×1
   * convolution [B_1 … B_K].
   */
  private convDelta(
    x: Value,
    xd: Value,
    a: Value,
    b: Value,
    wg: Value,
    s: MolreAdapterSettings,
    adapter: string,
  ): Value {
    const k = this.kind as Extract<BaseKind, { kind: "conv" }>;
    const [bsz] = x.shape as [number];
    const h = conv(xd, a, undefined, { strides: k.strides, pads: k.pads, dilations: k.dilations });
    const out = h.shape.slice(2);
    const pooled = reduceMean(
      x,
      x.shape.slice(2).map((_, i) => i + 2),
    ); // [B, C_in]
    const g = routerGates(pooled, wg, "token", s.temperature); // [B, K]: one gate vector per sample
    recordGates(this.path, adapter, g);
    const ones = out.map(() => 1);
    const hg = mul(reshape(h, [bsz, s.numExperts, s.r, ...out]), reshape(g, [bsz, s.numExperts, 1, ...ones]));
    return conv(reshape(hg, [bsz, s.numExperts * s.r, ...out]), b);
  }

  /** Only a single expert (g ≡ 1) is input-independent and can be merged. */
  deltaWeight(name: string): Float32Array {
    const s = this.settings.get(name);
    if (!s) throw new Error(`${this.path}: no adapter "${name}"`);
    if (s.numExperts !== 1)
      throw new InputError(
        `${this.path}: a MoLRE adapter with ${s.numExperts} experts depends on its input through the router and cannot be merged into the base weight`,
      );
    const a = this.expert(this.molreA, name, 0).weight.data;
    const b = this.expert(this.molreB, name, 0).weight.data;
    // A conv's A is [r, C_in·∏kernel] flattened: the product has the base kernel's layout.
    return lowRankProduct(b, a, this.outFeatures, s.r, a.length / s.r, s.scaling);
  }

  protected dropAdapter(name: string): void {
    this.molreA.delete(name);
    this.molreB.delete(name);
    this.router.delete(name);
    this.settings.delete(name);
  }
}

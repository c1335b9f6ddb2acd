// MolreLayer wraps a Linear with K low-rank experts and a soft router (METHODS.md §1):
// h = W0 x + Σ_k g_k (α/r) B_k A_k x,  g = softmax(W_g · pool(x) / τ).
// Computed as (α/r) · [B_1 … B_K] · (g ⊗ [A_1; …; A_K] x): two matmuls whatever K is, and for
// K = 1 (g ≡ 1) exactly LoRA's operations.
import { concat, matmul, mul, reshape, transposeLast2, unsqueeze, type Value } from "../../engine/index.js";
import { InputError } from "../../errors.js";
import type { BuildContext, Linear, Parameter } from "../../nn/index.js";
import { AdapterLayer, dropout } from "../base.js";
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
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(base: Linear, path: string) {
    super(base, path);
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
  }

  addAdapter(name: string, s: MolreAdapterSettings): number {
    const [din, dout, r, k] = [this.inFeatures, this.outFeatures, s.r, s.numExperts];
    const as = new ModuleDict<Weight>();
    const bs = new ModuleDict<Weight>();
    const seed = seedFor(s.seed, `${this.path}.${name}`);
    for (let e = 0; e < k; e++) {
      as.set(String(e), new Weight([r, din], kaimingUniform([r, din], seed + 3 * e)));
      bs.set(
        String(e),
        new Weight([dout, r], s.init === "random" ? kaimingUniform([dout, r], seed + 3 * e + 1) : undefined),
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
    return k * (r * din + dout * r) + k * din;
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
    return lowRankProduct(b, a, this.outFeatures, s.r, this.inFeatures, s.scaling);
  }

  protected dropAdapter(name: string): void {
    this.molreA.delete(name);
    this.molreB.delete(name);
    this.router.delete(name);
    this.settings.delete(name);
  }
}

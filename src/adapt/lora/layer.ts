// LoraLayer wraps a Linear or a 2D/3D convolution (PEFT's lora.Linear / lora.Conv2d/3d): per
// adapter name, A (r×d_in, or an ungrouped conv with the base kernel, stride, padding and
// dilation) and B (d_out×r, or a 1×1 conv); output = base(x) + scaling · B(A(dropout(x))).
import { conv, matmul, mul, reshape, transposeLast2, type Value } from "../../engine/index.js";
import type { BuildContext, Module, Parameter } from "../../nn/index.js";
import { AdapterLayer, type BaseKind, dropout } from "../base.js";
import { ModuleDict, Weight } from "../containers.js";
import { gaussian, kaimingUniform, seedFor } from "../init.js";

export interface LoraAdapterSettings {
  r: number;
  alpha: number;
  dropout: number;
  useRslora: boolean;
  init: "kaiming" | "gaussian" | "random";
  seed: number;
}

export class LoraLayer extends AdapterLayer {
  readonly loraA = this.addModule("lora_A", new ModuleDict<Weight>());
  readonly loraB = this.addModule("lora_B", new ModuleDict<Weight>());
  readonly settings = new Map<string, LoraAdapterSettings & { scaling: number }>();

  constructor(
    base: Module,
    readonly kind: BaseKind,
    path: string,
  ) {
    super(base, path);
  }

  /** Adds adapter `name`; returns the number of parameters added. */
  addAdapter(name: string, s: LoraAdapterSettings): number {
    const k = this.kind;
    const [aShape, bShape] =
      k.kind === "linear"
        ? [
            [s.r, k.inFeatures],
            [k.outFeatures, s.r],
          ]
        : [
            [s.r, k.inChannels, ...k.kernel],
            [k.outChannels, s.r, ...k.kernel.map(() => 1)],
          ];
    const seed = seedFor(s.seed, `${this.path}.${name}`);
    const nA = aShape.reduce((a, b) => a * b, 1);
    const a = s.init === "gaussian" ? gaussian(nA, 1 / s.r, seed) : kaimingUniform(aShape, seed);
    // PEFT starts B at zero so the adapted model equals the base model; "random" is for tests.
    const b = s.init === "random" ? kaimingUniform(bShape, seed + 1) : undefined;
    this.loraA.set(name, new Weight(aShape, a));
    this.loraB.set(name, new Weight(bShape, b));
    const scaling = s.useRslora ? s.alpha / Math.sqrt(s.r) : s.alpha / s.r;
    this.settings.set(name, { ...s, scaling });
    return nA + bShape.reduce((x, y) => x * y, 1);
  }

  adapterNames(): string[] {
    return [...this.settings.keys()];
  }

  adapterParams(name: string): Map<string, Parameter> {
    return new Map([
      ["lora_A.weight", (this.loraA.get(name) as Weight).weight],
      ["lora_B.weight", (this.loraB.get(name) as Weight).weight],
    ]);
  }

  protected delta(ctx: BuildContext, x: Value, name: string, _base: Value): Value {
    const s = this.settings.get(name) as LoraAdapterSettings & { scaling: number };
    const a = ctx.param((this.loraA.get(name) as Weight).weight);
    const b = ctx.param((this.loraB.get(name) as Weight).weight);
    const xd = dropout(ctx, x, s.dropout, `${this.path}.lora_dropout.${name}`);
    const k = this.kind;
    let y: Value;
    if (k.kind === "linear") {
      const x2 = xd.rank === 2 ? xd : reshape(xd, [-1, k.inFeatures]);
      const y2 = matmul(matmul(x2, transposeLast2(a)), transposeLast2(b));
      y = xd.rank === 2 ? y2 : reshape(y2, [...xd.shape.slice(0, -1), k.outFeatures]);
    } else {
      const h = conv(xd, a, undefined, {
        strides: k.strides,
        pads: k.pads,
        dilations: k.dilations,
      });
      y = conv(h, b);
    }
    return mul(y, s.scaling);
  }

  /** scaling · B·A in the base weight's layout ([out, in] or [out, in, ...kernel]). */
  deltaWeight(name: string): Float32Array {
    const s = this.settings.get(name);
    if (!s) throw new Error(`${this.path}: no adapter "${name}"`);
    const a = (this.loraA.get(name) as Weight).weight.data;
    const b = (this.loraB.get(name) as Weight).weight.data;
    const out = this.kind.kind === "linear" ? this.kind.outFeatures : this.kind.outChannels;
    if (this.kind.kind === "conv" && this.kind.groups !== 1)
      throw new Error(`${this.path}: merging LoRA into a grouped convolution is not supported`);
    const cols = a.length / s.r;
    return lowRankProduct(b, a, out, s.r, cols, s.scaling);
  }

  protected dropAdapter(name: string): void {
    this.loraA.delete(name);
    this.loraB.delete(name);
    this.settings.delete(name);
  }
}

/** scale · B[out×r] · A[r×cols], in float64 accumulation. */
export function lowRankProduct(
  b: Float32Array,
  a: Float32Array,
  out: number,
  r: number,
  cols: number,
  scale: number,
): Float32Array {
  const d = new Float32Array(out * cols);
  for (let o = 0; o < out; o++)
    for (let j = 0; j < cols; j++) {
      let acc = 0;
      for (let k = 0; k < r; k++) acc += (b[o * r + k] as number) * (a[k * cols + j] as number);
      d[o * cols + j] = acc * scale;
    }
  return d;
}

// Tiny models with transformers' module names, for the adapter tests and the conformance
// matrix (PEFT tests its methods on toy MLP/Conv models the same way).
import {
  add,
  compile,
  div,
  matmul,
  reduceMean,
  softmax,
  tanh,
  transposeLast2,
  type Value,
} from "../engine/index.js";
import { readSafetensors } from "../io/safetensors/index.js";
import { BuildContext, Linear, Module } from "../nn/index.js";
import { PatchEmbed, patchTokens } from "../nn/layers/conv.js";
import { ModuleDict } from "./containers.js";

export interface ToySizes {
  channels: number;
  patch: number;
  dim: number;
  hidden: number;
  classes: number;
  layers: number;
}

export const TOY: ToySizes = { channels: 3, patch: 2, dim: 8, hidden: 16, classes: 3, layers: 1 };

/**
 * A one-head pre-norm-free ViT with DINOv2's names: embeddings.patch_embeddings.projection,
 * encoder.layer.N.attention.attention.{query,key,value}, attention.output.dense, mlp.fc1/fc2,
 * and a head "classifier". Input: pixels [B, C, H, W] or tokens [B, N, D]; output logits [B, classes].
 */
export class ToyDinov2 extends Module {
  constructor(readonly sizes: ToySizes = TOY) {
    super();
    const { channels, patch, dim, hidden, classes } = sizes;
    const emb = this.addModule("embeddings", new ModuleDict());
    const pe = emb.set("patch_embeddings", new ModuleDict());
    pe.set("projection", new PatchEmbed(channels, dim, [patch, patch]));
    const layers = this.addModule("encoder", new ModuleDict()).set("layer", new ModuleDict());
    for (let i = 0; i < sizes.layers; i++) {
      const layer = layers.set(String(i), new ModuleDict());
      const attention = layer.set("attention", new ModuleDict());
      const self = attention.set("attention", new ModuleDict());
      for (const n of ["query", "key", "value"]) self.set(n, new Linear(dim, dim));
      attention.set("output", new ModuleDict()).set("dense", new Linear(dim, dim));
      const mlp = layer.set("mlp", new ModuleDict());
      mlp.set("fc1", new Linear(dim, hidden));
      mlp.set("fc2", new Linear(hidden, dim));
    }
    this.addModule("classifier", new Linear(dim, classes));
  }

  forward(ctx: BuildContext, x: Value): Value {
    const m = (path: string) => this.getModule(path);
    let t = x.rank === 3 ? x : patchTokens(m("embeddings.patch_embeddings.projection").forward(ctx, x));
    const d = this.sizes.dim;
    for (let i = 0; i < this.sizes.layers; i++) {
      const p = `encoder.layer.${i}`;
      const q = m(`${p}.attention.attention.query`).forward(ctx, t);
      const k = m(`${p}.attention.attention.key`).forward(ctx, t);
      const v = m(`${p}.attention.attention.value`).forward(ctx, t);
      const att = softmax(div(matmul(q, transposeLast2(k)), Math.sqrt(d)), -1);
      t = add(t, m(`${p}.attention.output.dense`).forward(ctx, matmul(att, v)));
      t = add(t, m(`${p}.mlp.fc2`).forward(ctx, tanh(m(`${p}.mlp.fc1`).forward(ctx, t))));
    }
    return m("classifier").forward(ctx, reduceMean(t, [1]));
  }

  /** Loads weights saved under the same names (e.g. the Python fixture's base model). */
  async loadWeights(path: string): Promise<void> {
    const f = await readSafetensors(path);
    try {
      for (const [name, p] of this.namedParameters()) p.data.set(await f.float32(name));
    } finally {
      await f.close();
    }
  }
}

/** A tree with two Linears named like SigLIP's q/v projections and a head, for parameter arithmetic. */
export class ToyPair extends Module {
  constructor(din: number, dout: number, classes: number) {
    super();
    const attn = this.addModule("encoder", new ModuleDict()).set("self_attn", new ModuleDict());
    attn.set("q_proj", new Linear(din, dout));
    attn.set("v_proj", new Linear(din, dout));
    this.addModule("head", new Linear(dout, classes));
  }

  forward(ctx: BuildContext, x: Value): Value {
    const q = this.getModule("encoder.self_attn.q_proj").forward(ctx, x);
    const v = this.getModule("encoder.self_attn.v_proj").forward(ctx, x);
    return this.getModule("head").forward(ctx, add(q, v));
  }
}

/** Builds `model` on an input of `shape`, runs it on `data` and returns output "y" plus extras. */
export async function runModel(
  model: Module,
  shape: readonly number[],
  data: Float32Array,
  extra: (ctx: BuildContext, y: Value) => Record<string, Value> = () => ({}),
): Promise<Record<string, Float32Array>> {
  const ctx = new BuildContext(model);
  const x = ctx.graph.input("x", shape);
  const y = model.forward(ctx, x);
  const program = await compile({ y, ...extra(ctx, y) });
  return (await program.run({ x: data })) as Record<string, Float32Array>;
}

/** Largest |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

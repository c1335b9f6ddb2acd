// Multi-head self-attention in the layouts the checkpoints use: separate q/k/v/o Linears (any
// child names, nested or not) or one fused qkv Linear; optional rotary embedding applied to the
// patch tokens only (prefix tokens such as CLS and registers stay unrotated, as DINOv3 does);
// and torch.nn.MultiheadAttention's packed in_proj layout for cross-attention (SigLIP's head).
import {
  add,
  attention,
  concat,
  type Graph,
  gemm,
  matmul,
  mul,
  neg,
  reshape,
  slice,
  softmax,
  split,
  transpose,
  transposeLast2,
  type Value,
} from "../../engine/index.js";
import { type BuildContext, Module, Parameter, place } from "../module.js";
import { Linear } from "./linear.js";

/** cos/sin tables [patches, headDim] of a rotary embedding; tokens before them are prefix tokens. */
export interface Rope {
  cos: Value;
  sin: Value;
}

/** [B, T, H·d] → [B, H, T, d]. */
export function splitHeads(x: Value, heads: number): Value {
  const [b, t, dim] = x.shape as [number, number, number];
  return transpose(reshape(x, [b, t, heads, dim / heads]), [0, 2, 1, 3]);
}

/** [B, H, T, d] → [B, T, H·d]. */
export function mergeHeads(x: Value): Value {
  const [b, h, t, d] = x.shape as [number, number, number, number];
  return reshape(transpose(x, [0, 2, 1, 3]), [b, t, h * d]);
}

/** softmax(q·kᵀ/√d) on [B, H, T, d] tensors: [B, H, Tq, Tk], each row summing to 1 over keys. */
export function attentionProbs(q: Value, k: Value): Value {
  const d = q.shape[q.rank - 1] as number;
  return softmax(mul(matmul(q, transposeLast2(k)), 1 / Math.sqrt(d)), -1);
}

/** softmax(q·kᵀ/√d)·v on [B, H, T, d] tensors (the engine's attention, with its cheaper backward). */
export function scaledDotProductAttention(q: Value, k: Value, v: Value): Value {
  return attention(q, k, v).out;
}

// Self-attention probabilities of every MultiHeadAttention built into a graph, in build order
// (so the last block's come last): heat maps and attention rollout read them as extra outputs.
// Recording adds no node; an output nobody asks for costs nothing.
const attentionRecords = new WeakMap<Graph, Value[]>();

/** The [B, H, T, T] attention probabilities of each self-attention layer built into `graph`. */
export function selfAttentionProbs(graph: Graph): Value[] {
  return [...(attentionRecords.get(graph) ?? [])];
}

/** x·cos + rotate_half(x)·sin on the last `cos.shape[0]` tokens of x [B, H, T, d]. */
export function applyRope(x: Value, rope: Rope): Value {
  const t = x.shape[2] as number;
  const d = x.shape[3] as number;
  const n = rope.cos.shape[0] as number;
  const pre = t - n;
  if (pre < 0) throw new Error(`applyRope: ${n} rotary positions for ${t} tokens`);
  const patches = pre === 0 ? x : slice(x, [pre], [t], [2]);
  const [x1, x2] = split(patches, [d / 2, d / 2], 3) as [Value, Value];
  const rotated = concat([neg(x2), x1], 3);
  const out = mul(patches, rope.cos);
  const y = add(out, mul(rotated, rope.sin));
  return pre === 0 ? y : concat([slice(x, [0], [pre], [2]), y], 2);
}

export interface AttentionNames {
  q: string;
  k: string;
  v: string;
  o: string;
}

export interface AttentionOptions {
  /** "separate" (q, k, v Linears) or "fused" (one `qkv` Linear [3·D, D]). */
  layout?: "separate" | "fused";
  /** Child paths; for "fused", `q` names the fused Linear and `k`, `v` are ignored. */
  names?: Partial<AttentionNames>;
  /** Biases of q, k, v (or the fused qkv) and o. */
  bias?: { q?: boolean; k?: boolean; v?: boolean; o?: boolean };
}

export class MultiHeadAttention extends Module {
  readonly layout: "separate" | "fused";
  readonly names: AttentionNames;

  constructor(
    readonly dim: number,
    readonly heads: number,
    opts: AttentionOptions = {},
  ) {
    super();
    if (dim % heads !== 0) throw new Error(`attention: ${dim} channels do not split into ${heads} heads`);
    this.layout = opts.layout ?? "separate";
    const fused = this.layout === "fused";
    this.names = {
      q: opts.names?.q ?? (fused ? "qkv" : "q_proj"),
      k: opts.names?.k ?? "k_proj",
      v: opts.names?.v ?? "v_proj",
      o: opts.names?.o ?? "o_proj",
    };
    const b = opts.bias ?? {};
    if (fused) {
      place(this, this.names.q, new Linear(dim, 3 * dim, { bias: b.q ?? true }));
    } else {
      place(this, this.names.q, new Linear(dim, dim, { bias: b.q ?? true }));
      place(this, this.names.k, new Linear(dim, dim, { bias: b.k ?? true }));
      place(this, this.names.v, new Linear(dim, dim, { bias: b.v ?? true }));
    }
    place(this, this.names.o, new Linear(dim, dim, { bias: b.o ?? true }));
  }

  forward(ctx: BuildContext, x: Value, cos?: Value, sin?: Value): Value {
    let q: Value;
    let k: Value;
    let v: Value;
    if (this.layout === "fused") {
      const qkv = this.getModule(this.names.q).forward(ctx, x);
      [q, k, v] = split(qkv, [this.dim, this.dim, this.dim], -1) as [Value, Value, Value];
    } else {
      q = this.getModule(this.names.q).forward(ctx, x);
      k = this.getModule(this.names.k).forward(ctx, x);
      v = this.getModule(this.names.v).forward(ctx, x);
    }
    let qh = splitHeads(q, this.heads);
    let kh = splitHeads(k, this.heads);
    if (cos && sin) {
      qh = applyRope(qh, { cos, sin });
      kh = applyRope(kh, { cos, sin });
    }
    const { out, probs } = attention(qh, kh, splitHeads(v, this.heads));
    const list = attentionRecords.get(probs.graph) ?? [];
    attentionRecords.set(probs.graph, list);
    list.push(probs);
    const o = mergeHeads(out);
    return this.getModule(this.names.o).forward(ctx, o);
  }
}

/**
 * torch.nn.MultiheadAttention (batch_first): packed `in_proj_weight` [3·D, D] and `in_proj_bias`,
 * `out_proj` Linear. Used as cross-attention: forward(ctx, query, keyValue).
 */
export class TorchMultiheadAttention extends Module {
  readonly in_proj_weight: Parameter;
  readonly in_proj_bias: Parameter;

  constructor(
    readonly dim: number,
    readonly heads: number,
  ) {
    super();
    this.in_proj_weight = this.addParam("in_proj_weight", new Parameter([3 * dim, dim]));
    this.in_proj_bias = this.addParam("in_proj_bias", new Parameter([3 * dim]));
    this.addModule("out_proj", new Linear(dim, dim));
  }

  forward(ctx: BuildContext, query: Value, keyValue: Value): Value {
    const D = this.dim;
    const w = ctx.param(this.in_proj_weight);
    const b = ctx.param(this.in_proj_bias);
    const proj = (x: Value, i: number) => {
      const wi = slice(w, [i * D], [(i + 1) * D], [0]);
      const bi = slice(b, [i * D], [(i + 1) * D], [0]);
      const [bs, t] = x.shape as [number, number];
      return reshape(gemm(reshape(x, [bs * t, D]), wi, bi, { transB: true }), [bs, t, D]);
    };
    const o = scaledDotProductAttention(
      splitHeads(proj(query, 0), this.heads),
      splitHeads(proj(keyValue, 1), this.heads),
      splitHeads(proj(keyValue, 2), this.heads),
    );
    return this.getModule("out_proj").forward(ctx, mergeHeads(o));
  }
}

/**
 * The smallest Trainable: a linear head (optionally after one GELU hidden layer) over feature
 * vectors, e.g. cached frozen-backbone embeddings pooled over slices. Also the trainer's test model.
 */
import { add, type Graph, gelu, matmul, mul, type Value } from "../engine/index.js";
import { Rng } from "../random/rng.js";
import type { ForwardOutput, ParamRef, Trainable } from "./trainable.js";

export interface LinearProbeOptions {
  /** Name of the batch input holding [B, dim] features. */
  input?: string;
  dim: number;
  findings: number;
  /** Width of a hidden GELU layer (named "hidden"); 0 for a plain linear head. */
  hidden?: number;
  /** Initial weights ~ N(0, 1/fan_in) from this seed. */
  seed?: number;
  /** Dropout probability on the hidden layer while training (masks drawn from (seed, step)). */
  dropout?: number;
}

const DROPOUT_INPUT = "hidden.dropout_mask";

export function linearProbe(opts: LinearProbeOptions): Trainable {
  const { input = "features", dim, findings, hidden = 0, seed = 0, dropout = 0 } = opts;
  if (!(dropout >= 0 && dropout < 1))
    throw new RangeError(`linearProbe: dropout must be in [0, 1), got ${dropout}`);
  const rng = Rng.stream(seed, 0, 0x1b);
  const normal = (n: number, fanIn: number) =>
    Float32Array.from({ length: n }, () => rng.normal() / Math.sqrt(fanIn));
  const params = new Map<string, ParamRef>();
  const inDim = hidden > 0 ? hidden : dim;
  if (hidden > 0) {
    params.set("hidden.weight", { shape: [dim, hidden], data: normal(dim * hidden, dim) });
    params.set("hidden.bias", { shape: [hidden], data: new Float32Array(hidden) });
  }
  params.set("head.weight", { shape: [inDim, findings], data: normal(inDim * findings, inDim) });
  params.set("head.bias", { shape: [findings], data: new Float32Array(findings) });
  const p = (g: Graph, name: string): Value => {
    const r = params.get(name)!;
    return g.param(name, r.shape, r.data, { trainable: true });
  };
  return {
    params: () => params,
    forward(g, inputs, mode): ForwardOutput {
      let x = inputs[input];
      if (!x) throw new Error(`linearProbe: no batch input "${input}"`);
      if (hidden > 0) x = gelu(add(matmul(x, p(g, "hidden.weight")), p(g, "hidden.bias")));
      if (hidden > 0 && mode.training && dropout > 0) x = mul(x, g.input(DROPOUT_INPUT, x.shape));
      return { logits: add(matmul(x, p(g, "head.weight")), p(g, "head.bias")) };
    },
    stepFeeds(g, at): Record<string, Float32Array> {
      const v = g.inputs.find((i) => i.name === DROPOUT_INPUT);
      if (!v) return {};
      const r = Rng.stream(at.seed, at.step, 0xd7);
      const keep = 1 / (1 - dropout);
      return {
        [DROPOUT_INPUT]: Float32Array.from({ length: v.size }, () => (r.next() < dropout ? 0 : keep)),
      };
    },
    describe: () => ({ kind: "linear-probe", input, dim, findings, hidden, dropout }),
  };
}

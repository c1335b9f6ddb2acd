// ViT-S/16-style classifier built with the engine for the benchmark (same model as
// shared/peers/torch_vit.py: pre-norm blocks, q,k,v,o linears, GELU MLP, CLS token, sigmoid head).
import { engine as E } from "../../src/index.js";

type Value = E.Value;

export interface VitConfig {
  dim: number;
  layers: number;
  heads: number;
  img: number;
  patch: number;
  batch: number;
  classes: number;
  /** LoRA rank on q and v (0: none). */
  rank: number;
  /** "frozen": nothing trains; "lora": LoRA matrices and head; "full": every weight. */
  train: "frozen" | "lora" | "full";
}

let seed = 1;
function weight(
  g: E.Graph,
  name: string,
  shape: number[],
  scale: number,
  trainable: boolean,
  zero = false,
): Value {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = zero ? new Float32Array(n) : Float32Array.from(E.randn(n, seed++), (v) => v * scale);
  return g.param(name, shape, data, { trainable });
}

/** Builds the model; returns the input, the targets, the logits and the BCE loss. */
export function buildVit(c: VitConfig): { g: E.Graph; logits: Value; loss: Value } {
  seed = 1;
  const g = new E.Graph();
  const full = c.train === "full";
  const lora = c.train === "lora" && c.rank > 0;
  const D = c.dim;
  const B = c.batch;
  const side = c.img / c.patch;
  const N = side * side + 1;
  const dh = D / c.heads;
  const x = g.input("image", [B, 3, c.img, c.img]);
  const y = g.input("targets", [B, c.classes]);
  const w = (name: string, shape: number[], scale = 0.02, zero = false) =>
    weight(g, name, shape, scale, full, zero);

  // Patch embedding as patchify + MatMul (the same linear map as a stride-16 Conv).
  const P = c.patch;
  const patches = E.reshape(E.transpose(E.reshape(x, [B, 3, side, P, side, P]), [0, 2, 4, 1, 3, 5]), [
    B,
    side * side,
    3 * P * P,
  ]);
  let h = E.add(E.matmul(patches, w("pe.w", [3 * P * P, D])), w("pe.b", [D], 0, true));
  const cls = E.expand(w("cls", [1, 1, D]), [B, 1, D]);
  h = E.add(E.concat([cls, h], 1), w("pos", [1, N, D]));

  const heads = (t: Value) => E.transpose(E.reshape(t, [B, N, c.heads, dh]), [0, 2, 1, 3]);
  for (let l = 0; l < c.layers; l++) {
    const p = `blocks.${l}.`;
    const ln1 = E.layerNorm(h, onesLike(g, `${p}n1.g`, D, full), w(`${p}n1.b`, [D], 0, true));
    // q, k and v as three linears, as in the torch peer (a fused qkv MatMul costs a Split in the
    // forward and a Concat of the three gradients in the backward: ~4 % of a LoRA step).
    const lin = (name: string) =>
      E.add(E.matmul(ln1, w(`${p}${name}.w`, [D, D])), w(`${p}${name}.b`, [D], 0, true));
    let q = lin("q");
    const k = lin("k");
    let v = lin("v");
    if (lora) {
      const qa = weight(g, `${p}q.lora_A`, [D, c.rank], 0.01, true);
      const qb = weight(g, `${p}q.lora_B`, [c.rank, D], 0, true, true);
      const va = weight(g, `${p}v.lora_A`, [D, c.rank], 0.01, true);
      const vb = weight(g, `${p}v.lora_B`, [c.rank, D], 0, true, true);
      // LoRA scaling α/r = 2 applied to the r×D matrix B, not to the N×D product.
      q = E.add(q, E.matmul(E.matmul(ln1, qa), E.mul(qb, 2)));
      v = E.add(v, E.matmul(E.matmul(ln1, va), E.mul(vb, 2)));
    }
    const att = E.attention(heads(q), heads(k), heads(v)).out;
    const o = E.reshape(E.transpose(att, [0, 2, 1, 3]), [B, N, D]);
    h = E.add(h, E.add(E.matmul(o, w(`${p}o.w`, [D, D])), w(`${p}o.b`, [D], 0, true)));
    const ln2 = E.layerNorm(h, onesLike(g, `${p}n2.g`, D, full), w(`${p}n2.b`, [D], 0, true));
    const m = E.gelu(E.add(E.matmul(ln2, w(`${p}fc1.w`, [D, 4 * D])), w(`${p}fc1.b`, [4 * D], 0, true)));
    h = E.add(h, E.add(E.matmul(m, w(`${p}fc2.w`, [4 * D, D])), w(`${p}fc2.b`, [D], 0, true)));
  }
  const clsOut = E.reshape(
    E.slice(E.layerNorm(h, onesLike(g, "norm.g", D, full), w("norm.b", [D], 0, true)), [0], [1], [1]),
    [B, D],
  );
  const headTrain = c.train !== "frozen";
  const logits = E.add(
    E.matmul(clsOut, weight(g, "head.w", [D, c.classes], 0.02, headTrain)),
    weight(g, "head.b", [c.classes], 0, headTrain, true),
  );
  return { g, logits, loss: E.bceWithLogits(logits, y) };
}

function onesLike(g: E.Graph, name: string, n: number, trainable: boolean): Value {
  return g.param(name, [n], new Float32Array(n).fill(1), { trainable });
}

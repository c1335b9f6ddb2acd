// Scaled dot-product attention with the backward FlashAttention uses (Dao et al. 2022): the
// softmax gradient's row term Σⱼ dPᵢⱼ·Pᵢⱼ equals dOᵢ·Oᵢ, a product over the head dimension
// instead of over all keys, so the backward never multiplies two [T, T] tensors for it.
import type { Value } from "../ir/graph.js";
import { customGradient } from "./custom.js";
import { mul, sub } from "./elementwise.js";
import { matmul } from "./matmul.js";
import { softmax } from "./norm.js";
import { reduceSum } from "./reduce.js";
import { transposeLast2 } from "./shape.js";

export interface Attention {
  /** softmax(scale·q·kᵀ)·v: [..., Tq, dv]. */
  out: Value;
  /** The attention probabilities [..., Tq, Tk] (for maps and rollout; reading them costs nothing). */
  probs: Value;
}

/**
 * softmax(scale·q·kᵀ)·v over the last two axes of q [..., Tq, d], k [..., Tk, d] and
 * v [..., Tk, dv] (equal leading axes; scale defaults to 1/√d).
 */
export function attention(q: Value, k: Value, v: Value, scale?: number): Attention {
  const lead = q.shape.slice(0, -2).join(",");
  if (q.rank < 2 || k.rank !== q.rank || v.rank !== q.rank)
    throw new Error(`attention: q ${q}, k ${k} and v ${v} must have one rank ≥ 2`);
  if (k.shape.slice(0, -2).join(",") !== lead || v.shape.slice(0, -2).join(",") !== lead)
    throw new Error(`attention: q ${q}, k ${k} and v ${v} must share their leading axes`);
  if (k.shape[k.rank - 1] !== q.shape[q.rank - 1] || v.shape[v.rank - 2] !== k.shape[k.rank - 2])
    throw new Error(`attention: q ${q}, k ${k} and v ${v} do not fit (q, k: same d; k, v: same T)`);
  const s = scale ?? 1 / Math.sqrt(q.shape[q.rank - 1] as number);
  const probs = softmax(mul(matmul(q, transposeLast2(k)), s), -1);
  const o = matmul(probs, v);
  const out = customGradient(o, [q, k, v], (dO, [nq, nk, nv]) => {
    let dq: Value | undefined;
    let dk: Value | undefined;
    if (nq || nk) {
      const dP = matmul(dO, transposeLast2(v));
      const rowTerm = reduceSum(mul(dO, o), [o.rank - 1], true);
      const dS = mul(probs, sub(dP, rowTerm));
      if (nq) dq = mul(matmul(dS, k), s);
      if (nk) dk = mul(matmul(transposeLast2(dS), q), s);
    }
    const dv = nv ? matmul(transposeLast2(probs), dO) : undefined;
    return [dq, dk, dv];
  });
  return { out, probs };
}

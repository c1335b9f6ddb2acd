// MatMul (numpy semantics, batch broadcasting) and Gemm.
import type { Value } from "../ir/graph.js";
import { mul } from "./elementwise.js";
import { unbroadcast } from "./reduce.js";
import { apply1, attrNum, broadcastShapes, defineOp, fail, sameDtype } from "./registry.js";
import { reshape, transpose, transposeLast2 } from "./shape.js";

defineOp("MatMul", {
  infer: ([a, b]) => {
    const [x, y] = [a as Value, b as Value];
    const dtype = sameDtype([x, y]);
    if (x.rank < 2 || y.rank < 2) fail("operands must have rank ≥ 2 (reshape 1-D operands first)");
    const k1 = x.shape[x.rank - 1];
    const k2 = y.shape[y.rank - 2];
    if (k1 !== k2) fail(`inner dimensions differ (${k1} vs ${k2})`);
    const batch = broadcastShapes(x.shape.slice(0, -2), y.shape.slice(0, -2));
    return [{ shape: [...batch, x.shape[x.rank - 2] as number, y.shape[y.rank - 1] as number], dtype }];
  },
  grad: ({ node, dys: [dy], needs }) => {
    const [a, b] = node.inputs as [Value, Value];
    const d = dy as Value;
    return [needs[0] ? matmulGradA(d, a, b) : undefined, needs[1] ? matmulGradB(d, a, b) : undefined];
  },
});

/** dA = dY·Bᵀ, summed over broadcast batch axes. */
function matmulGradA(dy: Value, a: Value, b: Value): Value {
  if (a.rank === 2 && b.rank === 2) return matmul(dy, transposeLast2(b));
  if (a.rank === 2) {
    // A shared across the batch: fold the batch into the contraction.
    const k = b.shape[b.rank - 2] as number;
    const m = a.shape[0] as number;
    const dyF = reshape(
      transpose(dy, [dy.rank - 2, ...dy.shape.slice(0, -2).map((_, i) => i), dy.rank - 1]),
      [m, -1],
    );
    const bF = reshape(
      transpose(expandBatch(b, dy), [...dy.shape.slice(0, -2).map((_, i) => i), b.rank - 1, b.rank - 2]),
      [-1, k],
    );
    return matmul(dyF, bF);
  }
  // Both operands transposed views (attention's Q·Kᵀ): Bᵀ would be a second transpose of B's
  // source, which ORT composes into a materialised copy instead of fusing it into the MatMul.
  // dA = (B·dYᵀ)ᵀ fuses dYᵀ into the MatMul and leaves one transpose that ORT merges with the
  // gradient of A's own Transpose.
  if (transposed(a) && transposed(b))
    return unbroadcast(transposeLast2(matmul(b, transposeLast2(dy))), a.shape);
  return unbroadcast(matmul(dy, transposeLast2(b)), a.shape);
}

const transposed = (v: Value): boolean => v.producer?.op === "Transpose";

/** dB = Aᵀ·dY, summed over broadcast batch axes. */
function matmulGradB(dy: Value, a: Value, b: Value): Value {
  if (b.rank === 2) {
    // Weight shared across the batch: one [K, M·batch]·[M·batch, N] product.
    const k = a.shape[a.rank - 1] as number;
    const n = b.shape[1] as number;
    const dyF = reshape(dy, [-1, n]);
    if (a.rank >= 3 && n >= 64) return matmul(rowsLast(a), dyF);
    // A skinny weight (LoRA's A, r columns): (dYᵀ·A)ᵀ with dYᵀ copied (r × rows, cheap) runs the
    // product untransposed; Aᵀ·dY with A transposed in MLAS took twice as long (ViT-S LoRA A:
    // [3152, 384]ᵀ·[3152, 8]).
    if (a.rank >= 3) return transposeLast2(matmul(rowsLast(dy), reshape(a, [-1, k])));
    return matmul(transposeLast2(reshape(a, [-1, k])), dyF);
  }
  // As in matmulGradA: dB = (dYᵀ·A)ᵀ when both operands are transposed views.
  if (transposed(a) && transposed(b))
    return unbroadcast(transposeLast2(matmul(transposeLast2(dy), a)), b.shape);
  return unbroadcast(matmul(transposeLast2(a), dy), b.shape);
}

const rowsLastCache = new WeakMap<Value, Value>();

/**
 * [..., K] → [K, rows] as a materialised transpose, for weight gradients Aᵀ·dY with many rows.
 * ORT would fuse a plain Transpose into the MatMul as transA, and MLAS' transA path is 10–40%
 * slower on these shapes (ViT-S: K = 384/1536, rows = 3152) than copying Aᵀ once and running the
 * untransposed product; moving the last axis to the front of the batched shape (then a Reshape)
 * is not fused. Cached per value: separate q, k, v projections of one activation share one Aᵀ.
 */
function rowsLast(a: Value): Value {
  let t = rowsLastCache.get(a);
  if (!t) {
    const perm = [a.rank - 1, ...a.shape.slice(0, -1).map((_, i) => i)];
    t = reshape(transpose(a, perm), [a.shape[a.rank - 1] as number, -1]);
    rowsLastCache.set(a, t);
  }
  return t;
}

function expandBatch(x: Value, like: Value): Value {
  const batch = like.shape.slice(0, -2);
  if (x.rank === like.rank && x.shape.slice(0, -2).every((d, i) => d === batch[i])) return x;
  return apply1("Expand", [x], { shape: [...batch, ...x.shape.slice(-2)] });
}

export function matmul(a: Value, b: Value): Value {
  return apply1("MatMul", [a, b]);
}

// ---------- Gemm: Y = alpha·op(A)·op(B) + beta·C
defineOp("Gemm", {
  infer: ([a, b, c], at) => {
    const dtype = sameDtype([a as Value, b as Value]);
    if ((a as Value).rank !== 2 || (b as Value).rank !== 2) fail("A and B must be 2-D");
    const ta = attrNum(at, "transA", 0);
    const tb = attrNum(at, "transB", 0);
    const [m, k] = ta ? [(a as Value).shape[1], (a as Value).shape[0]] : (a as Value).shape;
    const [k2, n] = tb ? [(b as Value).shape[1], (b as Value).shape[0]] : (b as Value).shape;
    if (k !== k2) fail(`inner dimensions differ (${k} vs ${k2})`);
    const shape = [m as number, n as number];
    if (c) broadcastShapes(shape, (c as Value).shape.length ? (c as Value).shape : [1]);
    return [{ shape, dtype }];
  },
  onnxAttrs: { alpha: "float", beta: "float", transA: "int", transB: "int" },
  grad: ({ node, dys: [dy], needs }) => {
    const [a, b, c] = node.inputs as [Value, Value, Value | undefined];
    const alpha = attrNum(node.attrs, "alpha", 1);
    const beta = attrNum(node.attrs, "beta", 1);
    const ta = attrNum(node.attrs, "transA", 0);
    const tb = attrNum(node.attrs, "transB", 0);
    let d = dy as Value;
    const opA = ta ? transposeLast2(a) : a;
    const opB = tb ? transposeLast2(b) : b;
    const dScaled = alpha === 1 ? d : mul(d, alpha);
    let da: Value | undefined;
    let db: Value | undefined;
    if (needs[0]) {
      const g = matmul(dScaled, transposeLast2(opB)); // d op(A)
      da = ta ? transposeLast2(g) : g;
    }
    if (needs[1]) {
      const g = matmul(transposeLast2(opA), dScaled);
      db = tb ? transposeLast2(g) : g;
    }
    let dc: Value | undefined;
    if (c && needs[2]) {
      if (beta !== 1) d = mul(d, beta);
      dc = unbroadcast(d, c.shape);
    }
    return [da, db, dc];
  },
});

export function gemm(
  a: Value,
  b: Value,
  c?: Value,
  opts: { alpha?: number; beta?: number; transA?: boolean; transB?: boolean } = {},
): Value {
  const attrs = {
    alpha: opts.alpha ?? 1,
    beta: opts.beta ?? 1,
    transA: opts.transA ? 1 : 0,
    transB: opts.transB ? 1 : 0,
  };
  return apply1("Gemm", c ? [a, b, c] : [a, b], attrs);
}

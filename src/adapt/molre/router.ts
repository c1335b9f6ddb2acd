// MoLRE's soft router and what it reports. Each MoLRE layer records its gates in the graph it
// is built into, so the load-balancing loss, router entropy and expert usage can be added as
// extra graph outputs after the forward pass.
import {
  add,
  cast,
  div,
  equal,
  type Graph,
  log,
  matmul,
  mul,
  neg,
  reduceMax,
  reduceMean,
  reduceSum,
  reshape,
  softmax,
  transposeLast2,
  type Value,
} from "../../engine/index.js";

/**
 * g = softmax(W_g · pool(x) / τ) over the K experts. "image" pools the mean over every axis
 * between the batch and the features (the tokens of one sample); "token" routes each token.
 * Returns gates of shape [...x.shape[:-1], K] ("token") or [B, 1…, K] ("image").
 */
export function routerGates(x: Value, wg: Value, routing: "image" | "token", temperature: number): Value {
  const tokenAxes = x.shape.slice(1, -1).map((_, i) => i + 1);
  const pooled = routing === "image" && tokenAxes.length ? reduceMean(x, tokenAxes, true) : x;
  let logits = matmul(pooled.rank === 1 ? reshape(pooled, [1, -1]) : pooled, transposeLast2(wg));
  if (temperature !== 1) logits = div(logits, temperature);
  return softmax(logits, -1);
}

export interface RouterRecord {
  /** Path of the MoLRE layer in the model. */
  path: string;
  adapter: string;
  /** Gates as [U, K]: one row per routing unit (sample for "image", token for "token"). */
  gates: Value;
}

const records = new WeakMap<Graph, RouterRecord[]>();

export function recordGates(path: string, adapter: string, gates: Value): void {
  const k = gates.shape[gates.rank - 1] as number;
  const list = records.get(gates.graph) ?? [];
  records.set(gates.graph, list);
  list.push({ path, adapter, gates: reshape(gates, [-1, k]) });
}

/** Router records of every MoLRE layer built into `graph`, in build order. */
export function routerRecords(graph: Graph): RouterRecord[] {
  return [...(records.get(graph) ?? [])];
}

/**
 * Switch-style load balancing (Fedus et al. 2021), per layer over its U routing units:
 * P_k = mean_u g_uk (differentiable), f_k = mean_u onehot(argmax_j g_uj)_k (no gradient; ties
 * share the unit equally), L = K · Σ_k f_k · P_k (1 when balanced, K when one expert takes all).
 * Returns weight · mean over layers, or undefined when the graph has no MoLRE layer.
 */
export function loadBalanceLoss(graph: Graph, weight = 0.01): Value | undefined {
  const recs = routerRecords(graph);
  if (!recs.length) return undefined;
  let total: Value | undefined;
  for (const { gates } of recs) {
    const k = gates.shape[1] as number;
    const p = reduceMean(gates, [0]);
    const top = cast(equal(gates, reduceMax(gates, [1], true)), gates.dtype);
    const share = div(top, reduceSum(top, [1], true));
    const f = reduceMean(share, [0]);
    const l = mul(reduceSum(mul(f, p)), k);
    total = total ? add(total, l) : l;
  }
  return mul(total as Value, weight / recs.length);
}

/**
 * Per layer: router entropy (mean over units of −Σ_k g log g, in nats; log K is uniform) and
 * expert usage (mean gate per expert, [K]) as graph values to compile as extra outputs, keyed
 * `router.<path>.<adapter>.entropy` / `.usage`.
 */
export function routerStats(graph: Graph): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const { path, adapter, gates } of routerRecords(graph)) {
    const ent = neg(reduceSum(mul(gates, log(add(gates, 1e-20))), [1]));
    out[`router.${path}.${adapter}.entropy`] = reduceMean(ent);
    out[`router.${path}.${adapter}.usage`] = reduceMean(gates, [0]);
  }
  return out;
}

export interface RouterReportRow {
  layer: string;
  adapter: string;
  entropy: number;
  usage: number[];
}

/** Reads the values of `routerStats` outputs back from a run's results. */
export function routerReport(
  results: Readonly<Record<string, ArrayLike<number | bigint>>>,
): RouterReportRow[] {
  const rows: RouterReportRow[] = [];
  for (const key of Object.keys(results)) {
    const m = /^router\.(.+)\.([^.]+)\.entropy$/.exec(key);
    if (!m) continue;
    const usage = results[`router.${m[1]}.${m[2]}.usage`];
    rows.push({
      layer: m[1] as string,
      adapter: m[2] as string,
      entropy: Number((results[key] as ArrayLike<number>)[0]),
      usage: usage ? Array.from(usage as ArrayLike<number>, Number) : [],
    });
  }
  return rows;
}

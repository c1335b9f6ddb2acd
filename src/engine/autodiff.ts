// Reverse-mode autodiff over the IR: walks the nodes between the requested values and the loss
// backwards, asking each op's gradient rule (ops/*.ts) for input gradients, and accumulates them.
// Only values on a path from `wrt` to the loss get gradients, so frozen weights get none.
import { type Shape, shapeStr, type Value } from "./ir/graph.js";
import { add } from "./ops/elementwise.js";
import { opDef } from "./ops/registry.js";
import { expand } from "./ops/shape.js";

/**
 * Gradients of the scalar `loss` with respect to each value of `wrt` (inputs, parameters or
 * intermediate values), as new values of the same graph. A value that does not influence the loss
 * gets a zero gradient.
 */
export function grad(loss: Value, wrt: readonly Value[]): Value[] {
  const g = loss.graph;
  if (loss.size !== 1) throw new Error(`grad: the loss must be a scalar, got shape ${shapeStr(loss.shape)}`);
  for (const w of wrt) if (w.graph !== g) throw new Error(`grad: ${w} belongs to another graph`);
  const end = loss.producer ? g.nodes.indexOf(loss.producer) + 1 : 0;
  const nodes = g.nodes.slice(0, end);

  // Forward pass: which values depend on something in `wrt`.
  const depends = new Set<number>(wrt.map((w) => w.id));
  for (const n of nodes) {
    if (n.inputs.some((x) => depends.has(x.id))) for (const o of n.outputs) depends.add(o.id);
  }

  const grads = new Map<number, Value>();
  grads.set(loss.id, expand(g.scalar(1, loss.dtype), loss.shape));
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k] as (typeof nodes)[number];
    const dys = node.outputs.map((o) => grads.get(o.id));
    if (dys.every((d) => d === undefined)) continue;
    const needs = node.inputs.map((x) => depends.has(x.id));
    if (!needs.some(Boolean)) continue;
    const rule = opDef(node.op).grad;
    if (!rule) throw new Error(`grad: op ${node.op} has no gradient rule`);
    const dxs = rule({ node, dys, needs });
    node.inputs.forEach((x, i) => {
      const dx = dxs[i];
      if (!needs[i] || dx === undefined) return;
      if (!sameShape(dx.shape, x.shape) || dx.dtype !== x.dtype) {
        throw new Error(
          `grad: rule of ${node.op} gave ${shapeStr(dx.shape)}:${dx.dtype} for input ${i} of ${shapeStr(x.shape)}:${x.dtype}`,
        );
      }
      const prev = grads.get(x.id);
      grads.set(x.id, prev ? add(prev, dx) : dx);
    });
  }
  return wrt.map((w) => grads.get(w.id) ?? expand(g.scalar(0, w.dtype), w.shape));
}

/** Gradients of `loss` for every trainable parameter in its graph, keyed by parameter name. */
export function gradTrainable(loss: Value): Record<string, Value> {
  const params = loss.graph.params.filter((p) => p.trainable);
  const gs = grad(loss, params);
  return Object.fromEntries(params.map((p, i) => [p.name, gs[i] as Value]));
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

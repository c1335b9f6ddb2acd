/**
 * A Trainable over an nn module tree (a backbone with adapters plus a task head): its trainable
 * Parameters by state-dict path, emitted through nn's BuildContext, and fresh adapter dropout
 * masks for every step drawn from (seed, step).
 */
import { dropoutFeeds } from "../adapt/base.js";
import type { Graph, Value } from "../engine/index.js";
import { BuildContext, type Module, type Parameter } from "../nn/module.js";
import { mixKey } from "../random/rng.js";
import type { ForwardOutput, GroupSpec, Trainable } from "./trainable.js";

export interface ModuleTrainableOptions {
  /** Emits the model; returns the logits [B, F] (or logits plus an auxiliary loss). */
  forward(ctx: BuildContext, inputs: Readonly<Record<string, Value>>): Value | ForwardOutput;
  groups?: readonly GroupSpec[];
  describe?: Record<string, unknown>;
}

export function moduleTrainable(root: Module, opts: ModuleTrainableOptions): Trainable {
  // Each Parameter once, under its first path (BuildContext names shared ones the same way).
  const params = new Map<string, Parameter>();
  const seen = new Set<Parameter>();
  for (const [name, p] of root.namedParameters()) {
    if (seen.has(p)) continue;
    seen.add(p);
    if (p.trainable) params.set(name, p);
  }
  const t: Trainable = {
    params: () => params,
    forward(g: Graph, inputs, mode): ForwardOutput {
      const out = opts.forward(new BuildContext(root, { graph: g, training: mode.training }), inputs);
      return "logits" in out ? out : { logits: out };
    },
    stepFeeds: (g, at) => dropoutFeeds(g, mixKey(at.seed, at.step)),
  };
  if (opts.groups) t.groups = () => opts.groups!;
  if (opts.describe) t.describe = () => opts.describe!;
  return t;
}

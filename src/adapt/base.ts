// Shared machinery of adapter layers (PEFT's BaseTunerLayer): an adapter layer wraps the base
// layer it adapts (child "base_layer", so base weights keep their place under the wrapper),
// holds named adapters, and can be merged into / unmerged from the base weights, enabled and
// disabled. Methods implement only `delta` (the added output) and `deltaWeight` (its merge).
import { add, type Graph, mul, type Value } from "../engine/index.js";
import { type BuildContext, Linear, Module, type Parameter } from "../nn/index.js";
import { uniform } from "./init.js";

export abstract class AdapterLayer extends Module {
  readonly baseLayer: Module;
  /** Dotted path of this layer in the model it was injected into (names dropout inputs). */
  readonly path: string;
  /** Adapters added to the base output, in order. */
  active: string[] = [];
  /** Adapters currently added into the base weights. */
  readonly merged: string[] = [];
  #enabled = true;

  constructor(base: Module, path: string) {
    super();
    this.baseLayer = this.addModule("base_layer", base);
    this.path = path;
  }

  /** Names of the adapters this layer holds. */
  abstract adapterNames(): string[];
  /** The adapter's contribution to the output for input `x` (`base` is the base layer's output). */
  protected abstract delta(ctx: BuildContext, x: Value, name: string, base: Value): Value;
  /** The adapter as a change of the base weight (same layout); throws when it cannot be merged. */
  abstract deltaWeight(name: string): Float32Array;
  /** Removes an adapter's tensors. */
  protected abstract dropAdapter(name: string): void;
  /** Adapter tensors of `name` in the saved layout: key suffix (after the layer path) → parameter. */
  abstract adapterParams(name: string): Map<string, Parameter>;

  get enabled(): boolean {
    return this.#enabled;
  }

  /** Disabling unmerges first, so a disabled layer computes exactly its base layer. */
  set enabled(on: boolean) {
    if (!on && this.merged.length) this.unmerge();
    this.#enabled = on;
  }

  forward(ctx: BuildContext, x: Value): Value {
    let y = this.baseLayer.forward(ctx, x);
    if (!this.#enabled) return y;
    for (const name of this.active) if (!this.merged.includes(name)) y = add(y, this.delta(ctx, x, name, y));
    return y;
  }

  /** Adds the adapters (default: the active ones) into the base weight. */
  merge(names: readonly string[] = this.active): void {
    const w = baseWeight(this.baseLayer);
    for (const name of names) {
      if (this.merged.includes(name)) continue;
      if (!this.adapterNames().includes(name)) throw new Error(`${this.path}: no adapter "${name}"`);
      const d = this.deltaWeight(name);
      for (let i = 0; i < d.length; i++) w.data[i] = (w.data[i] as number) + (d[i] as number);
      this.merged.push(name);
    }
  }

  /** Subtracts every merged adapter from the base weight, most recent first. */
  unmerge(): void {
    const w = baseWeight(this.baseLayer);
    while (this.merged.length) {
      const name = this.merged.pop() as string;
      const d = this.deltaWeight(name);
      for (let i = 0; i < d.length; i++) w.data[i] = (w.data[i] as number) - (d[i] as number);
    }
  }

  deleteAdapter(name: string): void {
    if (this.merged.includes(name))
      throw new Error(`${this.path}: unmerge adapter "${name}" before deleting it`);
    this.dropAdapter(name);
    this.active = this.active.filter((n) => n !== name);
  }
}

export function baseWeight(m: Module): Parameter {
  const w = m.params.get("weight");
  if (!w) throw new Error("adapter: the base layer has no weight");
  return w;
}

/** Geometry of a convolution base layer, read from its weight [out, in/groups, ...kernel] and fields. */
export interface ConvGeometry {
  inChannels: number;
  outChannels: number;
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
  groups: number;
}

/**
 * Reads a convolution's geometry from the conventional field names (`strides`/`stride`,
 * `pads`/`padding`, `dilations`/`dilation`, `groups`/`group`); a number applies to every axis and a
 * per-axis padding list of length nsp is symmetric. Returns undefined for a module that is not a
 * 2D/3D convolution.
 */
export function convGeometry(m: Module): ConvGeometry | undefined {
  if (m instanceof Linear) return undefined;
  const w = m.params.get("weight");
  if (!w || (w.shape.length !== 4 && w.shape.length !== 5)) return undefined;
  const nsp = w.shape.length - 2;
  // Fields may sit on the module or in an options object (`opts`), as nn's Conv keeps them.
  const own = m as unknown as Record<string, unknown>;
  const nested = (typeof own.opts === "object" && own.opts !== null ? own.opts : {}) as Record<
    string,
    unknown
  >;
  const pick = (...keys: string[]) => keys.flatMap((k) => [own[k], nested[k]]).find((v) => v !== undefined);
  const perAxis = (v: unknown, dflt: number): number[] =>
    typeof v === "number"
      ? new Array(nsp).fill(v)
      : Array.isArray(v)
        ? [...(v as number[])]
        : new Array(nsp).fill(dflt);
  const groups = Number(pick("groups", "group") ?? 1);
  let pads = perAxis(pick("pads", "padding"), 0);
  if (pads.length === nsp) pads = [...pads, ...pads];
  const kernel = w.shape.slice(2);
  return {
    inChannels: (w.shape[1] as number) * groups,
    outChannels: w.shape[0] as number,
    kernel,
    strides: perAxis(pick("strides", "stride"), 1),
    pads,
    dilations: perAxis(pick("dilations", "dilation"), 1),
    groups,
  };
}

/** A base layer an adapter method can wrap: a Linear, or a 2D/3D convolution. */
export type BaseKind =
  | { kind: "linear"; inFeatures: number; outFeatures: number }
  | ({ kind: "conv" } & ConvGeometry);

export function baseKind(m: Module): BaseKind | undefined {
  if (m instanceof Linear) return { kind: "linear", inFeatures: m.inFeatures, outFeatures: m.outFeatures };
  const g = convGeometry(m);
  return g ? { kind: "conv", ...g } : undefined;
}

// ---------- dropout on the adapter path
// The engine has no random ops, so a training graph takes each dropout mask as an input (already
// scaled by 1/(1−p)); `dropoutFeeds` draws fresh masks for every run.

interface DropoutMask {
  name: string;
  shape: number[];
  p: number;
}

const masks = new WeakMap<Graph, DropoutMask[]>();

export function dropout(ctx: BuildContext, x: Value, p: number, name: string): Value {
  if (!ctx.training || p <= 0) return x;
  const list = masks.get(ctx.graph) ?? [];
  masks.set(ctx.graph, list);
  const m = ctx.graph.input(name, x.shape, x.dtype);
  list.push({ name, shape: [...x.shape], p });
  return mul(x, m);
}

/** Fresh dropout masks for every dropout input of `graph` (empty when there are none). */
export function dropoutFeeds(graph: Graph, seed: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  let s = seed;
  for (const d of masks.get(graph) ?? []) {
    const n = d.shape.reduce((a, b) => a * b, 1);
    const u = uniform(n, s++);
    const keep = 1 / (1 - d.p);
    for (let i = 0; i < n; i++) u[i] = (u[i] as number) < d.p ? 0 : keep;
    out[d.name] = u;
  }
  return out;
}

/** Every adapter layer of `root` with its path. */
export function adapterLayers(root: Module): [string, AdapterLayer][] {
  return [...root.namedModules()].filter((e): e is [string, AdapterLayer] => e[1] instanceof AdapterLayer);
}

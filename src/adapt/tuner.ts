// What every layer-wrapping method (LoRA, MoLRE) shares, after PEFT's BaseTuner: find the
// target modules, wrap each in the method's adapter layer (or add an adapter to an existing
// wrapper), freeze the backbone, make modules_to_save trainable, and list the saved tensors.
import { InputError } from "../errors.js";
import type { Module, Parameter } from "../nn/index.js";
import { AdapterLayer, adapterLayers, type BaseKind, baseKind } from "./base.js";
import { type ParamSummary, summarize } from "./fraction.js";
import { KEY_PREFIX } from "./peft-files.js";
import { ALL_LINEAR, findTargets, type TargetSpec } from "./targets.js";

export interface WrapOptions<L extends AdapterLayer> {
  method: string;
  targetModules: TargetSpec;
  modulesToSave: readonly string[];
  excludeModules: readonly string[];
  /** Base kinds the method can wrap. */
  kinds: readonly BaseKind["kind"][];
  /** The adapter layer class (to recognise an existing wrapper). */
  layerClass: abstract new (
    ...args: never[]
  ) => L;
  wrap(base: Module, kind: BaseKind, path: string): L;
  /** Adds the adapter `name` to `layer`; returns the number of parameters it added. */
  addAdapter(layer: L, kind: BaseKind, name: string, path: string): number;
}

/** Injects `name` into every target of `model`; freezes everything else but modules_to_save. */
export function injectLayers<L extends AdapterLayer>(
  model: Module,
  name: string,
  o: WrapOptions<L>,
): ParamSummary {
  const heads = headModules(model, o.modulesToSave);
  const headParams = new Set(heads.flatMap(([, m]) => [...m.namedParameters()].map(([, p]) => p)));
  const backboneParams = [...uniqueParams(model)].filter(
    (p) => !headParams.has(p) && !isAdapterParam(model, p),
  );
  const backboneCount = backboneParams.reduce((n, p) => n + p.size, 0);

  const accept = (m: Module) => {
    const base = m instanceof o.layerClass ? m.baseLayer : m;
    if (m instanceof AdapterLayer && !(m instanceof o.layerClass)) return false;
    const k = baseKind(base);
    if (ALL_LINEAR === o.targetModules) return k?.kind === "linear";
    return k !== undefined && o.kinds.includes(k.kind);
  };
  // Inside a wrapper (its base_layer, its adapter tensors) nothing is a target: the wrapper is.
  const skip = [...o.excludeModules, ...o.modulesToSave];
  const wrappers = adapterLayers(model).map(([p]) => `${p}.`);
  const targets = findTargets(model, o.targetModules, accept, skip).filter(
    (t) => !wrappers.some((w) => t.startsWith(w)),
  );
  if (!targets.length) {
    throw new InputError(
      `${o.method}: target_modules ${JSON.stringify(o.targetModules)} matched no ${o.kinds.join("/")} module of the model`,
    );
  }
  for (const p of uniqueParams(model)) p.trainable = false;
  let added = 0;
  const wrapped: string[] = [];
  const warnings: string[] = [];
  for (const path of targets) {
    const m = model.getModule(path);
    let layer: L;
    if (m instanceof o.layerClass) layer = m;
    else {
      const holder = directReference(model, path, m);
      if (holder !== undefined) {
        // The model would call the old module through that field and bypass the wrapper.
        warnings.push(
          `${o.method}: ${path} skipped: ${holder || "the model"} calls it through a field, not by its path`,
        );
        continue;
      }
      layer = o.wrap(m, baseKind(m) as BaseKind, path);
      model.setModule(path, layer);
    }
    wrapped.push(path);
    if (layer.adapterNames().includes(name))
      throw new InputError(`${path} already has an adapter named "${name}"`);
    added += o.addAdapter(layer, baseKind(layer.baseLayer) as BaseKind, name, path);
    layer.active = [...layer.active, name];
  }
  for (const p of headParams) p.trainable = true;
  // Adapter tensors of this adapter train; other adapters' stay as they were (frozen above).
  for (const [, layer] of adapterLayers(model))
    if (layer.adapterNames().includes(name))
      for (const p of layer.adapterParams(name).values()) p.trainable = true;
  const trainable = [...uniqueParams(model)].filter((p) => p.trainable).reduce((n, p) => n + p.size, 0);
  const summary = summarize(o.method, backboneCount, added, trainable, wrapped);
  summary.warnings.push(...warnings);
  if (!wrapped.length)
    throw new InputError(`${o.method}: no target could be wrapped (${warnings.join("; ")})`);
  return summary;
}

/**
 * The path of an ancestor of `path` that keeps `m` in one of its own fields (so its forward calls
 * `this.field.forward` rather than `getModule`), or undefined when none does.
 */
function directReference(model: Module, path: string, m: Module): string | undefined {
  const parts = path.split(".");
  for (let i = parts.length - 1; i >= 0; i--) {
    const ancestorPath = parts.slice(0, i).join(".");
    const ancestor = model.getModule(ancestorPath);
    for (const v of Object.values(ancestor)) if (v === m) return ancestorPath;
  }
  return undefined;
}

/** Saved tensors of adapter `name`: each layer's tensors, then modules_to_save's parameters. */
export function layerTensors(
  model: Module,
  name: string,
  modulesToSave: readonly string[],
): Map<string, Parameter> {
  const out = new Map<string, Parameter>();
  for (const [path, layer] of adapterLayers(model)) {
    if (!layer.adapterNames().includes(name)) continue;
    for (const [suffix, p] of layer.adapterParams(name)) out.set(`${KEY_PREFIX}${path}.${suffix}`, p);
  }
  for (const [k, p] of headTensors(model, modulesToSave)) out.set(k, p);
  return out;
}

/** modules_to_save parameters under PEFT's key (`base_model.model.<path>.<param>`). */
export function headTensors(model: Module, modulesToSave: readonly string[]): Map<string, Parameter> {
  const out = new Map<string, Parameter>();
  for (const [path, m] of headModules(model, modulesToSave))
    for (const [pn, p] of m.namedParameters()) out.set(`${KEY_PREFIX}${path}.${pn}`, p);
  return out;
}

/** Modules named by modules_to_save (PEFT: equal to an entry or ending with "." + entry). */
export function headModules(model: Module, modulesToSave: readonly string[]): [string, Module][] {
  const out: [string, Module][] = [];
  for (const [path, m] of model.namedModules()) {
    if (path === "") continue;
    if (modulesToSave.some((t) => path === t || path.endsWith(`.${t}`))) out.push([path, m]);
  }
  const missing = modulesToSave.filter((t) => !out.some(([p]) => p === t || p.endsWith(`.${t}`)));
  if (missing.length)
    throw new InputError(`modules_to_save: no module named ${missing.join(", ")} in the model`);
  return out;
}

export function uniqueParams(model: Module): Set<Parameter> {
  return new Set([...model.namedParameters()].map(([, p]) => p));
}

function isAdapterParam(model: Module, p: Parameter): boolean {
  for (const [, layer] of adapterLayers(model))
    for (const name of layer.adapterNames())
      for (const q of layer.adapterParams(name).values()) if (q === p) return true;
  return false;
}

// ---------- reading config fields under PEFT's or medadapt's names

export class Fields {
  constructor(
    private readonly raw: Readonly<Record<string, unknown>>,
    private readonly source: string | undefined,
    private readonly what: string,
  ) {}

  private get(names: readonly string[]): unknown {
    for (const n of names) if (this.raw[n] !== undefined && this.raw[n] !== null) return this.raw[n];
    return undefined;
  }

  private bad(names: readonly string[], want: string): never {
    throw new InputError(`${this.what}: ${names[0]} must be ${want}`, this.source);
  }

  num(
    names: readonly string[],
    dflt: number,
    check: (v: number) => boolean = () => true,
    want = "a number",
  ): number {
    const v = this.get(names);
    if (v === undefined) return dflt;
    if (typeof v !== "number" || !Number.isFinite(v) || !check(v)) this.bad(names, want);
    return v;
  }

  bool(names: readonly string[], dflt: boolean): boolean {
    const v = this.get(names);
    if (v === undefined) return dflt;
    if (typeof v !== "boolean") this.bad(names, "true or false");
    return v;
  }

  str<T extends string>(names: readonly string[], dflt: T, allowed?: readonly T[]): T {
    const v = this.get(names);
    if (v === undefined) return dflt;
    if (typeof v !== "string" || (allowed && !allowed.includes(v as T)))
      this.bad(names, allowed ? `one of ${allowed.join(", ")}` : "a string");
    return v as T;
  }

  strOrNull(names: readonly string[]): string | null {
    const v = this.get(names);
    if (v === undefined) return null;
    if (typeof v !== "string") this.bad(names, "a string");
    return v;
  }

  list(names: readonly string[], dflt: readonly string[]): string[] {
    const v = this.get(names);
    if (v === undefined) return [...dflt];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) this.bad(names, "a list of strings");
    return [...(v as string[])];
  }

  /** A list of names or one regular expression (PEFT's target_modules). */
  targets(names: readonly string[], dflt: TargetSpec): TargetSpec {
    const v = this.get(names);
    if (v === undefined) return dflt;
    if (typeof v === "string") {
      try {
        new RegExp(v);
      } catch (e) {
        throw new InputError(
          `${this.what}: ${names[0]} is not a valid regular expression (${(e as Error).message})`,
          this.source,
        );
      }
      return v;
    }
    if (!Array.isArray(v) || !v.length || v.some((x) => typeof x !== "string"))
      this.bad(names, "a non-empty list of module names or a regular expression");
    return [...(v as string[])];
  }
}

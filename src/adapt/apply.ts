// The user-facing entry points: apply a method to a model, save and load it in PEFT's layout.
import { join } from "node:path";
import { InputError } from "../errors.js";
import type { Module } from "../nn/index.js";
import { adapterLayers } from "./base.js";
import type { ParamSummary } from "./fraction.js";
import { CONFIG_FILE, readAdapterConfig, readAdapterTensors, writeAdapterFolder } from "./peft-files.js";
import { adapterMethod, adapterMethodByPeftType, appliedAdapter, recordApplied } from "./registry.js";

export interface ApplyOptions extends Record<string, unknown> {
  method: string;
  /** Name of the adapter on the model (default "default", PEFT's). */
  adapterName?: string;
}

/**
 * Applies an adaptation method ("linear_probe", "full", "lora", "molre", or any registered one)
 * to `model`: sets which parameters train, wraps target layers, and returns the parameter
 * summary (trainable, added, fraction of the backbone, warnings).
 */
export function applyMethod(model: Module, opts: ApplyOptions): ParamSummary {
  const { method: name, adapterName = "default", ...raw } = opts;
  const method = adapterMethod(name);
  const config = method.configFrom(raw);
  const summary = method.inject(model, config, adapterName);
  recordApplied(model, adapterName, method, config);
  return summary;
}

/** Writes `dir/adapter_config.json` and `dir/adapter_model.safetensors` for one adapter. */
export async function saveAdapter(model: Module, dir: string, adapterName = "default"): Promise<void> {
  const { method, config } = appliedAdapter(model, adapterName);
  await writeAdapterFolder(dir, method.toJson(config), method.tensors(model, config, adapterName));
}

/**
 * Reads an adapter folder (written by medadapt or by PEFT), applies its method to `model` under
 * `adapterName` and fills its tensors; keys are checked against the model first.
 */
export async function loadAdapter(
  model: Module,
  dir: string,
  adapterName = "default",
): Promise<{ method: string; config: unknown; summary: ParamSummary }> {
  const source = join(dir, CONFIG_FILE);
  const json = await readAdapterConfig(dir);
  if (typeof json.peft_type !== "string") throw new InputError("no peft_type", source);
  const method = adapterMethodByPeftType(json.peft_type, source);
  const config = method.configFrom(json, source);
  // The keys can only be checked once the method is in place; undo it if they do not fit.
  const undo = snapshot(model, adapterName);
  try {
    const summary = method.inject(model, config, adapterName);
    await readAdapterTensors(dir, method.tensors(model, config, adapterName));
    recordApplied(model, adapterName, method, config);
    return { method: method.name, config, summary };
  } catch (err) {
    undo();
    throw err;
  }
}

/**
 * The summary `applyMethod` would return (targets, added parameters, fraction, warnings), with
 * the model left unchanged: for listing the cost of configurations before choosing one.
 */
export function planMethod(model: Module, opts: ApplyOptions): ParamSummary {
  const { method: name, adapterName = "default", ...raw } = opts;
  const method = adapterMethod(name);
  const config = method.configFrom(raw);
  const undo = snapshot(model, adapterName);
  try {
    return method.inject(model, config, adapterName);
  } finally {
    undo();
  }
}

/** Records the module tree and trainability; the returned function restores them. */
function snapshot(model: Module, adapterName: string): () => void {
  const modules = new Map(model.namedModules());
  const flags = new Map([...model.namedParameters()].map(([, p]) => [p, p.trainable]));
  const had = new Set(
    adapterLayers(model)
      .filter(([, l]) => l.adapterNames().includes(adapterName))
      .map(([, l]) => l),
  );
  return () => {
    for (const [, l] of adapterLayers(model))
      if (!had.has(l) && l.adapterNames().includes(adapterName)) l.deleteAdapter(adapterName);
    for (const [path, m] of modules) if (path !== "" && model.getModule(path) !== m) model.setModule(path, m);
    for (const [p, t] of flags) p.trainable = t;
  };
}

// LoRA's tuner: wraps the target layers of a model in LoraLayers.
import type { Module, Parameter } from "../../nn/index.js";
import type { ParamSummary } from "../fraction.js";
import { injectLayers, layerTensors } from "../tuner.js";
import type { LoraConfig } from "./config.js";
import { LoraLayer } from "./layer.js";

export function injectLora(model: Module, c: LoraConfig, name: string): ParamSummary {
  return injectLayers(model, name, {
    method: "lora",
    targetModules: c.targetModules,
    modulesToSave: c.modulesToSave,
    excludeModules: c.excludeModules,
    kinds: ["linear", "conv"],
    layerClass: LoraLayer,
    wrap: (base, kind, path) => new LoraLayer(base, kind, path),
    addAdapter: (layer, _kind, n) =>
      layer.addAdapter(n, {
        r: c.r,
        alpha: c.alpha,
        dropout: c.dropout,
        useRslora: c.useRslora,
        init: c.init,
        seed: c.seed,
      }),
  });
}

export function loraTensors(model: Module, c: LoraConfig, name: string): Map<string, Parameter> {
  return layerTensors(model, name, c.modulesToSave);
}

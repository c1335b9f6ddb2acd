// MoLRE's tuner: wraps the target Linears and convolutions of a model in MolreLayers.
import type { Module, Parameter } from "../../nn/index.js";
import type { ParamSummary } from "../fraction.js";
import { injectLayers, layerTensors } from "../tuner.js";
import type { MolreConfig } from "./config.js";
import { MolreLayer } from "./layer.js";

export function injectMolre(model: Module, c: MolreConfig, name: string): ParamSummary {
  return injectLayers(model, name, {
    method: "molre",
    targetModules: c.targetModules,
    modulesToSave: c.modulesToSave,
    excludeModules: c.excludeModules,
    kinds: ["linear", "conv"],
    layerClass: MolreLayer,
    wrap: (base, kind, path) => new MolreLayer(base, kind, path),
    addAdapter: (layer, _kind, n) =>
      layer.addAdapter(n, {
        r: c.r,
        alpha: c.alpha,
        numExperts: c.numExperts,
        routing: c.routing,
        temperature: c.temperature,
        dropout: c.dropout,
        init: c.init,
        seed: c.seed,
      }),
  });
}

export function molreTensors(model: Module, c: MolreConfig, name: string): Map<string, Parameter> {
  return layerTensors(model, name, c.modulesToSave);
}

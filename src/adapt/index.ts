// Adapters: LoRA, MoLRE and the baselines behind one API (applyMethod / saveAdapter /
// loadAdapter), saved in PEFT's folder layout. Importing this module registers every method.
import "./lora/index.js";
import "./molre/index.js";
import "./baselines/index.js";

export { type ApplyOptions, applyMethod, loadAdapter, planMethod, saveAdapter } from "./apply.js";
export { AdapterLayer, adapterLayers, dropoutFeeds } from "./base.js";
export { FRACTION_WARN, loraLayerParams, molreLayerParams, type ParamSummary } from "./fraction.js";
export * from "./lora/index.js";
export * from "./molre/index.js";
export { CONFIG_FILE as ADAPTER_CONFIG_FILE, WEIGHTS_FILE as ADAPTER_WEIGHTS_FILE } from "./peft-files.js";
export { type AdapterMethod, adapterMethod, adapterMethodNames, registerAdapter } from "./registry.js";
export { ALL_LINEAR, findTargets, matchesTarget, type TargetSpec } from "./targets.js";

// LoRA's configuration, with PEFT's LoraConfig field names on disk.

import type { TargetSpec } from "../targets.js";
import { Fields } from "../tuner.js";

export interface LoraConfig {
  /** Rank r of the update B·A. */
  r: number;
  /** lora_alpha: the update is scaled by alpha/r (alpha/√r with useRslora). */
  alpha: number;
  /** lora_dropout: dropout on the adapter's input while training. */
  dropout: number;
  /** Module names/suffixes, or one full-match regular expression, or "all-linear". */
  targetModules: TargetSpec;
  /** Modules never wrapped (names or suffixes). */
  excludeModules: string[];
  /** "kaiming": A kaiming-uniform(a=√5), B zeros (PEFT's default, init_lora_weights=true);
   * "gaussian": A normal(0, 1/r²), B zeros; "random": B kaiming too (a non-zero start, for tests). */
  init: "kaiming" | "gaussian" | "random";
  bias: "none";
  /** Modules trained whole and saved with the adapter (e.g. a classification head). */
  modulesToSave: string[];
  fanInFanOut: false;
  useRslora: boolean;
  baseModelNameOrPath: string | null;
  /** Seed of the initialisation. */
  seed: number;
}

/** AnyMC3D's plugin default: r 8, α 16 on the patch embedding and every attention projection. */
export const LORA_DEFAULT_TARGETS: readonly string[] = [
  // DINOv2
  "attention.attention.query",
  "attention.attention.key",
  "attention.attention.value",
  "attention.output.dense",
  "patch_embeddings.projection",
  // SigLIP / MedSigLIP / MedGemma vision tower
  "self_attn.q_proj",
  "self_attn.k_proj",
  "self_attn.v_proj",
  "self_attn.out_proj",
  "embeddings.patch_embedding",
  // DINOv3
  "attention.q_proj",
  "attention.k_proj",
  "attention.v_proj",
  "attention.o_proj",
  "embeddings.patch_embeddings",
  // fused qkv / proj (timm-style ViTs)
  "attn.qkv",
  "attn.proj",
];

export function loraConfigFrom(raw: Readonly<Record<string, unknown>>, source?: string): LoraConfig {
  const f = new Fields(raw, source, "LoRA config");
  const r = f.num(["r"], 8, (v) => Number.isInteger(v) && v > 0, "a positive integer");
  const initRaw = raw.init_lora_weights ?? raw.init;
  let init: LoraConfig["init"] = "kaiming";
  if (initRaw === true || initRaw === undefined || initRaw === "kaiming") init = "kaiming";
  else if (initRaw === "gaussian") init = "gaussian";
  else if (initRaw === false || initRaw === "random") init = "random";
  else f.str(["init_lora_weights", "init"], "kaiming", ["kaiming", "gaussian", "random"]);
  if (raw.fan_in_fan_out === true || raw.fanInFanOut === true)
    f.str(["fan_in_fan_out", "fanInFanOut"], "false", ["false"]);
  for (const [key, off] of [
    ["use_dora", false],
    ["lora_bias", false],
  ] as const)
    if (raw[key] !== undefined && raw[key] !== off) f.str([key], "false", ["false"]);
  return {
    r,
    alpha: f.num(["lora_alpha", "alpha"], 2 * r, (v) => v > 0, "a positive number"),
    dropout: f.num(["lora_dropout", "dropout"], 0, (v) => v >= 0 && v < 1, "in [0, 1)"),
    targetModules: f.targets(["target_modules", "targetModules"], LORA_DEFAULT_TARGETS),
    excludeModules: f.list(["exclude_modules", "excludeModules"], []),
    init,
    bias: f.str(["bias"], "none", ["none"]),
    modulesToSave: f.list(["modules_to_save", "modulesToSave"], []),
    fanInFanOut: false,
    useRslora: f.bool(["use_rslora", "useRslora"], false),
    baseModelNameOrPath: f.strOrNull(["base_model_name_or_path", "baseModelNameOrPath"]),
    seed: f.num(["seed"], 0, Number.isInteger, "an integer"),
  };
}

/** adapter_config.json as PEFT's LoraConfig.to_dict() writes it (fields PEFT would need to load it). */
export function loraConfigJson(c: LoraConfig): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: c.baseModelNameOrPath,
    bias: c.bias,
    exclude_modules: c.excludeModules.length ? c.excludeModules : null,
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: c.init === "kaiming" ? true : c.init === "gaussian" ? "gaussian" : false,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: c.alpha,
    lora_bias: false,
    lora_dropout: c.dropout,
    modules_to_save: c.modulesToSave.length ? c.modulesToSave : null,
    peft_type: "LORA",
    r: c.r,
    rank_pattern: {},
    revision: null,
    target_modules: c.targetModules,
    task_type: null,
    use_dora: false,
    use_rslora: c.useRslora,
  };
}

export function loraScaling(c: { r: number; alpha: number; useRslora: boolean }): number {
  return c.useRslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

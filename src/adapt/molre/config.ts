// MoLRE's configuration (METHODS.md §1), saved as a PEFT-like adapter_config.json
// (peft_type "MOLRE"; LoRA's field names where the meaning is the same).
import type { TargetSpec } from "../targets.js";
import { Fields } from "../tuner.js";

export type Routing = "image" | "token";

export interface MolreConfig {
  /** Rank of each expert. */
  r: number;
  /** Each expert's update is scaled by alpha/r (default α = 2r). */
  alpha: number;
  /** Number of experts K per adapted layer. */
  numExperts: number;
  /** "image": one gate vector per sample (router sees the mean over tokens); "token": per token. */
  routing: Routing;
  /** Softmax temperature τ of the router. */
  temperature: number;
  /** Weight of the Switch-style load-balancing loss (0: none); see docs/adapters.md. */
  loadBalanceWeight: number;
  dropout: number;
  targetModules: TargetSpec;
  excludeModules: string[];
  modulesToSave: string[];
  /** "kaiming": experts' A kaiming-uniform, B zeros, router zeros; "random": B and router random too (tests). */
  init: "kaiming" | "random";
  baseModelNameOrPath: string | null;
  seed: number;
}

/** Attention q and v projections of the supported architectures (DINOv2, SigLIP, DINOv3). */
export const MOLRE_DEFAULT_TARGETS: readonly string[] = ["query", "value", "q_proj", "v_proj"];

/**
 * A MoLRE setting below the paper's 0.5 % budget on ViT-S and ViT-B: K 4 experts of rank 2 on the
 * attention value projections (DINOv2's `value`, DINOv3/SigLIP's `v_proj`), α = 2r. Added per layer:
 * 4·2·(D + D) + 4·D = 20·D — 0.418 % of DINOv2-S (D 384), 0.213 % of DINOv2-B (D 768). The
 * default (K 4, r 4 on q and v) adds 0.77 % of ViT-B. Small backbones are above 0.5 % whatever the
 * preset: the demo ViT (D 96, 4 layers, 473,280 parameters) gets 1.62 %.
 */
export const MOLRE_LITE: Readonly<{
  r: number;
  num_experts: number;
  molre_alpha: number;
  target_modules: string[];
}> = { r: 2, num_experts: 4, molre_alpha: 4, target_modules: ["value", "v_proj"] };

export function molreConfigFrom(raw: Readonly<Record<string, unknown>>, source?: string): MolreConfig {
  const f = new Fields(raw, source, "MoLRE config");
  const r = f.num(["r"], 4, (v) => Number.isInteger(v) && v > 0, "a positive integer");
  const initRaw = raw.init_molre_weights ?? raw.init;
  const init: MolreConfig["init"] =
    initRaw === false || initRaw === "random"
      ? "random"
      : initRaw === undefined || initRaw === true || initRaw === "kaiming"
        ? "kaiming"
        : f.str(["init_molre_weights", "init"], "kaiming", ["kaiming", "random"]);
  return {
    r,
    alpha: f.num(["molre_alpha", "alpha", "lora_alpha"], 2 * r, (v) => v > 0, "a positive number"),
    numExperts: f.num(
      ["num_experts", "numExperts", "K"],
      4,
      (v) => Number.isInteger(v) && v > 0,
      "a positive integer",
    ),
    routing: f.str(["routing"], "image", ["image", "token"]),
    temperature: f.num(["temperature", "tau"], 1, (v) => v > 0, "a positive number"),
    loadBalanceWeight: f.num(["load_balance_weight", "loadBalanceWeight"], 0.01, (v) => v >= 0, "≥ 0"),
    dropout: f.num(["molre_dropout", "dropout", "lora_dropout"], 0, (v) => v >= 0 && v < 1, "in [0, 1)"),
    targetModules: f.targets(["target_modules", "targetModules"], MOLRE_DEFAULT_TARGETS),
    excludeModules: f.list(["exclude_modules", "excludeModules"], []),
    modulesToSave: f.list(["modules_to_save", "modulesToSave"], []),
    init,
    baseModelNameOrPath: f.strOrNull(["base_model_name_or_path", "baseModelNameOrPath"]),
    seed: f.num(["seed"], 0, Number.isInteger, "an integer"),
  };
}

export function molreConfigJson(c: MolreConfig): Record<string, unknown> {
  return {
    base_model_name_or_path: c.baseModelNameOrPath,
    bias: "none",
    exclude_modules: c.excludeModules.length ? c.excludeModules : null,
    inference_mode: true,
    init_molre_weights: c.init === "kaiming",
    load_balance_weight: c.loadBalanceWeight,
    modules_to_save: c.modulesToSave.length ? c.modulesToSave : null,
    molre_alpha: c.alpha,
    molre_dropout: c.dropout,
    num_experts: c.numExperts,
    peft_type: "MOLRE",
    r: c.r,
    routing: c.routing,
    target_modules: c.targetModules,
    task_type: null,
    temperature: c.temperature,
  };
}

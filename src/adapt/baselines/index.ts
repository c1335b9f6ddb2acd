// The baselines in the adapter API: a frozen backbone with a trained linear head
// ("linear_probe") and full fine-tuning ("full"). Neither adds parameters; both save in the same
// folder layout (peft_type LINEAR_PROBE / FULL; tensors under base_model.model.<path>).
import { InputError } from "../../errors.js";
import type { Module, Parameter } from "../../nn/index.js";
import { summarize } from "../fraction.js";
import { KEY_PREFIX } from "../peft-files.js";
import { registerAdapter } from "../registry.js";
import { Fields, headModules, headTensors, uniqueParams } from "../tuner.js";

export interface LinearProbeConfig {
  /** The head module(s): names or suffixes (PEFT's modules_to_save). */
  modulesToSave: string[];
}

export interface FullConfig {
  /** Modules left frozen (names or suffixes), e.g. the patch embedding. */
  frozenModules: string[];
  /** Head modules (counted apart from the backbone in the summary). */
  modulesToSave: string[];
}

const DEFAULT_HEADS = ["classifier", "head"];

function presentHeads(model: Module, names: readonly string[]): string[] {
  return names.filter((t) =>
    [...model.namedModules()].some(([p]) => p !== "" && (p === t || p.endsWith(`.${t}`))),
  );
}

registerAdapter<LinearProbeConfig>({
  name: "linear_probe",
  peftType: "LINEAR_PROBE",
  configFrom: (raw, source) => ({
    modulesToSave: new Fields(raw, source, "linear probe config").list(
      ["modules_to_save", "modulesToSave", "head"],
      DEFAULT_HEADS,
    ),
  }),
  inject: (model, c) => {
    const names = presentHeads(model, c.modulesToSave);
    if (!names.length)
      throw new InputError(`linear_probe: no head module named ${c.modulesToSave.join(" or ")} in the model`);
    c.modulesToSave = names;
    const heads = new Set(
      headModules(model, names).flatMap(([, m]) => [...m.namedParameters()].map(([, p]) => p)),
    );
    let backbone = 0;
    let trainable = 0;
    for (const p of uniqueParams(model)) {
      p.trainable = heads.has(p);
      if (p.trainable) trainable += p.size;
      else backbone += p.size;
    }
    return summarize("linear_probe", backbone, 0, trainable, []);
  },
  toJson: (c) => ({
    peft_type: "LINEAR_PROBE",
    modules_to_save: c.modulesToSave,
    inference_mode: true,
    task_type: null,
  }),
  tensors: (model, c) => headTensors(model, c.modulesToSave),
});

registerAdapter<FullConfig>({
  name: "full",
  peftType: "FULL",
  configFrom: (raw, source) => {
    const f = new Fields(raw, source, "full fine-tuning config");
    return {
      frozenModules: f.list(["frozen_modules", "frozenModules"], []),
      modulesToSave: f.list(["modules_to_save", "modulesToSave", "head"], []),
    };
  },
  inject: (model, c) => {
    const frozen = new Set(
      [...model.namedModules()]
        .filter(([p]) => p !== "" && c.frozenModules.some((t) => p === t || p.endsWith(`.${t}`)))
        .flatMap(([, m]) => [...m.namedParameters()].map(([, p]) => p)),
    );
    const heads = new Set(
      headModules(model, c.modulesToSave).flatMap(([, m]) => [...m.namedParameters()].map(([, p]) => p)),
    );
    let backbone = 0;
    let trainable = 0;
    for (const p of uniqueParams(model)) {
      p.trainable = !frozen.has(p);
      if (p.trainable) trainable += p.size;
      if (!heads.has(p)) backbone += p.size;
    }
    return summarize("full", backbone, 0, trainable, []);
  },
  toJson: (c) => ({
    peft_type: "FULL",
    frozen_modules: c.frozenModules,
    modules_to_save: c.modulesToSave,
    inference_mode: true,
    task_type: null,
  }),
  // Every weight: a fully fine-tuned model is its own checkpoint.
  tensors: (model) => {
    const out = new Map<string, Parameter>();
    const seen = new Set<Parameter>();
    for (const [k, p] of model.namedParameters()) {
      if (seen.has(p)) continue;
      seen.add(p);
      out.set(`${KEY_PREFIX}${k}`, p);
    }
    return out;
  },
});

/**
 * The training config (`medadapt train --config FILE`, JSON or YAML): its schema, defaults
 * (METHODS.md §1–2) and validation. The `data` and `model` sections are checked for their common
 * keys here and otherwise passed through to the layers that own them.
 */
import { readConfigFile } from "../config/file.js";
import { type FieldSpec, resolve } from "../config/schema.js";
import { augmentConfig } from "../data/augment.js";
import { preprocessConfig } from "../data/config.js";
import { InputError } from "../errors.js";
import type { GroupSpec } from "./trainable.js";

export interface LossConfig {
  kind: "focal" | "bce";
  gamma: number;
  alpha: number;
  /** "prevalence": pos_weight = n_neg/n_pos per finding of the training labels. */
  posWeight: "none" | "prevalence";
  maxPosWeight: number;
}

export interface EarlyStoppingConfig {
  /** Epochs without an improvement of the validation mean AUC before stopping; 0 = never stop. */
  patience: number;
  /** An improvement must exceed the best so far by more than this. */
  minDelta: number;
}

export interface TrainSection {
  epochs: number;
  batchSize: number;
  /** Top-level AdamW settings, for parameters no group selects. */
  lr: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  groups: GroupSpec[];
  /** Max global gradient norm; 0 disables clipping. */
  clipGradNorm: number;
  schedule: "warmup-cosine" | "constant";
  /** Linear warmup length in epochs (fractions allowed; converted to steps). */
  warmupEpochs: number;
  /** Final lr as a fraction of each group's lr. */
  minLrFactor: number;
  loss: LossConfig;
  earlyStopping: EarlyStoppingConfig;
  /** ONNX Runtime intra-op threads (0 = its default). */
  threads: number;
  /** Also checkpoint (last/ only) every this many steps inside an epoch; 0 = at epoch ends only. */
  checkpointEverySteps: number;
}

export interface TrainConfig {
  seed: number;
  runDir: string;
  /** Manifest, findings, split, preprocessing, augmentation: validated by the data layer. */
  data: Record<string, unknown>;
  /** Backbone, method, adapter settings: validated by the model layer. */
  model: Record<string, unknown>;
  train: TrainSection;
}

/** AnyMC3D's two optimizer groups: adapters (LoRA/MoLRE) and the task head with its query. */
export const DEFAULT_GROUPS: readonly GroupSpec[] = [
  { name: "adapter", match: "lora_|molre_", lr: 1e-4, weightDecay: 1e-5 },
  { name: "head", match: "(^|\\.)(head|query)(\\.|$)", lr: 1e-3, weightDecay: 1e-4 },
];

// Optional numbers inside a group: a field without a default is required, so a group's own lr
// and weight decay default to this sentinel, removed after validation.
const OPTIONAL = Number.NaN;

export const TRAIN_CONFIG_SCHEMA: FieldSpec = {
  type: "object",
  fields: {
    seed: { type: "number", integer: true, min: 0, max: 2 ** 32 - 1, default: 0 },
    runDir: { type: "string", nonEmpty: true, default: "runs/train" },
    data: {
      type: "object",
      open: true,
      fields: {
        manifest: { type: "string", default: "" },
        findings: { type: "array", items: { type: "string", nonEmpty: true }, default: [] },
        split: {
          type: "object",
          optional: true,
          fields: {
            fractions: {
              type: "object",
              optional: true,
              fields: {
                train: { type: "number", min: 0, max: 1 },
                val: { type: "number", min: 0, max: 1 },
                test: { type: "number", min: 0, max: 1 },
              },
            },
            seed: { type: "number", integer: true, min: 0, default: 0 },
            force: { type: "boolean", default: false },
          },
        },
        // Checked and completed by the data layer (below).
        preprocess: { type: "record", default: {} },
        augment: { type: "record", optional: true },
      },
    },
    model: {
      type: "object",
      open: true,
      fields: {
        backbone: { type: "string", default: "" },
        method: { type: "string", default: "molre" },
      },
    },
    train: {
      type: "object",
      fields: {
        epochs: { type: "number", integer: true, min: 1, default: 20 },
        batchSize: { type: "number", integer: true, min: 1, default: 8 },
        lr: { type: "number", gt: 0, default: 1e-3 },
        weightDecay: { type: "number", min: 0, default: 1e-4 },
        betas: {
          type: "array",
          items: { type: "number", min: 0, lt: 1 },
          minItems: 2,
          maxItems: 2,
          default: [0.9, 0.999],
        },
        eps: { type: "number", min: 0, default: 1e-8 },
        groups: {
          type: "array",
          items: {
            type: "object",
            fields: {
              name: { type: "string", nonEmpty: true },
              match: { type: "regex" },
              lr: { type: "number", gt: 0, default: OPTIONAL },
              weightDecay: { type: "number", min: 0, default: OPTIONAL },
            },
          },
          default: DEFAULT_GROUPS.map((g) => ({ ...g })),
        },
        clipGradNorm: { type: "number", min: 0, default: 1 },
        schedule: { type: "string", oneOf: ["warmup-cosine", "constant"], default: "warmup-cosine" },
        warmupEpochs: { type: "number", min: 0, default: 1 },
        minLrFactor: { type: "number", min: 0, max: 1, default: 0 },
        loss: {
          type: "object",
          fields: {
            kind: { type: "string", oneOf: ["focal", "bce"], default: "focal" },
            gamma: { type: "number", min: 0, default: 2 },
            alpha: { type: "number", max: 1, default: 0.25 },
            posWeight: { type: "string", oneOf: ["none", "prevalence"], default: "none" },
            maxPosWeight: { type: "number", min: 1, default: 100 },
          },
        },
        earlyStopping: {
          type: "object",
          fields: {
            patience: { type: "number", integer: true, min: 0, default: 5 },
            minDelta: { type: "number", min: 0, default: 0 },
          },
        },
        threads: { type: "number", integer: true, min: 0, default: 0 },
        checkpointEverySteps: { type: "number", integer: true, min: 0, default: 0 },
      },
    },
  },
};

/**
 * The complete config from a partial one: defaults filled in, every problem reported at once in
 * one InputError naming `source` ("train.lr must be > 0, got -1; train.epoch is not a known key
 * (did you mean "train.epochs"?)").
 */
export function trainConfig(partial: unknown = {}, source = "train config"): TrainConfig {
  const errors: string[] = [];
  const out = resolve(TRAIN_CONFIG_SCHEMA, partial, "", errors) as TrainConfig;
  if (errors.length === 0) {
    const names = new Set<string>();
    out.train.groups.forEach((g, i) => {
      if (names.has(g.name) || g.name === "default")
        errors.push(`train.groups[${i}].name "${g.name}" is used twice or reserved ("default")`);
      names.add(g.name);
      for (const k of ["lr", "weightDecay"] as const) if (Number.isNaN(g[k])) delete g[k];
    });
    const fr = (out.data.split as { fractions?: Record<string, number> } | undefined)?.fractions;
    if (fr) {
      const sum = (fr.train ?? 0) + (fr.val ?? 0) + (fr.test ?? 0);
      if (Math.abs(sum - 1) > 1e-9) errors.push(`data.split.fractions must sum to 1, got ${sum}`);
    }
    // The data layer's own validators, their messages placed under "data.".
    const delegate = (key: string, check: (v: never) => unknown) => {
      if (out.data[key] === undefined) return;
      try {
        out.data[key] = check(out.data[key] as never);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        errors.push(`data.${err.message}`);
      }
    };
    delegate("preprocess", (v) => preprocessConfig(v));
    delegate("augment", (v) => augmentConfig(v));
  }
  if (errors.length > 0) throw new InputError(errors.join("; "), source);
  return out;
}

/** Reads and validates a config file: `.yaml`/`.yml` as YAML, anything else as JSON. */
export async function loadTrainConfig(path: string): Promise<TrainConfig> {
  return trainConfig(await readConfigFile(path), path);
}

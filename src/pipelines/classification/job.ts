/**
 * `medadapt train`: a validated training config → manifest, splits, preprocessing and loader
 * (src/data), the AnyMC3D model (build.ts), the trainer and its run folder (src/train).
 */
import { existsSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve as resolvePath } from "node:path";
import { type ParamSummary, saveAdapter } from "../../adapt/index.js";
import type { AugmentConfig } from "../../data/augment.js";
import { channelsPerImage, type PreprocessConfig } from "../../data/config.js";
import { readManifest } from "../../data/manifest.js";
import { casesIn, resolveSplits, type SplitOptions } from "../../data/splits.js";
import { InputError } from "../../errors.js";
import { writeFileAtomic } from "../../io/atomic.js";
import type { AnyMc3d } from "../../tasks/classification/anymc3d.js";
import {
  type BuiltTaskModel,
  buildTaskModel,
  isKnownBackbone,
  taskModelConfig,
} from "../../tasks/classification/build.js";
import { Native3d } from "../../tasks/classification/native3d.js";
import { findCheckpoint, readCheckpoint, restoreParams } from "../../train/checkpoint.js";
import { loadTrainConfig, type TrainConfig } from "../../train/config.js";
import { loaderData } from "../../train/loader-data.js";
import { RunDir } from "../../train/run-dir.js";
import type { TrainData } from "../../train/trainable.js";
import { resume, type TrainOptions, type TrainResult, train } from "../../train/trainer.js";
import type { Plane } from "../../volume/slices.js";
import { auxLoaderData } from "./aux-data.js";
import { anyMc3dTrainable } from "./trainable.js";

export interface TaskSetup {
  config: TrainConfig;
  findings: string[];
  /** Images (contrasts, phases) per case: their CT windows are stacked as channels. */
  imagesPerCase: number;
  built: BuiltTaskModel;
  data: TrainData;
  cases: { train: number; val: number; test: number };
}

/**
 * Reads a config file and makes its relative paths (manifest, backbone folder) absolute against
 * the file's folder, so the run folder's copy works from anywhere (resume, predict).
 */
export async function readTaskConfig(path: string): Promise<TrainConfig> {
  const cfg = await loadTrainConfig(path);
  const base = dirname(resolvePath(path));
  const manifest = cfg.data.manifest as string;
  if (manifest === "") throw new InputError("data.manifest is required", path);
  if (!isAbsolute(manifest)) cfg.data.manifest = resolvePath(base, manifest);
  const backbone = cfg.model.backbone;
  if (
    typeof backbone === "string" &&
    backbone !== "" &&
    !isKnownBackbone(backbone) &&
    !isAbsolute(backbone)
  ) {
    const abs = resolvePath(base, backbone);
    if (existsSync(abs)) cfg.model.backbone = abs;
  }
  // Checked now, so a bad model section fails before any run folder is made.
  taskModelConfig(cfg.model, path);
  return cfg;
}

/** The model a run's config describes, for `findings` and scans of `images` images each. */
export async function buildForConfig(
  config: TrainConfig,
  findings: readonly string[],
  images: number,
  source = "train config",
): Promise<BuiltTaskModel> {
  const mc = taskModelConfig(config.model, source);
  const pre = config.data.preprocess as PreprocessConfig;
  return buildTaskModel(mc, {
    findings: findings.length,
    views: pre.planes as Plane[],
    channels: channelsPerImage(pre) * images,
    size: pre.size,
    // "volume": the native 3D model over a 3D backbone; "slices": AnyMC3D (build.ts checks the pair).
    layout: pre.layout,
    seed: config.seed,
    source,
  });
}

/** Everything a run needs, built from a validated config. */
export async function setupTask(config: TrainConfig, source = "train config"): Promise<TaskSetup> {
  taskModelConfig(config.model, source);
  const pre = config.data.preprocess as PreprocessConfig;
  const wanted = config.data.findings as string[];
  const manifest = await readManifest(
    config.data.manifest as string,
    wanted.length ? { labels: wanted } : {},
  );
  if (manifest.findings.length === 0)
    throw new InputError("no finding label columns (0/1 values) to train on", manifest.path);
  const splits = resolveSplits(manifest, (config.data.split ?? {}) as SplitOptions);
  const trainCases = casesIn(manifest.cases, splits, "train");
  const valCases = casesIn(manifest.cases, splits, "val");
  if (trainCases.length === 0) throw new InputError("the training split is empty", manifest.path);
  const images = manifest.cases[0]?.images.length ?? 1;
  const built = await buildForConfig(config, manifest.findings, images, source);
  const loaderOpts = {
    findings: manifest.findings,
    train: trainCases,
    val: valCases,
    loader: { config: pre, batchSize: config.train.batchSize },
    ...(config.data.augment ? { augment: config.data.augment as AugmentConfig } : {}),
  };
  const aux = built.aux;
  if (aux && !trainCases.some((c) => c.masks[aux.mask] !== undefined))
    throw new InputError(
      `model.aux: no training case has a "${aux.mask}" mask (manifest columns ${aux.mask}_mask, mask_${aux.mask}; known masks: ${[...new Set(trainCases.flatMap((c) => Object.keys(c.masks)))].join(", ") || "none"})`,
      manifest.path,
    );
  const data = aux ? auxLoaderData(loaderOpts, aux.mask) : loaderData(loaderOpts);
  return {
    config,
    findings: manifest.findings,
    imagesPerCase: images,
    built,
    data,
    cases: {
      train: trainCases.length,
      val: valCases.length,
      test: casesIn(manifest.cases, splits, "test").length,
    },
  };
}

/** What the run folder's checkpoints record about the model (`describe`). */
export function describeTask(s: TaskSetup): Record<string, unknown> {
  const m: AnyMc3d = s.built.model;
  const sum: ParamSummary = s.built.summary;
  const native = m instanceof Native3d;
  return {
    // The task file format (classification plugin) — "model" says which architecture.
    task: "anymc3d",
    model: native ? "native3d" : "anymc3d",
    backbone: s.built.backbone,
    method: sum.method,
    pooling: native ? "backbone" : m.pooling,
    fusion: m.fusion,
    views: [...m.views],
    findings: s.findings,
    imagesPerCase: s.imagesPerCase,
    ...(s.built.aux ? { aux: s.built.aux } : {}),
    trainableParams: sum.trainableParams,
    addedParams: sum.addedParams,
    addedFraction: sum.fraction,
  };
}

export interface TaskRun {
  setup: TaskSetup;
  result: TrainResult;
}

/** The task description next to the plugin's adapter files (describeTask + epoch). */
export const PLUGIN_TASK_FILE = "task.json";

/**
 * Writes the task plugin (adapter tensors, query and head) with the best checkpoint's weights in
 * PEFT's folder layout: `RUN_DIR/plugin/adapter_config.json` + `adapter_model.safetensors`.
 */
export async function savePlugin(setup: TaskSetup, runDir: string): Promise<string> {
  const run = new RunDir(runDir);
  const dir = (await findCheckpoint(run.bestCheckpoint)) ? run.bestCheckpoint : run.lastCheckpoint;
  const ck = await readCheckpoint(dir);
  restoreParams(anyMc3dTrainable(setup.built.model).params(), ck.params, ck.dir);
  const out = join(runDir, "plugin");
  await saveAdapter(setup.built.model, out);
  // What predict needs besides the adapter and the run's config.json: the findings (the manifest's
  // label columns at training time), images per case, and which epoch the weights are from.
  await writeFileAtomic(
    join(out, PLUGIN_TASK_FILE),
    `${JSON.stringify({ ...describeTask(setup), epoch: ck.state.epochsDone, checkpoint: basename(ck.dir) }, null, 2)}\n`,
  );
  return out;
}

/** Trains a new run (`config.runDir`), or continues the one in `resumeDir` with its stored config. */
export async function runTask(
  config: TrainConfig | { resumeDir: string },
  opts: TrainOptions = {},
  source = "train config",
): Promise<TaskRun> {
  if ("resumeDir" in config) {
    const stored = await new RunDir(config.resumeDir).readConfig();
    const setup = await setupTask(stored, config.resumeDir);
    const t = anyMc3dTrainable(setup.built.model, {
      describe: describeTask(setup),
      loadBalanceWeight: setup.built.loadBalanceWeight,
      auxWeight: setup.built.aux?.weight ?? 0,
    });
    const result = await resume(config.resumeDir, t, setup.data, opts);
    if (result.status !== "aborted") await savePlugin(setup, result.runDir);
    return { setup, result };
  }
  const setup = await setupTask(config, source);
  const t = anyMc3dTrainable(setup.built.model, {
    describe: describeTask(setup),
    loadBalanceWeight: setup.built.loadBalanceWeight,
    auxWeight: setup.built.aux?.weight ?? 0,
  });
  const result = await train(t, setup.data, config, opts);
  if (result.status !== "aborted") await savePlugin(setup, result.runDir);
  return { setup, result };
}

/**
 * Prediction with trained run folders. A run's task plugin (`RUN_DIR/plugin/`: PEFT adapter
 * files with the query and head, plus task.json) is attached to a backbone rebuilt from the run's
 * config (the same seeded random weights, or the same Hugging Face folder); runs that share their
 * backbone share one frozen copy in memory, each plugin under its own adapter name, with only
 * that task's adapter active while its graph is built (PEFT's multi-adapter model). Runs without
 * a plugin (trained before plugins were written, or stopped before the end) fall back to their
 * best checkpoint (`last` when no epoch had a validation AUC) on a model of their own.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { ADAPTER_CONFIG_FILE, adapterLayers, loadAdapter } from "../../adapt/index.js";
import { channelsPerImage, type PreprocessConfig } from "../../data/config.js";
import { loadImage, type ModelInput, preprocessImages } from "../../data/pipeline.js";
import { compile, Graph, sigmoid, type Value } from "../../engine/index.js";
import { InputError } from "../../errors.js";
import { BuildContext, type Parameter } from "../../nn/module.js";
import type { VisionBackbone } from "../../nn/nets/backbone.js";
import { KNOWN_BACKBONES } from "../../nn/zoo.js";
import type { AnyMc3d } from "../../tasks/classification/anymc3d.js";
import { type BuiltTaskModel, isKnownBackbone, taskModelConfig } from "../../tasks/classification/build.js";
import { findCheckpoint, readCheckpoint, restoreParams } from "../../train/checkpoint.js";
import type { TrainConfig } from "../../train/config.js";
import { RunDir } from "../../train/run-dir.js";
import type { Plane } from "../../volume/slices.js";
import type { Volume } from "../../volume/volume.js";
import { buildForConfig, PLUGIN_TASK_FILE } from "./job.js";
import { anyMc3dTrainable } from "./trainable.js";

export interface LoadedTaskModel {
  runDir: string;
  config: TrainConfig;
  findings: string[];
  imagesPerCase: number;
  built: BuiltTaskModel;
  /** Where the trained weights came from: the plugin folder, or a checkpoint folder. */
  checkpoint: string;
  /** Epoch of those weights (1-based). */
  epoch: number;
  /** "plugin" (RUN_DIR/plugin) or "checkpoint" (the fallback). */
  source: "plugin" | "checkpoint";
  /** The plugin's adapter name on its backbone (which other tasks' models may share). */
  adapterName: string | undefined;
}

interface PluginTask {
  findings: string[];
  imagesPerCase: number;
  views: Plane[];
  epoch: number;
  method: string;
}

async function readPluginTask(dir: string): Promise<PluginTask | undefined> {
  const file = join(dir, PLUGIN_TASK_FILE);
  if (!existsSync(file) || !existsSync(join(dir, ADAPTER_CONFIG_FILE))) return undefined;
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new InputError(`not valid JSON (${(err as Error).message})`, file);
  }
  if (d.task !== "anymc3d" || !Array.isArray(d.findings) || !Array.isArray(d.views))
    throw new InputError("the plugin does not describe an AnyMC3D task (trained by another job?)", file);
  return {
    findings: d.findings as string[],
    imagesPerCase: Number(d.imagesPerCase ?? 1),
    views: d.views as Plane[],
    epoch: Number(d.epoch ?? 0),
    method: String(d.method ?? ""),
  };
}

/**
 * What decides the frozen backbone's weights: its source (a folder, shipped zoo weights, or an
 * architecture), and for random weights the seed, the init std and the input size and channels
 * the tiny ones are built for. Runs with equal keys can share one backbone.
 */
function backboneKey(config: TrainConfig, images: number, source: string): string {
  const mc = taskModelConfig(config.model, source);
  const pre = config.data.preprocess as PreprocessConfig;
  const channels = channelsPerImage(pre) * images;
  if (!isKnownBackbone(mc.backbone)) return JSON.stringify({ folder: resolve(mc.backbone), channels });
  // A zoo name with shipped weights is that folder, whatever the seed.
  const shipped = KNOWN_BACKBONES.find((b) => b.name === mc.backbone)?.dir;
  if (shipped) return JSON.stringify({ folder: resolve(shipped), channels });
  return JSON.stringify({
    name: mc.backbone,
    seed: config.seed,
    initStd: mc.initStd,
    size: pre.size,
    channels,
  });
}

/** The run's model as its config builds it, with the linear probe instead of its adapter. */
async function bareModel(config: TrainConfig, t: PluginTask, source: string): Promise<BuiltTaskModel> {
  const probe = { ...config, model: { ...config.model, method: "linear_probe", adapter: {} } };
  return buildForConfig(probe as TrainConfig, t.findings, t.imagesPerCase, source);
}

/** Loads one run (see loadTaskModels). */
export async function loadTaskModel(
  runDir: string,
  opts: { from?: "plugin" | "checkpoint" } = {},
): Promise<LoadedTaskModel> {
  if (opts.from === "checkpoint") return loadFromCheckpoint(runDir);
  return (await loadTaskModels([runDir]))[0] as LoadedTaskModel;
}

/**
 * Frozen backbones shared by the tasks of one backbone key: the base weights (by parameter name,
 * as first built) and one module tree per adapter type. LoRA and MoLRE wrap the same layers in
 * different wrapper classes, so each type gets its own tree, whose base weights are the first
 * tree's arrays (aliased, not copied): the frozen weights exist once in memory either way.
 */
interface BackboneFamily {
  weights: Map<string, Parameter>;
  trees: Map<string, VisionBackbone>;
}

async function pluginPeftType(dir: string): Promise<string> {
  const file = join(dir, ADAPTER_CONFIG_FILE);
  try {
    return String(JSON.parse(await readFile(file, "utf8")).peft_type ?? "");
  } catch (err) {
    throw new InputError(`cannot read the adapter config (${(err as Error).message})`, file);
  }
}

/**
 * The backbone tree a task of `peftType` uses: `candidate` (the backbone of the task's freshly
 * built model) when the family or its tree of that type is new, with its base weights then
 * replaced by the family's arrays; else the family's existing tree.
 */
function sharedTree(
  families: Map<string, BackboneFamily>,
  key: string,
  peftType: string,
  candidate: VisionBackbone,
): VisionBackbone {
  let fam = families.get(key);
  if (!fam) {
    fam = { weights: new Map(candidate.namedParameters()), trees: new Map([[peftType, candidate]]) };
    families.set(key, fam);
    return candidate;
  }
  // The linear probe adds no layer: any tree serves, with every adapter switched off.
  if (peftType === "LINEAR_PROBE") return fam.trees.values().next().value as VisionBackbone;
  const have = fam.trees.get(peftType);
  if (have) return have;
  for (const [name, p] of candidate.namedParameters()) {
    const w = fam.weights.get(name);
    if (!w) throw new Error(`shared backbone: no weight ${name} in the first tree`);
    p.data = w.data;
  }
  fam.trees.set(peftType, candidate);
  return candidate;
}

/**
 * Loads several runs for the same scans. Runs whose backbone is the same (same folder, or the
 * same architecture with the same seed, init and input size) share one frozen backbone; each
 * plugin is attached under its own adapter name and is the only active one while its task's
 * graph is built. A fully fine-tuned run ("full") changes the backbone and gets its own.
 */
export async function loadTaskModels(runDirs: readonly string[]): Promise<LoadedTaskModel[]> {
  if (!runDirs.length) throw new InputError("no run folder given");
  const families = new Map<string, BackboneFamily>();
  const out: LoadedTaskModel[] = [];
  for (const [i, runDir] of runDirs.entries()) {
    const config = await new RunDir(runDir).readConfig();
    const pluginDir = join(runDir, "plugin");
    const t = await readPluginTask(pluginDir);
    if (!t) {
      out.push(await loadFromCheckpoint(runDir, config));
      continue;
    }
    const source = join(runDir, "config.json");
    const peftType = await pluginPeftType(pluginDir);
    const own = peftType === "FULL";
    // The task's model as its config builds it (head, pools, any extra modules), no adapter yet;
    // its fresh backbone is dropped for the shared one when there is one.
    const probe = await bareModel(config, t, source);
    const model = probe.model;
    if (!own) {
      const key = backboneKey(config, t.imagesPerCase, source);
      const tree = sharedTree(families, key, peftType, model.backbone);
      if (tree !== model.backbone) model.setModule("backbone", tree);
    }
    const adapterName = `task${i}`;
    // Errors name the plugin's files (keys that do not fit the model, unknown peft_type).
    const { summary } = await loadAdapter(model, pluginDir, adapterName);
    if (!own) sharedAdapter.set(model, adapterName);
    // Inference only: every weight is a constant of the graph (ORT folds and pre-packs them).
    for (const [, p] of model.namedParameters()) p.trainable = false;
    out.push({
      runDir,
      config,
      findings: t.findings,
      imagesPerCase: t.imagesPerCase,
      built: { ...probe, summary, loadBalanceWeight: 0 },
      checkpoint: pluginDir,
      epoch: t.epoch,
      source: "plugin",
      adapterName,
    });
  }
  return out;
}

async function loadFromCheckpoint(runDir: string, stored?: TrainConfig): Promise<LoadedTaskModel> {
  const run = new RunDir(runDir);
  const config = stored ?? (await run.readConfig());
  const dir = (await findCheckpoint(run.bestCheckpoint)) ? run.bestCheckpoint : run.lastCheckpoint;
  const ck = await readCheckpoint(dir);
  const d = ck.state.model as { task?: string; findings?: string[]; imagesPerCase?: number } | undefined;
  if (d?.task !== "anymc3d" || !Array.isArray(d.findings))
    throw new InputError(
      "the run's checkpoint does not describe an AnyMC3D model (trained by another job?)",
      dir,
    );
  const images = d.imagesPerCase ?? 1;
  const built = await buildForConfig(config, d.findings, images, join(runDir, "config.json"));
  restoreParams(anyMc3dTrainable(built.model).params(), ck.params, ck.dir);
  return {
    runDir,
    config,
    findings: d.findings,
    imagesPerCase: images,
    built,
    checkpoint: ck.dir,
    epoch: ck.state.epochsDone,
    source: "checkpoint",
    adapterName: undefined,
  };
}

/** Task models attached to a shared backbone → their adapter name on it. */
const sharedAdapter = new WeakMap<AnyMc3d, string>();

/**
 * Makes `m`'s adapter the only active one on its (possibly shared) backbone; call before
 * building a graph of `m`. Models that own their backbone are left as they are.
 */
export function activateTask(m: LoadedTaskModel): void {
  // Keyed by the model object, so a LoadedTaskModel copied with another model is left alone.
  const name = sharedAdapter.get(m.built.model);
  if (name === undefined) return;
  for (const [, layer] of adapterLayers(m.built.model.backbone))
    layer.active = layer.adapterNames().includes(name) ? [name] : [];
}

export interface Prediction {
  /** Probability per finding (sigmoid of the logit). */
  probabilities: Record<string, number>;
  logits: Record<string, number>;
  /** Per view: each slice's weight in the pooled embedding (model slice order). */
  sliceWeights: Record<string, number[]>;
  /** Model input shape per view [S, C, H, W]. */
  inputShapes: Record<string, number[]>;
}

/** A scan given as files (NIfTI, DICOM folder) or as volumes already read. */
export type ScanImages = readonly (string | Volume)[];

/** The case's images read and preprocessed with the run's `data.preprocess`. */
export async function prepareScan(m: LoadedTaskModel, images: ScanImages): Promise<ModelInput> {
  if (images.length !== m.imagesPerCase)
    throw new InputError(
      `the model was trained on ${m.imagesPerCase} image(s) per case, got ${images.length}`,
      images.map((x) => (typeof x === "string" ? x : (x.meta.source ?? "volume"))).join(", "),
    );
  const vols = await Promise.all(images.map((p) => (typeof p === "string" ? loadImage(p) : p)));
  return preprocessImages(vols, m.config.data.preprocess as PreprocessConfig);
}

/** One task's forward graph for `input`: feeds, the model's outputs and the graph. */
export function taskGraph(
  m: LoadedTaskModel,
  input: ModelInput,
): {
  graph: Graph;
  feeds: Record<string, Float32Array>;
  outputs: Record<string, Value>;
} {
  activateTask(m);
  const model: AnyMc3d = m.built.model;
  const graph = new Graph();
  const feeds: Record<string, Float32Array> = {};
  const values: Record<string, Value> = {};
  for (const v of input.views) {
    values[v.plane] = graph.input(v.plane, [1, ...v.shape], "float32");
    feeds[v.plane] = v.data;
  }
  const out = model.classify(new BuildContext(model, { graph }), values);
  const outputs: Record<string, Value> = { logits: out.logits, probs: sigmoid(out.logits) };
  for (const [v, w] of Object.entries(out.sliceWeights)) outputs[`w_${v}`] = w;
  return { graph, feeds, outputs };
}

/** Reads a task graph's run results into a Prediction. */
export function readPrediction(
  m: LoadedTaskModel,
  input: ModelInput,
  res: Readonly<Record<string, ArrayLike<number>>>,
): Prediction {
  const probabilities: Record<string, number> = {};
  const logits: Record<string, number> = {};
  m.findings.forEach((f, i) => {
    probabilities[f] = res.probs![i]!;
    logits[f] = res.logits![i]!;
  });
  const sliceWeights: Record<string, number[]> = {};
  for (const v of m.built.model.views) sliceWeights[v] = Array.from(res[`w_${v}`]!);
  const inputShapes: Record<string, number[]> = {};
  for (const v of input.views) inputShapes[v.plane] = v.shape;
  return { probabilities, logits, sliceWeights, inputShapes };
}

/** Predicts one case from its images (one per contrast or phase, as in the manifest). */
export async function predictScan(m: LoadedTaskModel, images: ScanImages): Promise<Prediction> {
  const input = await prepareScan(m, images);
  const { feeds, outputs } = taskGraph(m, input);
  const res = (await (await compile(outputs)).run(feeds)) as Record<string, Float32Array>;
  return readPrediction(m, input, res);
}

/**
 * Predicts one case with several tasks (loadTaskModels). Runs preprocessed alike (the same
 * `data.preprocess`) read and preprocess the scan once.
 */
export async function predictScanAll(
  models: readonly LoadedTaskModel[],
  images: ScanImages,
): Promise<Prediction[]> {
  const vols = await Promise.all(images.map((p) => (typeof p === "string" ? loadImage(p) : p)));
  const inputs = new Map<string, ModelInput>();
  const out: Prediction[] = [];
  for (const m of models) {
    const key = JSON.stringify(m.config.data.preprocess);
    let input = inputs.get(key);
    if (!input) {
      input = await prepareScan(m, vols);
      inputs.set(key, input);
    }
    const { feeds, outputs } = taskGraph(m, input);
    const res = (await (await compile(outputs)).run(feeds)) as Record<string, Float32Array>;
    out.push(readPrediction(m, input, res));
  }
  return out;
}

/** A short label for a run folder in tables ("<folder name>"). */
export function runLabel(m: LoadedTaskModel): string {
  return basename(resolve(m.runDir));
}

/**
 * Prediction with a trained run folder: the model rebuilt from the run's config (the same seeded
 * random backbone, or the same Hugging Face folder), its trained weights from checkpoints/best
 * (checkpoints/last when no epoch had a validation AUC), one scan preprocessed as in training.
 */
import { join } from "node:path";
import type { PreprocessConfig } from "../../data/config.js";
import { loadImage, preprocessImages } from "../../data/pipeline.js";
import { compile, Graph, sigmoid, type Value } from "../../engine/index.js";
import { InputError } from "../../errors.js";
import { BuildContext } from "../../nn/module.js";
import type { AnyMc3d } from "../../tasks/classification/anymc3d.js";
import type { BuiltTaskModel } from "../../tasks/classification/build.js";
import { findCheckpoint, readCheckpoint, restoreParams } from "../../train/checkpoint.js";
import type { TrainConfig } from "../../train/config.js";
import { RunDir } from "../../train/run-dir.js";
import { buildForConfig } from "./job.js";
import { anyMc3dTrainable } from "./trainable.js";

export interface LoadedTaskModel {
  runDir: string;
  config: TrainConfig;
  findings: string[];
  imagesPerCase: number;
  built: BuiltTaskModel;
  /** The checkpoint folder the weights came from. */
  checkpoint: string;
  /** Epoch of that checkpoint (1-based). */
  epoch: number;
}

export async function loadTaskModel(runDir: string): Promise<LoadedTaskModel> {
  const run = new RunDir(runDir);
  const config = await run.readConfig();
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
  };
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

/** Predicts one case from its image files (one per contrast or phase, as in the manifest). */
export async function predictScan(m: LoadedTaskModel, images: readonly string[]): Promise<Prediction> {
  if (images.length !== m.imagesPerCase)
    throw new InputError(
      `the model was trained on ${m.imagesPerCase} image(s) per case, got ${images.length}`,
      images.join(", "),
    );
  const vols = await Promise.all(images.map((p) => loadImage(p)));
  const input = preprocessImages(vols, m.config.data.preprocess as PreprocessConfig);
  const model: AnyMc3d = m.built.model;
  const g = new Graph();
  const feeds: Record<string, Float32Array> = {};
  const values: Record<string, Value> = {};
  const inputShapes: Record<string, number[]> = {};
  for (const v of input.views) {
    values[v.plane] = g.input(v.plane, [1, ...v.shape], "float32");
    feeds[v.plane] = v.data;
    inputShapes[v.plane] = v.shape;
  }
  const out = model.classify(new BuildContext(model, { graph: g }), values);
  const outputs: Record<string, Value> = { logits: out.logits, probs: sigmoid(out.logits) };
  for (const [v, w] of Object.entries(out.sliceWeights)) outputs[`w_${v}`] = w;
  const res = (await (await compile(outputs)).run(feeds)) as Record<string, Float32Array>;
  const probabilities: Record<string, number> = {};
  const logits: Record<string, number> = {};
  m.findings.forEach((f, i) => {
    probabilities[f] = res.probs![i]!;
    logits[f] = res.logits![i]!;
  });
  const sliceWeights: Record<string, number[]> = {};
  for (const v of model.views) sliceWeights[v] = [...res[`w_${v}`]!];
  return { probabilities, logits, sliceWeights, inputShapes };
}

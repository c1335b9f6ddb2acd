/**
 * A trained task as one deployable ONNX file: the preprocessed slice stack(s) [1, S, C, H, W]
 * per view → probabilities [1, F] and the slice weights [1, S] per view, every weight a constant.
 * Adapters whose update does not depend on the input (LoRA, single-expert MoLRE) are merged into
 * the base weights first (W + α/r·B·A), so the graph is the plain backbone's; MoLRE with several
 * experts routes softly on its input and stays as graph ops. metadata_props carry the findings,
 * the preprocessing config and the medadapt version, so the file explains itself.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { adapterLayers } from "../../adapt/index.js";
import { channelsPerImage, type PreprocessConfig } from "../../data/config.js";
import { Graph, serialize, sigmoid, type Value } from "../../engine/index.js";
import { InputError } from "../../errors.js";
import { writeFileAtomic } from "../../io/atomic.js";
import { BuildContext, type Parameter } from "../../nn/module.js";
import { activateTask, type LoadedTaskModel } from "./predict.js";

export interface ExportOptions {
  /** Merge mergeable adapters into the base weights (default true). */
  merge?: boolean;
  /** Slices per view when the run's `data.preprocess.slices` is null (the graph's shapes are fixed). */
  slices?: number;
}

export interface ExportResult {
  path: string;
  inputs: { name: string; shape: number[] }[];
  outputs: { name: string; shape: number[] }[];
  findings: string[];
  method: string;
  /** Adapter layers merged into their base weight. */
  merged: string[];
  /** Adapter layers kept as graph ops, with why. */
  unmerged: { layer: string; reason: string }[];
  /** Bytes written (the model file and its external data, if any). */
  bytes: number;
  /** Whether the weights went to `<file>.data` (ONNX external data, past 1.8 GB). */
  external: boolean;
  metadata: Record<string, string>;
}

/** medadapt's version from its package.json (the nearest one named medadapt above this file). */
export function medadaptVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        const j = JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown; version?: unknown };
        if (j.name === "medadapt") return String(j.version);
      } catch {
        // not ours; keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) return "unknown";
    dir = up;
  }
}

/**
 * Merges every active adapter that can be merged; returns what was merged and kept, and a
 * function that restores the exact base weights (merge then unmerge would leave rounding).
 */
function mergeAdapters(m: LoadedTaskModel): {
  merged: string[];
  unmerged: { layer: string; reason: string }[];
  restore: () => void;
} {
  const saved = new Map<Parameter, Float32Array>();
  const merged: string[] = [];
  const unmerged: { layer: string; reason: string }[] = [];
  const layers = adapterLayers(m.built.model.backbone).filter(([, l]) => l.enabled && l.active.length);
  for (const [path, layer] of layers) {
    try {
      for (const name of layer.active) layer.deltaWeight(name); // throws when it cannot be merged
    } catch (err) {
      unmerged.push({ layer: path, reason: (err as Error).message });
      continue;
    }
    const w = layer.baseLayer.params.get("weight") as Parameter;
    if (!saved.has(w)) saved.set(w, w.data.slice());
    layer.merge(layer.active);
    merged.push(path);
  }
  return {
    merged,
    unmerged,
    restore() {
      for (const [path, layer] of layers) if (merged.includes(path)) layer.unmerge();
      for (const [w, data] of saved) w.data.set(data);
    },
  };
}

/** The run's model input shapes per view: [1, S, C, H, W] (volume layout: [1, C, D, H, W]). */
function inputShapes(m: LoadedTaskModel, slices?: number): Record<string, number[]> {
  const pre = m.config.data.preprocess as PreprocessConfig;
  const S = pre.slices ?? slices;
  if (S === undefined)
    throw new InputError(
      "the run's data.preprocess.slices is null (each scan keeps its slice count); give the exported graph's slice count (--slices S)",
      m.runDir,
    );
  const C = channelsPerImage(pre) * m.imagesPerCase;
  const [H, W] = pre.size;
  // The native 3D path takes the whole volume [1, C, D, H, W] as its one input.
  if (pre.layout === "volume") return { volume: [1, C, S, H, W] };
  return Object.fromEntries(m.built.model.views.map((v) => [v, [1, S, C, H, W]]));
}

/** Writes `m` as an ONNX file at `path` (atomically; weights past 1.8 GB to `path.data`). */
export async function exportTaskModel(
  m: LoadedTaskModel,
  path: string,
  opts: ExportOptions = {},
): Promise<ExportResult> {
  const shapes = inputShapes(m, opts.slices);
  activateTask(m);
  const model = m.built.model;
  // Merging writes into the backbone's weight arrays, which other task plugins on the same
  // in-memory backbone share: everything from the merge to the restore is synchronous (the graph
  // is serialised before any await), so no other work in this process can see merged weights.
  const { merged, unmerged, restore } =
    opts.merge === false ? { merged: [], unmerged: [], restore: () => {} } : mergeAdapters(m);
  let s: ReturnType<typeof serialize>;
  let metadata: Record<string, string>;
  try {
    const graph = new Graph();
    const inputs: Record<string, Value> = {};
    for (const [v, shape] of Object.entries(shapes)) inputs[v] = graph.input(v, shape, "float32");
    const out = model.classify(new BuildContext(model, { graph }), inputs);
    const outputs: Record<string, Value> = { probabilities: sigmoid(out.logits) };
    const views = Object.keys(out.sliceWeights);
    for (const v of views)
      outputs[views.length === 1 ? "slice_weights" : `slice_weights_${v}`] = out.sliceWeights[v] as Value;
    const pre = m.config.data.preprocess as PreprocessConfig;
    metadata = {
      "medadapt.version": medadaptVersion(),
      "medadapt.task": "anymc3d",
      "medadapt.findings": JSON.stringify(m.findings),
      "medadapt.preprocess": JSON.stringify(pre),
      "medadapt.views": JSON.stringify(views),
      "medadapt.images_per_case": String(m.imagesPerCase),
      "medadapt.method": m.built.summary.method,
      "medadapt.backbone": m.built.backbone.name,
      "medadapt.merged_layers": String(merged.length),
      "medadapt.unmerged_layers": String(unmerged.length),
      "medadapt.epoch": String(m.epoch),
      "medadapt.notice": "research software, not a medical device",
    };
    s = serialize(outputs, {
      freezeParams: true,
      externalDataThreshold: 1.8e9,
      externalDataLocation: `${basename(path)}.data`,
      metadata,
      producerVersion: metadata["medadapt.version"],
    });
  } finally {
    restore();
  }
  const bytes = s.model;
  if (s.externalData) await writeFileAtomic(`${path}.data`, s.externalData);
  await writeFileAtomic(path, bytes);
  return {
    path,
    inputs: Object.entries(shapes).map(([name, shape]) => ({ name, shape })),
    outputs: s.outputs.map((o) => ({ name: o.name, shape: [...o.value.shape] })),
    findings: m.findings,
    method: m.built.summary.method,
    merged,
    unmerged,
    bytes: (s.externalData?.length ?? 0) + bytes.length,
    external: s.externalData !== undefined,
    metadata,
  };
}

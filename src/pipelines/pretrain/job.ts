/**
 * Pretraining of a DINOv2-layout backbone on every axial slice of a manifest's scans, by MAE
 * (self-supervised) or by dense label prediction (a label map per scan, e.g. the phantom's anatomy
 * parcellation; src/tasks/pretraining/dense.ts): the
 * slices go through the data layer's preprocessing (CT windows as channels, resized to the
 * backbone's image size, exactly what a training config with the same windows feeds the
 * backbone), batches are shuffled per epoch from the seed, masks are drawn per step from the
 * seed, AdamW with linear warmup and cosine decay, a checkpoint at every epoch end (atomic
 * writes; `resume` continues from it with the same result as an uninterrupted run), and the
 * backbone written as a Hugging Face DINOv2 folder with the run's config and loss history.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { maskOfColumn } from "../../config/columns.js";
import { type PreprocessConfig, preprocessConfig } from "../../data/config.js";
import { readManifest } from "../../data/manifest.js";
import { concatFlat, prepareCase } from "../../data/pipeline.js";
import { epochOrder } from "../../data/prefetch.js";
import {
  AdamW,
  compileTrainStep,
  Graph,
  loadOptimizerState,
  saveOptimizerState,
  warmupCosineSchedule,
} from "../../engine/index.js";
import { InputError } from "../../errors.js";
import { writeFileAtomic } from "../../io/atomic.js";
import { readSafetensors, writeSafetensors } from "../../io/safetensors/index.js";
import { backboneSpec } from "../../nn/checkpoints/configs.js";
import { buildBackbone } from "../../nn/checkpoints/hf.js";
import { saveBackbone } from "../../nn/checkpoints/save.js";
import { resetInitSeed } from "../../nn/init.js";
import { BuildContext } from "../../nn/module.js";
import type { Dinov2Model } from "../../nn/nets/dinov2.js";
import { DEMO_VIT_CONFIG } from "../../nn/zoo.js";
import { Rng } from "../../random/rng.js";
import { DenseLabels, labelComposition, labelTargets } from "../../tasks/pretraining/dense.js";
import { drawKept, MAE_DEFAULTS, Mae, type MaeOptions, patchTargets } from "../../tasks/pretraining/mae.js";
import { duration } from "../../train/progress.js";
import type { WindowPreset } from "../../volume/window.js";

export interface PretrainOptions {
  /** Manifest (CSV or JSONL) whose scans' axial slices are the training images. */
  manifest: string;
  /** Output folder: the Hugging Face backbone folder plus pretraining.json. */
  out: string;
  epochs: number;
  batch: number;
  /** Peak learning rate (after warmup). */
  lr: number;
  /** Warmup length in epochs (fraction allowed). */
  warmupEpochs: number;
  /** Final lr as a fraction of the peak (cosine floor). */
  minLrFactor: number;
  weightDecay: number;
  seed: number;
  /** The backbone's config.json (DINOv2 layout); default the demo backbone's. */
  backbone: Record<string, unknown>;
  /** "mae" (masked autoencoder) or "dense" (predict the label map named by `labels`). */
  objective: "mae" | "dense";
  mae: MaeOptions;
  /** The manifest's mask column holding integer label maps (objective "dense"). */
  labels: string;
  /** CT windows of the channels (data.preprocess.intensity.windows names). */
  windows: string[];
  /** Use only the first N scans of the manifest (quick runs, tests). */
  maxScans: number | null;
  /** Continue from the checkpoint in `out` (an error if there is none). */
  resume: boolean;
  /** ONNX Runtime intra-op threads (default: ORT's choice). */
  threads: number | undefined;
  /** Progress lines (default stderr). */
  log: (line: string) => void;
  /** Stop after this many epochs in total, leaving only the checkpoint (as a killed run would). */
  stopAfter: number | null;
}

export const PRETRAIN_DEFAULTS: Omit<PretrainOptions, "manifest" | "out" | "log" | "stopAfter"> = {
  epochs: 20,
  batch: 64,
  lr: 1.5e-3,
  warmupEpochs: 1,
  minLrFactor: 0.05,
  weightDecay: 0.05,
  seed: 0,
  backbone: { ...DEMO_VIT_CONFIG },
  objective: "mae",
  mae: { ...MAE_DEFAULTS },
  labels: "anatomy_mask",
  windows: ["brain", "subdural", "bone"],
  maxScans: null,
  resume: false,
  threads: undefined,
};

export interface EpochLoss {
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  loss: number;
  lr: number;
  seconds: number;
}

export interface PretrainResult {
  out: string;
  scans: number;
  slices: number;
  steps: number;
  epochs: EpochLoss[];
  /** Wall seconds of this process's training (not counting loading), plus earlier runs when resumed. */
  trainSeconds: number;
  loadSeconds: number;
}

/** The JSON written next to the weights (and in the checkpoint): how they were made. */
interface PretrainRecord {
  format: "medadapt.pretrain/1";
  method: "mae" | "dense";
  manifest: string;
  /** Label classes (objective "dense": the largest label in the data + 1). */
  classes?: number;
  scans: number;
  slices: number;
  preprocess: PreprocessConfig;
  options: Omit<PretrainOptions, "log" | "manifest" | "out" | "resume" | "threads" | "stopAfter">;
  steps_per_epoch: number;
  epochs: EpochLoss[];
  train_seconds: number;
}

const CHECKPOINT = ".pretrain-checkpoint";

/**
 * Every axial slice of every scan as [N, C, S, S] in the model's input range, and with
 * `labelColumn` the label map of each slice [N, S, S] on the same grid (nearest).
 */
async function loadSlices(
  manifestPath: string,
  pre: PreprocessConfig,
  maxScans: number | null,
  log: (l: string) => void,
  labelColumn?: string,
): Promise<{ data: Float32Array; labels: Float32Array | null; count: number; scans: number }> {
  const manifest = await readManifest(manifestPath);
  const cases = maxScans === null ? manifest.cases : manifest.cases.slice(0, maxScans);
  if (cases.length === 0) throw new InputError("the manifest has no scans", manifestPath);
  const parts: Float32Array[] = [];
  const labelParts: Float32Array[] = [];
  let count = 0;
  let last = performance.now();
  // The manifest's column `anatomy_mask` is the cases' mask "anatomy".
  const mask = labelColumn === undefined ? undefined : maskOfColumn(labelColumn);
  for (const [i, c] of cases.entries()) {
    if (mask !== undefined && c.masks[mask] === undefined)
      throw new InputError(`case '${c.id}' has no '${labelColumn}' label map`, manifestPath);
    const prepared = await prepareCase(c, pre, {
      ...(mask !== undefined ? { masks: [mask], maskResize: "nearest" as const } : {}),
    });
    const view = prepared.input.views[0]!;
    parts.push(view.data);
    if (mask !== undefined) labelParts.push(prepared.masks[mask]![0]!.data);
    count += view.shape[0] as number;
    if (performance.now() - last > 5000) {
      last = performance.now();
      log(`pretrain: loaded ${i + 1}/${cases.length} scans`);
    }
  }
  return {
    data: concatFlat(parts),
    labels: labelColumn !== undefined ? concatFlat(labelParts) : null,
    count,
    scans: cases.length,
  };
}

function checkOptions(o: PretrainOptions): void {
  const bad = (what: string) => new InputError(what, "pretrain options");
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw bad(`epochs must be a positive integer`);
  if (!(Number.isInteger(o.batch) && o.batch >= 1)) throw bad(`batch must be a positive integer`);
  if (!(o.lr > 0 && Number.isFinite(o.lr))) throw bad(`lr must be a positive number`);
  if (!(o.mae.maskRatio > 0 && o.mae.maskRatio < 1)) throw bad(`mask ratio must be in (0, 1)`);
  if (!(o.warmupEpochs >= 0)) throw bad(`warmup epochs must be ≥ 0`);
  if (o.objective !== "mae" && o.objective !== "dense")
    throw bad(`objective must be "mae" or "dense", got "${o.objective}"`);
}

/** Runs (or resumes) pretraining and writes the backbone folder. */
export async function pretrain(
  options: Partial<PretrainOptions> & { manifest: string; out: string },
): Promise<PretrainResult> {
  const o: PretrainOptions = {
    ...PRETRAIN_DEFAULTS,
    log: (l) => process.stderr.write(`${l}\n`),
    stopAfter: null,
    ...options,
    mae: { ...MAE_DEFAULTS, ...options.mae },
  };
  checkOptions(o);
  const out = resolve(o.out);
  const ckDir = join(out, CHECKPOINT);
  if (o.resume && !existsSync(join(ckDir, "state.json")))
    throw new InputError("nothing to resume: no checkpoint in this folder", out);
  if (o.resume) {
    const { method } = JSON.parse(await readFile(join(ckDir, "state.json"), "utf8")) as PretrainRecord;
    if (method !== o.objective)
      throw new InputError(`the checkpoint is of a ${method} run; resume it with objective "${method}"`, out);
  }

  const spec = backboneSpec(o.backbone, "pretrain backbone config");
  if (spec.arch !== "dinov2")
    throw new InputError(`pretraining needs a dinov2 config, got ${spec.arch}`, "pretrain backbone config");
  const size = spec.config.image_size;
  if (spec.config.num_channels !== o.windows.length)
    throw new InputError(
      `the backbone takes ${spec.config.num_channels} channels but ${o.windows.length} windows were given`,
      "pretrain backbone config",
    );
  const pre = preprocessConfig({
    size: [size, size],
    planes: ["axial"],
    intensity: { kind: "ct", windows: o.windows as WindowPreset[] },
  });

  const t0 = performance.now();
  const dense = o.objective === "dense";
  const slices = await loadSlices(o.manifest, pre, o.maxScans, o.log, dense ? o.labels : undefined);
  let classes = 0;
  if (slices.labels) {
    for (const v of slices.labels) {
      if (!(Number.isInteger(v) && v >= 0 && v < 256))
        throw new InputError(`'${o.labels}' is not a label map: it holds the value ${v}`, o.manifest);
      if (v + 1 > classes) classes = v + 1;
    }
    if (classes < 2) throw new InputError(`'${o.labels}' holds one label only`, o.manifest);
  }
  const loadSeconds = (performance.now() - t0) / 1000;
  const imgSize = spec.config.num_channels * size * size;
  const stepsPerEpoch = Math.floor(slices.count / o.batch);
  if (stepsPerEpoch < 1)
    throw new InputError(`${slices.count} slices make no batch of ${o.batch}`, o.manifest);
  o.log(
    `pretrain: ${slices.scans} scans, ${slices.count} slices of ${spec.config.num_channels}×${size}² in ${loadSeconds.toFixed(1)} s; ${stepsPerEpoch} steps/epoch × ${o.epochs} epochs`,
  );

  // Model: seeded init, every weight trainable except MAE's fixed decoder positions.
  resetInitSeed(o.seed + 1);
  const backbone = buildBackbone(spec) as Dinov2Model;
  const g = new Graph();
  const B = o.batch;
  const patch = spec.config.patch_size;
  let model: Mae | DenseLabels;
  let loss: ReturnType<Mae["forward"]>;
  if (dense) {
    const d = new DenseLabels(backbone, classes);
    d.unfreeze();
    loss = d.forward(
      new BuildContext(d, { graph: g, training: true }),
      g.input("pixels", [B, d.channels, size, size]),
      g.input("target", [B, d.patches * patch * patch, classes]),
      g.input("composition", [B, classes]),
    );
    model = d;
  } else {
    const mae = new Mae(backbone, o.mae);
    mae.unfreeze();
    mae.decoder_pos_embed.trainable = false;
    const P = mae.patchSize * mae.patchSize * mae.channels;
    loss = mae.forward(
      new BuildContext(mae, { graph: g, training: true }),
      g.input("pixels", [B, mae.channels, size, size]),
      g.input("keep", [B, mae.kept], "int64"),
      g.input("target", [B, mae.patches, P]),
    );
    model = mae;
  }
  const step = await compileTrainStep(loss, o.threads !== undefined ? { intraOpThreads: o.threads } : {});
  const params = new Map([...step.params].map(([n, v]) => [n, v.data as Float32Array]));
  const totalSteps = stepsPerEpoch * o.epochs;
  const opt = new AdamW(params, {
    lr: o.lr,
    betas: [0.9, 0.95],
    weightDecay: o.weightDecay,
    // MAE's recipe: no decay on norms, biases, LayerScale, tokens and positions.
    groups: [{ name: "no_decay", match: /(norm|bias|lambda1|token|position)/, weightDecay: 0 }],
    schedule: warmupCosineSchedule({
      warmupSteps: Math.round(o.warmupEpochs * stepsPerEpoch),
      totalSteps,
      minFactor: o.minLrFactor,
    }),
  });

  let epochs: EpochLoss[] = [];
  let startEpoch = 0;
  let earlierSeconds = 0;
  if (o.resume) {
    const st = JSON.parse(await readFile(join(ckDir, "state.json"), "utf8")) as PretrainRecord;
    const f = await readSafetensors(join(ckDir, "weights.safetensors"));
    try {
      for (const [name, p] of model.namedParameters()) p.data.set(await f.float32(name));
    } finally {
      await f.close();
    }
    await loadOptimizerState(join(ckDir, "optimizer"), opt);
    epochs = st.epochs;
    startEpoch = epochs.length;
    earlierSeconds = st.train_seconds;
    o.log(`pretrain: resumed after epoch ${startEpoch}`);
  }

  const tTrain = performance.now();
  const trainSeconds = () => (performance.now() - tTrain) / 1000;
  const record = (): PretrainRecord => ({
    format: "medadapt.pretrain/1",
    method: o.objective,
    manifest: resolve(o.manifest),
    ...(dense ? { classes } : {}),
    scans: slices.scans,
    slices: slices.count,
    preprocess: pre,
    options: {
      epochs: o.epochs,
      batch: o.batch,
      lr: o.lr,
      warmupEpochs: o.warmupEpochs,
      minLrFactor: o.minLrFactor,
      weightDecay: o.weightDecay,
      seed: o.seed,
      backbone: o.backbone,
      objective: o.objective,
      mae: o.mae,
      labels: o.labels,
      windows: o.windows,
      maxScans: o.maxScans,
    },
    steps_per_epoch: stepsPerEpoch,
    epochs,
    train_seconds: earlierSeconds + trainSeconds(),
  });

  const pixels = new Float32Array(B * imgSize);
  const labelSize = size * size;
  const labels = new Float32Array(B * labelSize);
  for (let epoch = startEpoch; epoch < o.epochs; epoch++) {
    const te = performance.now();
    const order = epochOrder(slices.count, { seed: o.seed, epoch });
    let sum = 0;
    const lr = opt.lr();
    for (let s = 0; s < stepsPerEpoch; s++) {
      for (let i = 0; i < B; i++) {
        const k = order[s * B + i] as number;
        pixels.set(slices.data.subarray(k * imgSize, (k + 1) * imgSize), i * imgSize);
        if (slices.labels)
          labels.set(slices.labels.subarray(k * labelSize, (k + 1) * labelSize), i * labelSize);
      }
      let feeds: Record<string, Float32Array | BigInt64Array>;
      if (model instanceof Mae) {
        const keep = drawKept(Rng.stream(o.seed, epoch * stepsPerEpoch + s, 7), B, model.patches, model.kept);
        const target = patchTargets(pixels, [B, model.channels, size, size], patch, o.mae.normPix);
        feeds = { pixels, keep, target };
      } else
        feeds = {
          pixels,
          // labelTargets checks every label; the composition then counts valid ones only.
          target: labelTargets(labels, [B, size, size], patch, classes),
          composition: labelComposition(labels, [B, size, size], classes),
        };
      const r = await step.run(feeds);
      if (!Number.isFinite(r.loss))
        throw new Error(`pretrain: loss is ${r.loss} at epoch ${epoch + 1} step ${s + 1}`);
      sum += r.loss;
      opt.step(r.grads);
    }
    const seconds = (performance.now() - te) / 1000;
    epochs.push({ epoch: epoch + 1, loss: sum / stepsPerEpoch, lr, seconds });
    const perEpoch = trainSeconds() / (epoch + 1 - startEpoch);
    o.log(
      `pretrain: epoch ${epoch + 1}/${o.epochs}  loss ${(sum / stepsPerEpoch).toFixed(4)}  ${seconds.toFixed(1)} s  ETA ${duration(perEpoch * (o.epochs - epoch - 1))}`,
    );
    // Checkpoint: weights and optimizer first, state.json last, so a state.json always has its files.
    await mkdir(ckDir, { recursive: true });
    await writeSafetensors(
      join(ckDir, "weights.safetensors"),
      new Map(
        [...model.namedParameters()].map(([n, p]) => [
          n,
          { dtype: "F32" as const, shape: p.shape, data: p.data },
        ]),
      ),
    );
    await saveOptimizerState(join(ckDir, "optimizer"), opt);
    await writeFileAtomic(join(ckDir, "state.json"), `${JSON.stringify(record(), null, 2)}\n`);
    if (o.stopAfter !== null && epoch + 1 >= o.stopAfter && epoch + 1 < o.epochs)
      return {
        out,
        scans: slices.scans,
        slices: slices.count,
        steps: (epoch + 1) * stepsPerEpoch,
        epochs,
        trainSeconds: earlierSeconds + trainSeconds(),
        loadSeconds,
      };
  }

  const rec = record();
  await saveBackbone(backbone, { ...o.backbone }, out, {
    // Slices are fed as windowed CT in [0, 1] with no further normalisation.
    preprocessor: {
      image_processor_type: "BitImageProcessor",
      do_resize: true,
      size: { height: size, width: size },
      do_center_crop: false,
      do_rescale: false,
      do_normalize: false,
    },
    metadata: {
      format: "pt",
      medadapt: `${dense ? "dense label" : "MAE"} pretraining (pretraining.json)`,
    },
  });
  await writeFileAtomic(join(out, "pretraining.json"), `${JSON.stringify(rec, null, 2)}\n`);
  await rm(ckDir, { recursive: true, force: true });
  return {
    out,
    scans: slices.scans,
    slices: slices.count,
    steps: totalSteps,
    epochs,
    trainSeconds: rec.train_seconds,
    loadSeconds,
  };
}

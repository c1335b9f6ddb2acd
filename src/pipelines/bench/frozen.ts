/**
 * The frozen-pooling baseline on cached slice embeddings. With a frozen backbone (linear_probe),
 * a parameter-free slice pooling (mean, max), no augmentation and no auxiliary decoder, every
 * epoch would run the same backbone forward over the same slices: the embeddings are computed
 * once per case (src/data's FeatureCache, so later runs and other seeds on the same backbone
 * reuse them) and the head trains on them. The run folder is the same as `runTask`'s — same
 * config, same weight names, same `describe` — so `loadTaskModel`, `predict` and `--resume` work
 * on it unchanged.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { FeatureCache } from "../../data/cache.js";
import type { PreprocessConfig } from "../../data/config.js";
import type { DataCase } from "../../data/manifest.js";
import { loadBatches, stackView } from "../../data/prefetch.js";
import { compile, concat, Graph, reduceMean, reshape, type Value } from "../../engine/index.js";
import { BuildContext } from "../../nn/module.js";
import type { AnyMc3d } from "../../tasks/classification/anymc3d.js";
import type { SlicePool } from "../../tasks/classification/pooling.js";
import { findCheckpoint } from "../../train/checkpoint.js";
import type { TrainConfig } from "../../train/config.js";
import { type ArraySet, memoryData } from "../../train/memory-data.js";
import { moduleTrainable } from "../../train/module-trainable.js";
import { RunDir } from "../../train/run-dir.js";
import { resume, type TrainOptions, train } from "../../train/trainer.js";
import { describeTask, savePlugin, setupTask, type TaskRun } from "../classification/job.js";
import { splitCases } from "./split-cases.js";

/** Whether a run's config allows training on cached embeddings (see the file comment). */
export function cacheableRun(config: TrainConfig): boolean {
  const m = config.model;
  return (
    m.method === "linear_probe" &&
    (m.pooling === "mean" || m.pooling === "max") &&
    config.data.augment === undefined &&
    !m.aux
  );
}

/**
 * Logits [B, F] from per-view slice embeddings [B, S, D]: the pooling, view fusion and head of
 * `AnyMc3d.classify` without the backbone (a test checks the two agree).
 */
export function classifyEmbeddings(
  model: AnyMc3d,
  ctx: BuildContext,
  slices: Readonly<Record<string, Value>>,
): Value {
  const pooled = model.views.map(
    (v) => (model.getModule(`pool.${v}`) as SlicePool).pool(ctx, slices[v]!).embedding,
  );
  let embedding = pooled[0]!;
  if (pooled.length > 1) {
    const [b, d] = embedding.shape as [number, number];
    const stacked = concat(pooled, 1);
    embedding =
      model.fusion === "concat" ? stacked : reduceMean(reshape(stacked, [b, pooled.length, d]), [1]);
  }
  return model.getModule("head").forward(ctx, embedding);
}

/** What identifies the frozen backbone's weights, for the cache key. */
async function backboneIdentity(config: TrainConfig, pretrained: boolean): Promise<Record<string, unknown>> {
  const backbone = config.model.backbone as string;
  if (!pretrained) return { random: true, seed: config.seed, initStd: config.model.initStd ?? null };
  // A folder: its weights file's size and time, so replaced weights never read stale features.
  const files: Record<string, string> = {};
  for (const f of ["model.safetensors", "config.json"]) {
    try {
      const s = await stat(join(backbone, f));
      files[f] = `${s.size}:${s.mtimeMs}`;
    } catch {
      // Sharded or other layouts: the folder path alone.
    }
  }
  return { files };
}

/** Slice embeddings per view ([S, D] each) of every case, from the cache or computed in batches. */
async function embeddings(
  model: AnyMc3d,
  cache: FeatureCache,
  cases: readonly DataCase[],
  pre: PreprocessConfig,
  batchSize: number,
): Promise<{ feats: Map<string, Map<string, Float32Array>>; computed: number }> {
  const out = new Map<string, Map<string, Float32Array>>();
  const missing: DataCase[] = [];
  for (const c of cases) {
    const hit = await cache.get(c);
    if (hit) out.set(c.id, new Map([...hit].map(([k, t]) => [k, t.data as Float32Array])));
    else missing.push(c);
  }
  const programs = new Map<string, Awaited<ReturnType<typeof compile>>>();
  const byId = new Map(missing.map((c) => [c.id, c]));
  for await (const batch of loadBatches(missing, { config: pre, batchSize })) {
    const views = batch.cases[0]!.input.views;
    const stacks = views.map((_, i) => stackView(batch, i));
    const key = stacks.map((s) => s.shape.join("x")).join(",");
    let prog = programs.get(key);
    if (!prog) {
      const g = new Graph();
      const ctx = new BuildContext(model, { graph: g });
      const outs: Record<string, Value> = {};
      views.forEach((v, i) => {
        outs[`slices_${v.plane}`] = model.encodeSlices(ctx, g.input(v.plane, stacks[i]!.shape, "float32"));
      });
      prog = await compile(outs);
      programs.set(key, prog);
    }
    const feeds: Record<string, Float32Array> = {};
    views.forEach((v, i) => {
      feeds[v.plane] = stacks[i]!.data;
    });
    const res = (await prog.run(feeds)) as Record<string, Float32Array>;
    for (const [b, id] of batch.ids.entries()) {
      const tensors: Record<string, { dtype: "F32"; shape: number[]; data: Float32Array }> = {};
      const mine = new Map<string, Float32Array>();
      for (const v of views) {
        const all = res[`slices_${v.plane}`]!;
        const per = all.length / batch.ids.length;
        const data = all.slice(b * per, (b + 1) * per);
        tensors[v.plane] = { dtype: "F32", shape: [per / model.hiddenSize, model.hiddenSize], data };
        mine.set(v.plane, data);
      }
      await cache.put(byId.get(id)!, tensors);
      out.set(id, mine);
    }
  }
  return { feats: out, computed: missing.length };
}

function arraySet(
  model: AnyMc3d,
  cases: readonly DataCase[],
  feats: Map<string, Map<string, Float32Array>>,
  f: number,
): ArraySet {
  const inputs: ArraySet["inputs"] = {};
  for (const v of model.views) {
    const first = feats.get(cases[0]!.id)!.get(v)!;
    const data = new Float32Array(cases.length * first.length);
    cases.forEach((c, i) => {
      data.set(feats.get(c.id)!.get(v)!, i * first.length);
    });
    (inputs as Record<string, unknown>)[v] = {
      data,
      shape: [cases.length, first.length / model.hiddenSize, model.hiddenSize],
    };
  }
  const labels = new Float32Array(cases.length * f);
  cases.forEach((c, i) => {
    labels.set(c.labels, i * f);
  });
  return { inputs, labels };
}

/**
 * Trains (or resumes, when `config.runDir` holds a checkpoint) a cacheable run on cached slice
 * embeddings; the cache lives in `cacheDir`.
 */
export async function runCachedTask(
  config: TrainConfig,
  cacheDir: string,
  opts: TrainOptions & { log?: (line: string) => void } = {},
  source = "train config",
): Promise<TaskRun & { cache: { computed: number; reused: number; seconds: number } }> {
  const setup = await setupTask(config, source);
  const model = setup.built.model;
  const pre = config.data.preprocess as PreprocessConfig;
  const train_ = await splitCases(config, "train");
  const val = await splitCases(config, "val");
  const cache = new FeatureCache(cacheDir, {
    preprocess: pre,
    backbone: {
      id: config.model.backbone as string,
      config: {
        views: model.views,
        weights: await backboneIdentity(config, setup.built.backbone.pretrained),
      },
    },
  });
  const t0 = performance.now();
  const all = [...train_.cases, ...val.cases];
  const { feats, computed } = await embeddings(model, cache, all, pre, config.train.batchSize);
  const f = setup.findings.length;
  const data = memoryData(
    setup.findings,
    arraySet(model, train_.cases, feats, f),
    arraySet(model, val.cases, feats, f),
    { batchSize: config.train.batchSize },
  );
  const cacheInfo = { computed, reused: all.length - computed, seconds: (performance.now() - t0) / 1000 };
  opts.log?.(
    `  frozen path: slice embeddings of ${all.length} cases (${computed} computed, ${cacheInfo.reused} cached) in ${cacheInfo.seconds.toFixed(1)} s`,
  );
  const t = moduleTrainable(model, {
    forward: (ctx, inputs) => classifyEmbeddings(model, ctx, inputs),
    describe: describeTask(setup),
  });
  const run = new RunDir(config.runDir);
  const { log: _log, ...trainOpts } = opts;
  const result = (await findCheckpoint(run.lastCheckpoint))
    ? await resume(config.runDir, t, data, trainOpts)
    : await train(t, data, config, trainOpts);
  if (result.status !== "aborted") await savePlugin(setup, result.runDir);
  return { setup, result, cache: cacheInfo };
}

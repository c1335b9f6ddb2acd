// Hugging Face model folders: config.json + model.safetensors (or a sharded index). Weights are
// read tensor by tensor into the module's Parameters (F16/BF16 widened to F32); key names are
// the module's state-dict paths under the checkpoint's prefix, checked all at once.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../../errors.js";
import {
  readSafetensors,
  readSafetensorsIndex,
  type SafetensorsFile,
  type ShardedSafetensors,
  writeSafetensors,
} from "../../io/safetensors/index.js";
import type { VisionBackbone } from "../nets/backbone.js";
import { Dinov2Model } from "../nets/dinov2.js";
import { Dinov3Model } from "../nets/dinov3.js";
import { SiglipVisionModel } from "../nets/siglip.js";
import { type BackboneSpec, backboneSpec } from "./configs.js";
import { type Preprocessing, readPreprocessing } from "./preprocess.js";

export interface LoadedBackbone {
  model: VisionBackbone;
  spec: BackboneSpec;
  /** Key prefix the checkpoint uses for this model (e.g. "model.vision_tower.vision_model."). */
  prefix: string;
  /** config image_size and patch_size. */
  imageSize: number;
  patchSize: number;
  /** From preprocessor_config.json when present. */
  preprocessing: Preprocessing | undefined;
  dir: string;
}

/** Keys checkpoints carry that are not weights of the module (persistent buffers of old exports). */
const IGNORED = [/(^|\.)position_ids$/];

export function buildBackbone(spec: BackboneSpec): VisionBackbone {
  switch (spec.arch) {
    case "dinov2":
      return new Dinov2Model(spec.config);
    case "dinov3_vit":
      return new Dinov3Model(spec.config);
    case "siglip_vision_model":
      return new SiglipVisionModel(spec.config);
  }
}

interface WeightSource {
  names(): string[];
  shape(name: string): Promise<number[]>;
  float32(name: string): Promise<Float32Array>;
  close(): Promise<void>;
}

async function openWeights(dir: string): Promise<WeightSource> {
  const single = join(dir, "model.safetensors");
  if (existsSync(single)) {
    const f: SafetensorsFile = await readSafetensors(single);
    return {
      names: () => f.names(),
      shape: async (n) => f.info(n).shape,
      float32: (n) => f.float32(n),
      close: () => f.close(),
    };
  }
  if (existsSync(join(dir, "model.safetensors.index.json"))) {
    const s: ShardedSafetensors = await readSafetensorsIndex(dir);
    return {
      names: () => s.names(),
      shape: async (n) => (await s.shard(s.shardOf(n))).info(n).shape,
      float32: (n) => s.float32(n),
      close: () => s.close(),
    };
  }
  throw new InputError("no model.safetensors or model.safetensors.index.json in this folder", dir);
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(
      `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      path,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`not valid JSON (${(err as Error).message})`, path);
  }
}

/** The prefix under which most of the module's keys are found. */
function choosePrefix(
  expected: readonly string[],
  present: ReadonlySet<string>,
  prefixes: readonly string[],
): string {
  let best = prefixes[0] ?? "";
  let bestHits = -1;
  for (const p of prefixes) {
    const hits = expected.filter((k) => present.has(p + k)).length;
    if (hits > bestHits) {
      best = p;
      bestHits = hits;
    }
  }
  return best;
}

/** Loads a Hugging Face model folder. Weights stay frozen (trainable = false) until unfrozen. */
export async function loadBackbone(dir: string): Promise<LoadedBackbone> {
  const configPath = join(dir, "config.json");
  const spec = backboneSpec(await readJson(configPath), configPath);
  const model = buildBackbone(spec);
  const weights = await openWeights(dir);
  let prefix = "";
  try {
    const state = model.stateDict();
    const expected = [...state.keys()];
    const present = new Set(weights.names());
    prefix = choosePrefix(expected, present, spec.prefixes);
    const expectedFull = new Set(expected.map((k) => prefix + k));
    const missing = expected.filter((k) => !present.has(prefix + k)).map((k) => prefix + k);
    // Keys outside the prefix (a Gemma 3 language model, a SigLIP text tower) belong to other models.
    const unexpected = [...present].filter(
      (k) => k.startsWith(prefix) && !expectedFull.has(k) && !IGNORED.some((re) => re.test(k)),
    );
    const misShaped: string[] = [];
    for (const [k, p] of state) {
      const full = prefix + k;
      if (!present.has(full)) continue;
      const shape = await weights.shape(full);
      if (shape.join(",") !== p.shape.join(",")) misShaped.push(`${full} [${shape}] (expected [${p.shape}])`);
    }
    const problems: string[] = [];
    const list = (xs: string[]) =>
      xs.length > 12 ? `${xs.slice(0, 12).join(", ")} … (${xs.length} in all)` : xs.join(", ");
    if (missing.length) problems.push(`missing keys: ${list(missing)}`);
    if (unexpected.length) problems.push(`unexpected keys: ${list(unexpected)}`);
    if (misShaped.length) problems.push(`mis-shaped keys: ${list(misShaped)}`);
    if (problems.length) {
      throw new InputError(`checkpoint does not match its ${spec.arch} config: ${problems.join("; ")}`, dir);
    }
    for (const [k, p] of state) {
      p.data = await weights.float32(prefix + k);
      p.trainable = false;
    }
  } finally {
    await weights.close();
  }
  const c = spec.config;
  return {
    model,
    spec,
    prefix,
    imageSize: c.image_size,
    patchSize: c.patch_size,
    preprocessing: await readPreprocessing(dir),
    dir,
  };
}

/** The state dict under `prefix` as safetensors tensors (F32), e.g. to write a checkpoint. */
export function stateTensors(
  model: VisionBackbone,
  prefix = "",
): Map<string, { dtype: "F32"; shape: number[]; data: Float32Array }> {
  const out = new Map<string, { dtype: "F32"; shape: number[]; data: Float32Array }>();
  for (const [k, p] of model.namedParameters())
    out.set(prefix + k, { dtype: "F32", shape: p.shape, data: p.data });
  return out;
}

/** Writes `model.safetensors` of the module's weights under `prefix` into `dir`. */
export async function saveWeights(model: VisionBackbone, dir: string, prefix = ""): Promise<void> {
  await writeSafetensors(join(dir, "model.safetensors"), stateTensors(model, prefix));
}

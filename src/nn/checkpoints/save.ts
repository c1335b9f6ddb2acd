// Writes a backbone as a Hugging Face model folder that `loadBackbone` (and transformers) read:
// config.json with the family's model_type, model.safetensors under the family's plain key names,
// and optionally preprocessor_config.json. Each file is written atomically.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../io/atomic.js";
import { writeSafetensors } from "../../io/safetensors/index.js";
import { withoutSeedDraws } from "../init.js";
import type { VisionBackbone } from "../nets/backbone.js";
import { backboneSpec } from "./configs.js";
import { buildBackbone, stateTensors } from "./hf.js";

/** transformers' class name per model_type, written as config.json `architectures`. */
const ARCHITECTURES: Record<string, string> = {
  dinov2: "Dinov2Model",
  dinov3_vit: "DINOv3ViTModel",
  siglip_vision_model: "SiglipVisionModel",
};

export interface SaveBackboneOptions {
  /** Contents of preprocessor_config.json (transformers' image-processor fields), if any. */
  preprocessor?: Record<string, unknown>;
  /** safetensors metadata (strings), e.g. how the weights were made. */
  metadata?: Record<string, string>;
}

/**
 * Saves `model` into `dir` (created if needed) with `config` as config.json. The config must
 * describe the model (it is validated and its parameter shapes compared with the model's), so
 * the folder loads back into the same architecture.
 */
export async function saveBackbone(
  model: VisionBackbone,
  config: Record<string, unknown>,
  dir: string,
  opts: SaveBackboneOptions = {},
): Promise<void> {
  const spec = backboneSpec(config, "saveBackbone config");
  if (spec.arch !== model.arch)
    throw new Error(`saveBackbone: config is ${spec.arch}, the model ${model.arch}`);
  // Built for its shapes only; the seed sequence must not move, or the next random build changes.
  const want = new Map(
    [...withoutSeedDraws(() => buildBackbone(spec)).namedParameters()].map(([k, p]) => [
      k,
      p.shape.join(","),
    ]),
  );
  const have = [...model.namedParameters()];
  const off = have.filter(([k, p]) => want.get(k) !== p.shape.join(","));
  if (off.length || have.length !== want.size)
    throw new Error(
      `saveBackbone: the model does not match its config (${off.length} keys differ, ${have.length} vs ${want.size} tensors)`,
    );
  await mkdir(dir, { recursive: true });
  const full = { architectures: [ARCHITECTURES[spec.arch]], ...config };
  await writeSafetensors(join(dir, "model.safetensors"), stateTensors(model), opts.metadata);
  await writeFileAtomic(join(dir, "config.json"), `${JSON.stringify(full, null, 2)}\n`);
  if (opts.preprocessor)
    await writeFileAtomic(
      join(dir, "preprocessor_config.json"),
      `${JSON.stringify(opts.preprocessor, null, 2)}\n`,
    );
}

// config.json of each supported family → the validated config of its module, with transformers'
// defaults for absent fields (configuration_dinov2.py, configuration_dinov3_vit.py,
// configuration_siglip.py; Gemma 3 nests the SigLIP tower under `vision_config`).
import { InputError } from "../../errors.js";
import { activationFromHf } from "../layers/activation.js";
import type { Dinov2Config } from "../nets/dinov2.js";
import type { Dinov3Config } from "../nets/dinov3.js";
import type { SiglipVisionConfig } from "../nets/siglip.js";
import { readFields, type Schema } from "./schema.js";

const ACTS = ["gelu", "gelu_pytorch_tanh", "gelu_new", "gelu_fast", "silu", "swish", "relu"];

const DINOV2: Schema = {
  hidden_size: { type: "int", min: 1 },
  num_hidden_layers: { type: "int", min: 1 },
  num_attention_heads: { type: "int", min: 1 },
  mlp_ratio: { type: "number", default: 4, min: 0 },
  hidden_act: { type: "string", default: "gelu", oneOf: ACTS },
  layer_norm_eps: { type: "number", default: 1e-6, min: 0 },
  image_size: { type: "int", default: 224, min: 1 },
  patch_size: { type: "int", default: 14, min: 1 },
  num_channels: { type: "int", default: 3, min: 1 },
  qkv_bias: { type: "bool", default: true },
  layerscale_value: { type: "number", default: 1 },
  use_swiglu_ffn: { type: "bool", default: false },
  use_mask_token: { type: "bool", default: true },
};

const DINOV3: Schema = {
  hidden_size: { type: "int", default: 384, min: 1 },
  intermediate_size: { type: "int", default: 1536, min: 1 },
  num_hidden_layers: { type: "int", default: 12, min: 1 },
  num_attention_heads: { type: "int", default: 6, min: 1 },
  hidden_act: { type: "string", default: "gelu", oneOf: ACTS },
  layer_norm_eps: { type: "number", default: 1e-5, min: 0 },
  rope_theta: { type: "number", default: 100, min: 0 },
  image_size: { type: "int", default: 224, min: 1 },
  patch_size: { type: "int", default: 16, min: 1 },
  num_channels: { type: "int", default: 3, min: 1 },
  query_bias: { type: "bool", default: true },
  key_bias: { type: "bool", default: false },
  value_bias: { type: "bool", default: true },
  proj_bias: { type: "bool", default: true },
  mlp_bias: { type: "bool", default: true },
  layerscale_value: { type: "number", default: 1 },
  num_register_tokens: { type: "int", default: 0, min: 0 },
};

const SIGLIP: Schema = {
  hidden_size: { type: "int", default: 768, min: 1 },
  intermediate_size: { type: "int", default: 3072, min: 1 },
  num_hidden_layers: { type: "int", default: 12, min: 1 },
  num_attention_heads: { type: "int", default: 12, min: 1 },
  hidden_act: { type: "string", default: "gelu_pytorch_tanh", oneOf: ACTS },
  layer_norm_eps: { type: "number", default: 1e-6, min: 0 },
  image_size: { type: "int", default: 224, min: 1 },
  patch_size: { type: "int", default: 16, min: 1 },
  num_channels: { type: "int", default: 3, min: 1 },
  vision_use_head: { type: "bool", default: true },
};

export type BackboneSpec =
  | { arch: "dinov2"; config: Dinov2Config; prefixes: string[] }
  | { arch: "dinov3_vit"; config: Dinov3Config; prefixes: string[] }
  | { arch: "siglip_vision_model"; config: SiglipVisionConfig; prefixes: string[] };

function headsDivide(c: { hidden_size: number; num_attention_heads: number }, problems: string[]): void {
  if (c.hidden_size % c.num_attention_heads !== 0) {
    problems.push(
      `hidden_size ${c.hidden_size} is not a multiple of num_attention_heads ${c.num_attention_heads}`,
    );
  }
}

/** Recognises and validates a parsed config.json. `source` names the file in errors. */
export function backboneSpec(json: unknown, source: string): BackboneSpec {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InputError("config is not a JSON object", source);
  }
  const top = json as Record<string, unknown>;
  const type = top.model_type;
  const problems: string[] = [];
  const fail = () => {
    throw new InputError(`invalid config: ${problems.join("; ")}`, source);
  };
  if (type === "dinov2") {
    const f = readFields(top, DINOV2, problems);
    if (problems.length) fail();
    const config = {
      ...f,
      hidden_act: activationFromHf(f.hidden_act as string, source),
    } as unknown as Dinov2Config;
    headsDivide(config, problems);
    if (problems.length) fail();
    return { arch: "dinov2", config, prefixes: ["", "dinov2."] };
  }
  if (type === "dinov3_vit") {
    const f = readFields(top, DINOV3, problems);
    // The gated (SwiGLU) MLP flag was renamed; accept both spellings.
    const gated = top.use_gated_mlp ?? top.use_swiglu_ffn ?? false;
    if (typeof gated !== "boolean")
      problems.push(`use_gated_mlp must be a bool (got ${JSON.stringify(gated)})`);
    if (problems.length) fail();
    const config = {
      ...f,
      use_gated_mlp: gated,
      hidden_act: activationFromHf(f.hidden_act as string, source),
    } as unknown as Dinov3Config;
    headsDivide(config, problems);
    if ((config.hidden_size / config.num_attention_heads) % 4 !== 0) {
      problems.push("head dim (hidden_size / num_attention_heads) must be a multiple of 4 for the 2-D RoPE");
    }
    if (problems.length) fail();
    return { arch: "dinov3_vit", config, prefixes: ["", "model."] };
  }
  let vision: Record<string, unknown> | undefined;
  let where = "";
  if (type === "siglip_vision_model") vision = top;
  else if (typeof top.vision_config === "object" && top.vision_config !== null) {
    const vc = top.vision_config as Record<string, unknown>;
    if (type === "siglip" || vc.model_type === "siglip_vision_model" || type === "gemma3") {
      vision = vc;
      where = "vision_config.";
    }
  }
  if (vision) {
    const f = readFields(vision, SIGLIP, problems, where);
    if (problems.length) fail();
    const config = {
      ...f,
      hidden_act: activationFromHf(f.hidden_act as string, source),
    } as unknown as SiglipVisionConfig;
    headsDivide(config, problems);
    if (problems.length) fail();
    return {
      arch: "siglip_vision_model",
      config,
      prefixes: ["vision_model.", "vision_tower.vision_model.", "model.vision_tower.vision_model.", ""],
    };
  }
  throw new InputError(
    `unsupported model_type ${JSON.stringify(type)} (supported: dinov2, dinov3_vit, siglip_vision_model, siglip, gemma3 with a SigLIP vision_config)`,
    source,
  );
}

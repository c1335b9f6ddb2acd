// Neural-network modules and backbones built on the engine.

export { VitBlock, type VitBlockSpec } from "./blocks/vit-block.js";
export { type BackboneSpec, backboneSpec } from "./checkpoints/configs.js";
export {
  buildBackbone,
  type LoadedBackbone,
  loadBackbone,
  saveWeights,
  stateTensors,
} from "./checkpoints/hf.js";
export {
  type Preprocessing,
  preprocessImages,
  readPreprocessing,
  targetSize,
} from "./checkpoints/preprocess.js";
export { type SaveBackboneOptions, saveBackbone } from "./checkpoints/save.js";
export { type Field, readFields, type Schema } from "./checkpoints/schema.js";
export { compileBackbone, type Embeddings, type EmbedOptions, embedPixels } from "./embed.js";
export { lazyNormal, normalInit, resetInitSeed } from "./init.js";
export { type Activation, activate } from "./layers/activation.js";
export {
  applyRope,
  attentionProbs,
  MultiHeadAttention,
  mergeHeads,
  scaledDotProductAttention,
  selfAttentionProbs,
  splitHeads,
  TorchMultiheadAttention,
} from "./layers/attention.js";
export { Conv, Embedding, PatchEmbed, patchGrid, patchTokens } from "./layers/conv.js";
export { LayerNorm } from "./layers/layernorm.js";
export { LayerScale } from "./layers/layerscale.js";
export { Linear } from "./layers/linear.js";
export { FusedSwiGlu, GatedMlp, Mlp } from "./layers/mlp.js";
export { bicubicMatrix, bicubicResize, interpolateGrid, sincosTable } from "./layers/posembed.js";
export { dinov3RopeTables, type RopeTables } from "./layers/rope.js";
export { BuildContext, Container, Module, Parameter, place } from "./module.js";
export { type BackboneOutputs, VisionBackbone } from "./nets/backbone.js";
export { Cnn3d, type Cnn3dConfig } from "./nets/cnn3d.js";
export { type Dinov2Config, Dinov2Model } from "./nets/dinov2.js";
export { type Dinov3Config, Dinov3Model } from "./nets/dinov3.js";
export { type SiglipVisionConfig, SiglipVisionModel } from "./nets/siglip.js";
export { Vit3d, type Vit3dConfig } from "./nets/vit3d.js";
export {
  type AdapterBudget,
  adapterBudget,
  DEMO_VIT_CONFIG,
  KNOWN_BACKBONES,
  type KnownBackbone,
  shippedModelDir,
} from "./zoo.js";

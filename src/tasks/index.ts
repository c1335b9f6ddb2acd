// Task models built on the backbones and adapters: the AnyMC3D slice-wise classifier. Running
// them on data (config → run folder, predict) lives in src/pipelines.
export {
  AnyMc3d,
  type AnyMc3dOptions,
  type AnyMc3dOutputs,
  type ViewFusion,
} from "./classification/anymc3d.js";
export { AuxDecoder, auxMaskLoss } from "./classification/aux-decoder.js";
export {
  type BuildOptions,
  type BuiltTaskModel,
  buildTaskModel,
  type TaskModelConfig,
  TINY_3D_BACKBONES,
  TINY_BACKBONES,
  taskModelConfig,
} from "./classification/build.js";
export { Native3d, type Native3dOptions, VOLUME_VIEW } from "./classification/native3d.js";
export {
  AttentionPool,
  attentionPool,
  MaxPool,
  MeanPool,
  maxPool,
  meanPool,
  POOLING_KINDS,
  type Pooled,
  type PoolingKind,
  SlicePool,
  slicePool,
  truncNormal,
} from "./classification/pooling.js";
export * as pretraining from "./pretraining/index.js";

// Task models built on the backbones and adapters: the AnyMC3D slice-wise classifier.
export {
  AnyMc3d,
  type AnyMc3dOptions,
  type AnyMc3dOutputs,
  type AnyMc3dTrainableOptions,
  anyMc3dTrainable,
  type ViewFusion,
} from "./classification/anymc3d.js";
export {
  type BuildOptions,
  type BuiltTaskModel,
  buildTaskModel,
  type TaskModelConfig,
  TINY_BACKBONES,
  taskModelConfig,
} from "./classification/build.js";
export {
  buildForConfig,
  describeTask,
  readTaskConfig,
  runTask,
  savePlugin,
  setupTask,
  type TaskRun,
  type TaskSetup,
} from "./classification/job.js";
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
export {
  type LoadedTaskModel,
  loadTaskModel,
  type Prediction,
  predictScan,
} from "./classification/predict.js";

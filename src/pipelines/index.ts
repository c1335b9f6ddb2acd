// Jobs that tie the layers together: a config file → data, task model, trainer, run folder;
// a run folder → predictions. The CLI's train and predict commands are thin shells over these.

export * as bench from "./bench/index.js";
export { benchConfig, readBenchConfig, runBench } from "./bench/index.js";
export { auxLoaderData } from "./classification/aux-data.js";
export {
  type ExportOptions,
  type ExportResult,
  exportTaskModel,
  medadaptVersion,
} from "./classification/export.js";
export {
  type HeatmapOptions,
  heatmapForInput,
  heatmapForScan,
  heatmapPng,
  type ScanHeatmap,
  type ViewHeatmap,
} from "./classification/heatmap.js";
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
  activateTask,
  type LoadedTaskModel,
  loadTaskModel,
  loadTaskModels,
  type Prediction,
  predictScan,
  predictScanAll,
  prepareScan,
  runLabel,
  type ScanImages,
} from "./classification/predict.js";
export {
  type AnyMc3dTrainableOptions,
  AUX_MASK_INPUT,
  AUX_WEIGHT_INPUT,
  anyMc3dTrainable,
} from "./classification/trainable.js";
export {
  type EpochLoss,
  PRETRAIN_DEFAULTS,
  type PretrainOptions,
  type PretrainResult,
  pretrain,
} from "./pretrain/index.js";

// The trainer: model-agnostic loop, losses, checkpoints, resume, run folders, config.

export type { FieldSpec } from "../config/schema.js";
export {
  type EpochRecord,
  findCheckpoint,
  type LoadedCheckpoint,
  readCheckpoint,
  restoreParams,
  type SaveHooks,
  type TrainState,
  writeCheckpoint,
} from "./checkpoint.js";
export {
  DEFAULT_GROUPS,
  type EarlyStoppingConfig,
  type LossConfig,
  loadTrainConfig,
  TRAIN_CONFIG_SCHEMA,
  type TrainConfig,
  type TrainSection,
  trainConfig,
} from "./config.js";
export { EarlyStopping, type EarlyStoppingState } from "./early-stopping.js";
export { type LinearProbeOptions, linearProbe } from "./linear-probe.js";
export { type LoaderDataOptions, loaderData, trainBatchOf } from "./loader-data.js";
export { type LossOptions, multiLabelLoss, posWeightFromLabels, splitLabels } from "./loss.js";
export { type ArraySet, memoryData } from "./memory-data.js";
export { type ModuleTrainableOptions, moduleTrainable } from "./module-trainable.js";
export { duration, Progress, type ProgressSink } from "./progress.js";
export { RunDir } from "./run-dir.js";
export type {
  BatchTensor,
  EpochContext,
  ForwardOutput,
  GroupSpec,
  ParamRef,
  Trainable,
  TrainBatch,
  TrainData,
} from "./trainable.js";
export {
  EPOCH_RNG_PURPOSE,
  epochContext,
  resume,
  Trainer,
  type TrainOptions,
  type TrainResult,
  train,
} from "./trainer.js";

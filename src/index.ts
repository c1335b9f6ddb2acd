// The public API. Applications (apps/) import only from here.

export * as adapt from "./adapt/index.js";
export {
  type ApplyOptions,
  applyMethod,
  loadAdapter,
  type ParamSummary,
  saveAdapter,
} from "./adapt/index.js";
export * from "./data/index.js";
export * as engine from "./engine/index.js";
export * from "./engine/optim/index.js";
export { InputError } from "./errors.js";
export * from "./eval/index.js";
export * from "./io/dicom/index.js";
export * from "./io/nifti/index.js";
export { type ReadScanOptions, readScan, type ScanFormat, sniffFormat } from "./io/registry.js";
export {
  bf16ToFloat32,
  type DecodedSafetensors,
  DTYPES as SAFETENSORS_DTYPES,
  decodeSafetensors,
  encodeSafetensors,
  f16ToFloat32,
  float32ToBF16,
  float32ToF16,
  type ReadSafetensorsOptions,
  readSafetensors,
  readSafetensorsIndex,
  type SafetensorsDType,
  SafetensorsFile,
  type SafetensorsHeader,
  ShardedSafetensors,
  type Tensor as SafetensorsTensor,
  type TensorArray,
  type TensorInfo as SafetensorsTensorInfo,
  type TensorInput as SafetensorsTensorInput,
  type TensorsInput as SafetensorsInput,
  toFloat32,
  writeSafetensors,
} from "./io/safetensors/index.js";
export * as nn from "./nn/index.js";
export * from "./phantom/index.js";
export * as pipelines from "./pipelines/index.js";
export {
  benchConfig,
  loadTaskModel,
  loadTaskModels,
  predictScan,
  predictScanAll,
  readBenchConfig,
  readTaskConfig,
  runBench,
  runLabel,
  runTask,
} from "./pipelines/index.js";
export { mixKey, Rng } from "./random/index.js";
export * as report from "./report/index.js";
export {
  type BenchResults,
  type BenchRun,
  type BenchSummaryRow,
  parseBenchResults,
  readBenchResults,
  renderBenchReport,
  writeBenchReport,
} from "./report/index.js";
export * as tasks from "./tasks/index.js";
export { TINY_BACKBONES } from "./tasks/index.js";
export * as train from "./train/index.js";
export {
  loadTrainConfig,
  resume as resumeTraining,
  type Trainable,
  type TrainBatch,
  type TrainConfig,
  type TrainData,
  train as trainModel,
  trainConfig,
} from "./train/index.js";
export * from "./volume/croppad.js";
export * from "./volume/index.js";
export * from "./volume/normalize.js";
export * from "./volume/orient.js";
export * from "./volume/resample.js";
export * from "./volume/slices.js";
export * from "./volume/stats.js";
export * from "./volume/window.js";

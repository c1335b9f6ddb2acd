export { ADAMW_DEFAULTS, AdamW, type AdamWHyper } from "./adamw.js";
export { type ClipOptions, clipGradNorm } from "./clip.js";
export { DEFAULT_GROUP, type GroupSelector, type ParamGroup, type TensorMap } from "./groups.js";
export {
  type BaseHyper,
  Optimizer,
  type OptimizerOptions,
  type OptimizerStateConfig,
  type OptimizerStateDict,
  type ParamState,
} from "./optimizer.js";
export {
  constantSchedule,
  type Schedule,
  stepSchedule,
  type WarmupCosineOptions,
  warmupConstantSchedule,
  warmupCosineSchedule,
  warmupLinearSchedule,
} from "./schedule.js";
export { SGD, SGD_DEFAULTS, type SGDHyper } from "./sgd.js";
export { loadOptimizerState, saveOptimizerState } from "./state-file.js";

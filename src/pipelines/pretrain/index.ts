export {
  type EpochLoss,
  PRETRAIN_DEFAULTS,
  type PretrainOptions,
  type PretrainResult,
  pretrain,
} from "./job.js";

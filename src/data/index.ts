export {
  type AugmentConfig,
  type AugmentParams,
  applyAugment,
  augmentConfig,
  DEFAULT_AUGMENT,
  drawAugment,
  NO_AUGMENT,
} from "./augment.js";
export {
  type BackboneIdentity,
  type CacheSize,
  FeatureCache,
  type FeatureCacheOptions,
  stableJson,
} from "./cache.js";
export {
  type CtIntensity,
  channelsPerImage,
  DEFAULT_PREPROCESS,
  type MrIntensity,
  type PreprocessConfig,
  preprocessConfig,
} from "./config.js";
export {
  type DataCase,
  type DataManifest,
  type ManifestOptions,
  parseManifestText,
  readManifest,
  SPLIT_NAMES,
  type SplitName,
} from "./manifest.js";
export {
  loadImage,
  type MaskView,
  type ModelInput,
  type ModelView,
  modelGridVolume,
  type PreparedCase,
  type PrepareOptions,
  prepareCase,
  preprocessImages,
  type ScanGrid,
  toScanGrid,
} from "./pipeline.js";
export {
  type Batch,
  defaultWorkers,
  epochOrder,
  type LoaderOptions,
  loadBatches,
  mapAhead,
  PreparePool,
  stackView,
} from "./prefetch.js";
export { type ResizeMode, resizeIndexMap, resizeTensor, sourceCoordinate } from "./resize.js";
export {
  casesIn,
  DEFAULT_FRACTIONS,
  resolveSplits,
  type SplitFractions,
  type SplitOptions,
  stratifiedSplit,
} from "./splits.js";

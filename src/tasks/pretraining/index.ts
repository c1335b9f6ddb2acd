// Pretraining task models of a DINOv2-layout backbone: the masked autoencoder (self-supervised)
// and dense label prediction (supervised by label maps).
export { DenseLabels, labelComposition, labelTargets } from "./dense.js";
export {
  drawKept,
  keptCount,
  MAE_DEFAULTS,
  Mae,
  type MaeOptions,
  maeInputShapes,
  patchTargets,
} from "./mae.js";

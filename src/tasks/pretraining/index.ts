// Self-supervised pretraining task models: the masked autoencoder of a DINOv2-layout backbone.
export {
  drawKept,
  keptCount,
  MAE_DEFAULTS,
  Mae,
  type MaeOptions,
  maeInputShapes,
  patchTargets,
} from "./mae.js";

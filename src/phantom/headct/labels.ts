/** Label ids of the head CT phantom's two label maps, defined once. */

/** Hemorrhage-subtype map (uint8). */
export const HEMORRHAGE_LABELS = Object.freeze({
  background: 0,
  epidural: 1,
  subdural: 2,
  subarachnoid: 3,
  intraparenchymal: 4,
  intraventricular: 5,
} as const);

/** Anatomy parcellation (uint8). Left/right follow RAS: left is x < 0 of the (shifted) midline. */
export const ANATOMY_LABELS = Object.freeze({
  background: 0,
  scalp: 1,
  skull: 2,
  csf: 3,
  ventricles: 4,
  grey_matter_left: 5,
  grey_matter_right: 6,
  white_matter_left: 7,
  white_matter_right: 8,
  deep_grey_left: 9,
  deep_grey_right: 10,
  cerebellum: 11,
  brainstem: 12,
  sinus_air: 13,
  dura: 14,
  lesion: 15,
  orbit_face: 16,
} as const);

export type AnatomyLabel = keyof typeof ANATOMY_LABELS;

export {
  type CaseJob,
  casePaths,
  generateHeadCtSet,
  type HeadCtSetOptions,
  type HeadCtSetSummary,
  taxonomyCsv,
} from "./headct/generate.js";
export * from "./headct/labels.js";
export { COOCCUR, DEFAULT_PREVALENCE } from "./headct/prevalence.js";
export {
  defaultSpacing,
  type RenderedHeadCt,
  renderHeadCt,
  type ScanGeometry,
  scanAffine,
} from "./headct/render.js";
export { writeReport } from "./headct/report.js";
export { caseId, type HeadCtOptions, sampleHeadCt } from "./headct/sample.js";
export * from "./headct/spec.js";
export { assignSplits } from "./headct/split.js";
export * from "./manifest.js";
export { previewPng } from "./preview.js";
export * from "./taxonomy.js";

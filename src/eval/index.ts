// Evaluation statistics: pure functions over label/score arrays plus one accumulator (MONAI's pattern).
export { type BootstrapCi, type BootstrapOptions, bootstrapAucCi } from "./bootstrap.js";
export {
  type Calibration,
  calibration,
  expectedCalibrationError,
  type ReliabilityBin,
} from "./calibration.js";
export { type EvalFiles, type EvalInputs, readEvalInputs } from "./case-files.js";
export { CumulativeFindings } from "./cumulative.js";
export {
  delongTest,
  delongVariance,
  type PairedDelong,
  type StructuralComponents,
  structuralComponents,
} from "./delong.js";
export { type FindingMatrix, findingMatrix } from "./finding-matrix.js";
export { delongMeanTest, type MacroAuc, macroAuc } from "./findings.js";
export { bootstrapMeanAucCi, type MeanAucCi } from "./mean-bootstrap.js";
export { type EvalReport, type EvaluateOptions, evaluateFindings, type FindingReport } from "./report.js";
export { type RocCurve, rocAuc, rocCurve } from "./roc.js";
export {
  type Confusion,
  confusionAtThreshold,
  type OperatingPoint,
  sensitivityAtSpecificity,
} from "./threshold.js";

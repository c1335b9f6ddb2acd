// `medadapt bench`: backbones × methods × seeds through the task pipeline → results.json (+ report).
export {
  type BenchConfig,
  type BenchMethod,
  backboneSlug,
  benchConfig,
  readBenchConfig,
  runDirFor,
  taskConfigFor,
} from "./config.js";
export { delongVsBaseline, summaryRows, testResults } from "./evaluate.js";
export { cacheableRun, classifyEmbeddings, runCachedTask } from "./frozen.js";
export { predictionsCsv, predictSplit, type SplitPredictions, writePredictionsCsv } from "./predict-split.js";
export { type BenchOptions, type BenchOutcome, PREDICTIONS_CSV, RUN_RECORD, runBench } from "./run.js";
export { splitCases } from "./split-cases.js";

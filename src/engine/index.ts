// The engine's public surface: build a graph, differentiate it, compile it to ONNX Runtime.
export { grad, gradTrainable } from "./autodiff.js";
export {
  type CheckInput,
  type GradCheckOptions,
  type GradCheckReport,
  gradCheck,
  randn,
} from "./gradcheck.js";
export type { AnyTypedArray, DType } from "./ir/dtype.js";
export { Graph, type Shape, Value } from "./ir/graph.js";
export * from "./losses.js";
export { type ImportedModel, type ImportOptions, importOnnx } from "./onnx/import.js";
export { saveOnnx } from "./onnx/save.js";
export { type SerializeOptions, serialize } from "./onnx/serialize.js";
export * from "./ops/index.js";
export * from "./optim/index.js";
export { type CompileOptions, compile, Program, TrainStep } from "./runtime/program.js";
export {
  availableProviders,
  type ExecutionProvider,
  type RuntimeOptions,
  releaseSessions,
} from "./runtime/session.js";
export { compileTrainStep } from "./runtime/train.js";

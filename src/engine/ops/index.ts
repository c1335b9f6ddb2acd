// The op set: importing this module registers every op family.

export * from "./attention.js";
export * from "./conv.js";
export { customGradient, type VectorJacobian } from "./custom.js";
export * from "./elementwise.js";
export * from "./matmul.js";
export * from "./norm.js";
export * from "./pool.js";
export { reduceMax, reduceMean, reduceSum, unbroadcast } from "./reduce.js";
export { type OpDef, opDef, supportedOps } from "./registry.js";
export * from "./resize.js";
export * from "./shape.js";

export * from "./affine.js";
export * from "./volume.js";

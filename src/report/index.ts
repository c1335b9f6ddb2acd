export * from "./bench-results.js";
export { type RenderOptions, renderBenchReport, writeBenchReport } from "./render.js";

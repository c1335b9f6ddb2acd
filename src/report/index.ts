export * from "./bench-results.js";

// Deterministic weight initialisation for modules built without a checkpoint.
import { randn } from "../engine/index.js";

let nextSeed = 1;

/** Normal(0, std²) values; each call draws a fresh seed unless one is given. */
export function normalInit(n: number, std: number, seed = nextSeed++): Float32Array {
  return Float32Array.from(randn(n, seed), (v) => v * std);
}

/** Restarts the seed sequence, so building the same model twice gives the same weights. */
export function resetInitSeed(seed = 1): void {
  nextSeed = seed;
}

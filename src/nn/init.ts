// Deterministic weight initialisation for modules built without a checkpoint.
import { Rng } from "../random/rng.js";

let nextSeed = 1;

/** Normal(0, std²) values from the shared generator; each call draws a fresh seed unless one is given. */
export function normalInit(n: number, std: number, seed = nextSeed++): Float32Array {
  const out = new Float32Array(n);
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) out[i] = std * rng.normal();
  return out;
}

/**
 * The same, deferred: the seed is taken now (so construction order fixes the values) and the
 * array is made only when the Parameter's data is first read.
 */
export function lazyNormal(n: number, std: number): () => Float32Array {
  const seed = nextSeed++;
  return () => normalInit(n, std, seed);
}

/** Restarts the seed sequence, so building the same model twice gives the same weights. */
export function resetInitSeed(seed = 1): void {
  nextSeed = seed;
}

/**
 * Runs `fn` without moving the seed sequence: for modules built only to be inspected (shapes,
 * names), so that inspecting does not change the weights of the next module built.
 */
export function withoutSeedDraws<T>(fn: () => T): T {
  const saved = nextSeed;
  try {
    return fn();
  } finally {
    nextSeed = saved;
  }
}

// Deterministic weight initialisation for modules built without a checkpoint.
let nextSeed = 1;

/**
 * Normal(0, std²) values; each call draws a fresh seed unless one is given. xorshift32 uniforms,
 * Box–Muller giving two normals per pair (ViT-sized models have ~10⁸ weights to fill).
 */
export function normalInit(n: number, std: number, seed = nextSeed++): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 0x9e3779b1) >>> 0 || 1;
  const uni = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  for (let i = 0; i < n; i += 2) {
    const r = std * Math.sqrt(-2 * Math.log(uni()));
    const a = 2 * Math.PI * uni();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
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

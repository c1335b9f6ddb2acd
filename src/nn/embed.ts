// Running a backbone over an array of images in batches of one compiled shape, outputs gathered
// into host arrays.
import { compile, type Program } from "../engine/index.js";
import { BuildContext } from "./module.js";
import type { VisionBackbone } from "./nets/backbone.js";

export interface EmbedOptions {
  /** Images per run (default 8). */
  batch?: number;
  intraOpThreads?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface Embeddings {
  lastHiddenState: Float32Array;
  /** [N, T, D] */
  lastShape: [number, number, number];
  poolerOutput: Float32Array;
  /** [N, D] */
  pooledShape: [number, number];
}

/** Compiles the backbone for inputs of `shape` [B, C, …spatial]. */
export async function compileBackbone(
  model: VisionBackbone,
  shape: readonly number[],
  opts: { intraOpThreads?: number } = {},
): Promise<{ program: Program; tokens: number; dim: number }> {
  const ctx = new BuildContext(model);
  const x = ctx.graph.input("pixel_values", shape);
  const { lastHiddenState, poolerOutput } = model.embed(ctx, x);
  const program = await compile(
    { last_hidden_state: lastHiddenState, pooler_output: poolerOutput },
    opts.intraOpThreads !== undefined ? { intraOpThreads: opts.intraOpThreads } : {},
  );
  return { program, tokens: lastHiddenState.shape[1] as number, dim: lastHiddenState.shape[2] as number };
}

/** Embeds `pixels` [N, C, …spatial] (float32, row-major). */
export async function embedPixels(
  model: VisionBackbone,
  pixels: Float32Array,
  shape: readonly number[],
  opts: EmbedOptions = {},
): Promise<Embeddings> {
  const n = shape[0] as number;
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  const batch = Math.max(1, Math.min(opts.batch ?? 8, n));
  // One program for every run: a short last batch is zero-padded rather than compiled again.
  const p = await compileBackbone(model, [batch, ...shape.slice(1)], opts);
  const t = p.tokens;
  const d = p.dim;
  const last = new Float32Array(n * t * d);
  const pooled = new Float32Array(n * d);
  const padded = n % batch === 0 ? undefined : new Float32Array(batch * per);
  for (let i = 0; i < n; i += batch) {
    const b = Math.min(batch, n - i);
    let feed = pixels.subarray(i * per, (i + b) * per);
    if (b < batch && padded) {
      padded.set(feed);
      feed = padded;
    }
    const out = await p.program.run({ pixel_values: feed });
    last.set((out.last_hidden_state as Float32Array).subarray(0, b * t * d), i * t * d);
    pooled.set((out.pooler_output as Float32Array).subarray(0, b * d), i * d);
    opts.onProgress?.(i + b, n);
  }
  return { lastHiddenState: last, lastShape: [n, t, d], poolerOutput: pooled, pooledShape: [n, d] };
}

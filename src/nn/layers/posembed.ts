// Position embeddings: bicubic resampling of a learned grid (PyTorch's upsample_bicubic2d with
// align_corners=False, which transformers' interpolate_pos_encoding calls with size=(h, w)) and
// fixed 2D/3D sine-cosine tables.
import { matmul, reshape, type Value } from "../../engine/index.js";

const A = -0.75;
const cc1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
const cc2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;

/**
 * The [out, in] matrix of PyTorch's 1-D bicubic resize (align_corners=False, scale = in/out):
 * source x = (i + 0.5)·in/out − 0.5 (not clamped), four taps at ⌊x⌋−1…⌊x⌋+2 clamped to the edge.
 */
export function bicubicMatrix(inSize: number, outSize: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const real = scale * (i + 0.5) - 0.5;
    const x0 = Math.floor(real);
    const t = real - x0;
    const w = [cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)];
    for (let k = 0; k < 4; k++) {
      const j = Math.min(Math.max(x0 - 1 + k, 0), inSize - 1);
      m[i * inSize + j] += w[k] as number;
    }
  }
  return m;
}

/** Host version: resizes channels-last `grid` [h, w, C] to [oh, ow, C]. */
export function bicubicResize(
  grid: Float32Array,
  h: number,
  w: number,
  c: number,
  oh: number,
  ow: number,
): Float32Array {
  const mh = bicubicMatrix(h, oh);
  const mw = bicubicMatrix(w, ow);
  const tmp = new Float64Array(oh * w * c);
  for (let i = 0; i < oh; i++)
    for (let y = 0; y < h; y++) {
      const a = mh[i * h + y] as number;
      if (a === 0) continue;
      for (let k = 0; k < w * c; k++) tmp[i * w * c + k] += a * (grid[y * w * c + k] as number);
    }
  const out = new Float32Array(oh * ow * c);
  for (let i = 0; i < oh; i++)
    for (let j = 0; j < ow; j++)
      for (let x = 0; x < w; x++) {
        const a = mw[j * w + x] as number;
        if (a === 0) continue;
        for (let ch = 0; ch < c; ch++)
          out[(i * ow + j) * c + ch] += a * (tmp[(i * w + x) * c + ch] as number);
      }
  return out;
}

/**
 * In the graph: `pos` [h·w, C] (row-major grid) resized to [oh·ow, C] by two constant matrices,
 * so a trainable position table still receives gradients.
 */
export function interpolateGrid(pos: Value, h: number, w: number, oh: number, ow: number): Value {
  const c = pos.shape[pos.rank - 1] as number;
  const g = pos.graph;
  const mh = g.constant(Float32Array.from(bicubicMatrix(h, oh)), [oh, h]);
  const mw = g.constant(Float32Array.from(bicubicMatrix(w, ow)), [ow, w]);
  const rows = reshape(matmul(mh, reshape(pos, [h, w * c])), [oh, w, c]);
  return reshape(matmul(mw, rows), [oh * ow, c]);
}

/** One axis of a sine-cosine table: [sin(p·ω_i)…, cos(p·ω_i)…], ω_i = 10000^(−i/(dim/2)). */
function sincos1d(dim: number, pos: number, out: Float32Array, offset: number): void {
  const half = dim / 2;
  for (let i = 0; i < half; i++) {
    const a = pos / 10000 ** (i / half);
    out[offset + i] = Math.sin(a);
    out[offset + half + i] = Math.cos(a);
  }
}

/**
 * Fixed sine-cosine position table [∏grid, dim] (MAE style): the channels are split equally over
 * the axes (dim divisible by 2·axes), each encoding that axis's integer coordinate.
 */
export function sincosTable(dim: number, grid: readonly number[]): Float32Array {
  const per = dim / grid.length;
  if (!Number.isInteger(per) || per % 2 !== 0) {
    throw new Error(`sincosTable: dim ${dim} does not split into ${grid.length} even parts`);
  }
  const n = grid.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * dim);
  const idx = grid.map(() => 0);
  for (let t = 0; t < n; t++) {
    let r = t;
    for (let a = grid.length - 1; a >= 0; a--) {
      idx[a] = r % (grid[a] as number);
      r = Math.floor(r / (grid[a] as number));
    }
    for (let a = 0; a < grid.length; a++) sincos1d(per, idx[a] as number, out, t * dim + a * per);
  }
  return out;
}

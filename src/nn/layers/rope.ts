// DINOv3's 2-D rotary tables: patch centres normalised to [−1, 1] per axis, angles
// 2π·coord·inv_freq with inv_freq_j = θ^(−4j/headDim), j < headDim/4, laid out as
// [y-angles, x-angles] and tiled twice to headDim. Computed in float32 as transformers does.
export interface RopeTables {
  cos: Float32Array;
  sin: Float32Array;
  /** Rows (= patches, row-major over the grid) and columns (= head dim). */
  shape: [number, number];
}

export function dinov3RopeTables(gridH: number, gridW: number, headDim: number, theta: number): RopeTables {
  if (headDim % 4 !== 0) throw new Error(`rope: head dim ${headDim} is not a multiple of 4`);
  const f = Math.fround;
  const q = headDim / 4;
  const inv = Array.from({ length: q }, (_, j) => f(1 / f(theta ** f((4 * j) / headDim))));
  const n = gridH * gridW;
  const cos = new Float32Array(n * headDim);
  const sin = new Float32Array(n * headDim);
  const twoPi = f(2 * Math.PI);
  for (let y = 0; y < gridH; y++) {
    const cy = f(2 * f(f(y + 0.5) / gridH) - 1);
    for (let x = 0; x < gridW; x++) {
      const cx = f(2 * f(f(x + 0.5) / gridW) - 1);
      const row = (y * gridW + x) * headDim;
      for (let j = 0; j < q; j++) {
        const ay = f(f(twoPi * cy) * (inv[j] as number));
        const ax = f(f(twoPi * cx) * (inv[j] as number));
        for (const base of [0, headDim / 2]) {
          cos[row + base + j] = Math.cos(ay);
          sin[row + base + j] = Math.sin(ay);
          cos[row + base + q + j] = Math.cos(ax);
          sin[row + base + q + j] = Math.sin(ax);
        }
      }
    }
  }
  return { cos, sin, shape: [n, headDim] };
}

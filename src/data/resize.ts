/**
 * Resizing channel-first tensors to a backbone's input size, with the conventions of PyTorch's
 * `F.interpolate(..., align_corners=False)` (no antialiasing): output index o samples input
 * coordinate x = (o + ½)·n/m − ½ ("half-pixel"), so the two grids share their outer edges.
 * - "linear": linear along each resized axis (bilinear in-plane, trilinear with depth), x < 0
 *   clamped to 0 and the upper neighbour clamped to n − 1, as PyTorch does.
 * - "nearest": PyTorch's "nearest-exact", input index min(floor((o + ½)·n/m), n − 1) — the
 *   same centre alignment as "linear", so masks stay on their images.
 * - "max" (masks): shrinking, the maximum over every input cell [i, i+1) that overlaps the output
 *   cell [o·n/m, (o+1)·n/m) — a superset of the taps "linear" gives weight to, so a finding one
 *   voxel wide that tints an image pixel is still marked in the mask; enlarging, "nearest".
 */
export type ResizeMode = "linear" | "nearest" | "max";

/** Input coordinate of output index o along an axis resized n → m (before clamping). */
export function sourceCoordinate(o: number, n: number, m: number): number {
  return (o + 0.5) * (n / m) - 0.5;
}

/**
 * Resizes the axes of a row-major tensor (`shape`, last axis fastest) to `outShape`; axes whose
 * size does not change are copied untouched, one separable pass per changed axis.
 */
export function resizeTensor(
  data: Float32Array,
  shape: readonly number[],
  outShape: readonly number[],
  mode: ResizeMode = "linear",
): Float32Array {
  if (shape.length !== outShape.length) throw new Error("resizeTensor: shapes of different rank");
  let cur = data;
  const s = [...shape];
  // Shrinking axes first keeps the intermediate tensors small.
  const order = s.map((_, a) => a).sort((a, b) => outShape[a]! / s[a]! - outShape[b]! / s[b]!);
  for (const a of order) {
    if (outShape[a] === s[a]) continue;
    cur = resizeAxis(cur, s, a, outShape[a]!, mode);
    s[a] = outShape[a]!;
  }
  return cur === data ? data.slice() : cur;
}

function resizeAxis(
  data: Float32Array,
  shape: readonly number[],
  axis: number,
  m: number,
  mode: ResizeMode,
): Float32Array {
  const n = shape[axis]!;
  let inner = 1;
  for (let a = axis + 1; a < shape.length; a++) inner *= shape[a]!;
  let outer = 1;
  for (let a = 0; a < axis; a++) outer *= shape[a]!;
  const out = new Float32Array(outer * m * inner);
  const i0 = new Int32Array(m);
  const i1 = new Int32Array(m);
  const w1 = new Float32Array(m);
  if (mode === "max" && m < n) return maxAxis(data, shape, axis, m);
  for (let o = 0; o < m; o++) {
    if (mode === "nearest" || mode === "max") {
      const k = Math.min(Math.floor((o + 0.5) * (n / m)), n - 1);
      i0[o] = k;
      i1[o] = k;
      w1[o] = 0;
    } else {
      const x = Math.max(sourceCoordinate(o, n, m), 0);
      const k = Math.min(Math.floor(x), n - 1);
      i0[o] = k;
      i1[o] = k < n - 1 ? k + 1 : k;
      w1[o] = x - k;
    }
  }
  if (inner === 1) {
    // The last axis: one value per tap, no sub-array views.
    for (let p = 0; p < outer; p++) {
      const inBase = p * n;
      const outBase = p * m;
      for (let o = 0; o < m; o++) {
        const a = data[inBase + i0[o]!]!;
        out[outBase + o] = a + w1[o]! * (data[inBase + i1[o]!]! - a);
      }
    }
    return out;
  }
  for (let p = 0; p < outer; p++) {
    const inBase = p * n * inner;
    const outBase = p * m * inner;
    for (let o = 0; o < m; o++) {
      const a = inBase + i0[o]! * inner;
      const b = inBase + i1[o]! * inner;
      const w = w1[o]!;
      const dst = outBase + o * inner;
      if (w === 0) out.set(data.subarray(a, a + inner), dst);
      else for (let q = 0; q < inner; q++) out[dst + q] = data[a + q]! + w * (data[b + q]! - data[a + q]!);
    }
  }
  return out;
}

/** Shrinks one axis n → m by the maximum over the input cells each output cell overlaps. */
function maxAxis(data: Float32Array, shape: readonly number[], axis: number, m: number): Float32Array {
  const n = shape[axis]!;
  let inner = 1;
  for (let a = axis + 1; a < shape.length; a++) inner *= shape[a]!;
  let outer = 1;
  for (let a = 0; a < axis; a++) outer *= shape[a]!;
  const out = new Float32Array(outer * m * inner);
  for (let o = 0; o < m; o++) {
    // Integer arithmetic: cells i with i < (o+1)·n/m and i + 1 > o·n/m.
    const lo = Math.floor((o * n) / m);
    const hi = Math.min(n - 1, Math.ceil(((o + 1) * n) / m) - 1);
    for (let p = 0; p < outer; p++) {
      const dst = (p * m + o) * inner;
      for (let q = 0; q < inner; q++) {
        let v = Number.NEGATIVE_INFINITY;
        for (let i = lo; i <= hi; i++) v = Math.max(v, data[(p * n + i) * inner + q]!);
        out[dst + q] = v;
      }
    }
  }
  return out;
}

/**
 * The affine (row-major 4×4) taking output indices of a resize n → m along three axes to input
 * coordinates: x = (o + ½)·n/m − ½ per axis (clamping at the borders aside).
 */
export function resizeIndexMap(
  n: readonly [number, number, number],
  m: readonly [number, number, number],
): number[] {
  const r = new Array<number>(16).fill(0);
  for (let a = 0; a < 3; a++) {
    const scale = n[a]! / m[a]!;
    r[a * 4 + a] = scale;
    r[a * 4 + 3] = 0.5 * scale - 0.5;
  }
  r[15] = 1;
  return r;
}

// Plain-TypeScript reference implementations used by the op tests (float64, row-major).
// Deliberately naive loops, independent of the ONNX emitters and gradient rules.
import type { Shape } from "../ir/graph.js";

export const size = (s: Shape): number => s.reduce((a, b) => a * b, 1);

export function strides(s: Shape): number[] {
  const st = new Array(s.length).fill(1);
  for (let i = s.length - 2; i >= 0; i--) st[i] = (st[i + 1] as number) * (s[i + 1] as number);
  return st;
}

export function unravel(f: number, s: Shape): number[] {
  const idx = new Array(s.length).fill(0);
  for (let i = s.length - 1; i >= 0; i--) {
    idx[i] = f % (s[i] as number);
    f = Math.floor(f / (s[i] as number));
  }
  return idx;
}

export function broadcastShape(a: Shape, b: Shape): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    return x === 1 ? y : x;
  });
}

/** Flat index into `s` of the broadcast multi-index `idx` (of a possibly higher rank). */
export function bindex(idx: readonly number[], s: Shape): number {
  const st = strides(s);
  let f = 0;
  for (let i = 0; i < s.length; i++) {
    const k = idx[idx.length - s.length + i] as number;
    f += (s[i] === 1 ? 0 : k) * (st[i] as number);
  }
  return f;
}

export function binary(
  a: ArrayLike<number>,
  as: Shape,
  b: ArrayLike<number>,
  bs: Shape,
  f: (x: number, y: number) => number,
): number[] {
  const os = broadcastShape(as, bs);
  return Array.from({ length: size(os) }, (_, i) => {
    const idx = unravel(i, os);
    return f(a[bindex(idx, as)] as number, b[bindex(idx, bs)] as number);
  });
}

export function matmul(a: ArrayLike<number>, as: Shape, b: ArrayLike<number>, bs: Shape): number[] {
  const [m, k] = as.slice(-2) as [number, number];
  const n = bs[bs.length - 1] as number;
  const batch = broadcastShape(as.slice(0, -2), bs.slice(0, -2));
  const out: number[] = [];
  for (let bi = 0; bi < size(batch); bi++) {
    const bidx = unravel(bi, batch);
    const ao = bindex(bidx, as.slice(0, -2)) * m * k;
    const bo = bindex(bidx, bs.slice(0, -2)) * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += (a[ao + i * k + t] as number) * (b[bo + t * n + j] as number);
        out.push(s);
      }
  }
  return out;
}

/** Applies `f` to each 1-D lane along `axis` (softmax, layer norm over one axis…). */
export function lanes(
  x: ArrayLike<number>,
  s: Shape,
  axis: number,
  f: (lane: number[]) => number[],
): number[] {
  const out = new Array(x.length).fill(0);
  const st = strides(s);
  const n = s[axis] as number;
  for (let i = 0; i < x.length; i++) {
    if (unravel(i, s)[axis] !== 0) continue;
    const lane = Array.from({ length: n }, (_, j) => x[i + j * (st[axis] as number)] as number);
    f(lane).forEach((v, j) => {
      out[i + j * (st[axis] as number)] = v;
    });
  }
  return out;
}

export function reduce(
  x: ArrayLike<number>,
  s: Shape,
  axes: number[],
  init: number,
  f: (acc: number, v: number) => number,
): number[] {
  const os = s.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Array(size(os)).fill(init);
  for (let i = 0; i < x.length; i++) {
    const o = bindex(
      unravel(i, s).map((k, j) => (axes.includes(j) ? 0 : k)),
      os,
    );
    out[o] = f(out[o], x[i] as number);
  }
  return out;
}

export function transpose(x: ArrayLike<number>, s: Shape, perm: number[]): number[] {
  const os = perm.map((p) => s[p] as number);
  return Array.from({ length: x.length }, (_, i) => {
    const oidx = unravel(i, os);
    const idx = new Array(s.length);
    perm.forEach((p, j) => {
      idx[p] = oidx[j];
    });
    return x[bindex(idx, s)] as number;
  });
}

export interface ConvRef {
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
}

/** Direct N-d convolution (cross-correlation) with groups. */
export function conv(
  x: ArrayLike<number>,
  xs: Shape,
  w: ArrayLike<number>,
  ws: Shape,
  p: ConvRef,
): { y: number[]; shape: number[] } {
  const nsp = xs.length - 2;
  const [N, C] = xs as [number, number];
  const M = ws[0] as number;
  const cg = C / p.group;
  const mg = M / p.group;
  const osp = xs
    .slice(2)
    .map(
      (d, i) =>
        Math.floor(
          (d +
            (p.pads[i] as number) +
            (p.pads[i + nsp] as number) -
            (p.dilations[i] as number) * ((ws[i + 2] as number) - 1) -
            1) /
            (p.strides[i] as number),
        ) + 1,
    );
  const ys = [N, M, ...osp];
  const ksp = ws.slice(2);
  const y = new Array(size(ys)).fill(0);
  for (let f = 0; f < y.length; f++) {
    const [n, m, ...o] = unravel(f, ys) as number[];
    const gi = Math.floor((m as number) / mg);
    let s = 0;
    for (let c = 0; c < cg; c++)
      for (let kf = 0; kf < size(ksp); kf++) {
        const k = unravel(kf, ksp);
        const pos = o.map(
          (oi, i) =>
            oi * (p.strides[i] as number) -
            (p.pads[i] as number) +
            (k[i] as number) * (p.dilations[i] as number),
        );
        if (pos.some((q, i) => q < 0 || q >= (xs[i + 2] as number))) continue;
        s +=
          (x[bindex([n as number, gi * cg + c, ...pos], xs)] as number) *
          (w[bindex([m as number, c, ...k], ws)] as number);
      }
    y[f] = s;
  }
  return { y, shape: ys };
}

/** Direct N-d transposed convolution (scatter form) with groups and output padding. */
export function convTranspose(
  x: ArrayLike<number>,
  xs: Shape,
  w: ArrayLike<number>,
  ws: Shape,
  p: ConvRef & { outputPadding: number[] },
): { y: number[]; shape: number[] } {
  const nsp = xs.length - 2;
  const [N, C] = xs as [number, number];
  const mg = ws[1] as number;
  const M = mg * p.group;
  const cg = C / p.group;
  const osp = xs
    .slice(2)
    .map(
      (d, i) =>
        (p.strides[i] as number) * (d - 1) +
        (p.outputPadding[i] as number) +
        (p.dilations[i] as number) * ((ws[i + 2] as number) - 1) +
        1 -
        (p.pads[i] as number) -
        (p.pads[i + nsp] as number),
    );
  const ys = [N, M, ...osp];
  const ksp = ws.slice(2);
  const y = new Array(size(ys)).fill(0);
  for (let f = 0; f < x.length; f++) {
    const [n, c, ...i] = unravel(f, xs) as number[];
    const gi = Math.floor((c as number) / cg);
    for (let mm = 0; mm < mg; mm++)
      for (let kf = 0; kf < size(ksp); kf++) {
        const k = unravel(kf, ksp);
        const pos = i.map(
          (ii, a) =>
            ii * (p.strides[a] as number) -
            (p.pads[a] as number) +
            (k[a] as number) * (p.dilations[a] as number),
        );
        if (pos.some((q, a) => q < 0 || q >= (osp[a] as number))) continue;
        const o = bindex([n as number, gi * mg + mm, ...pos], ys);
        y[o] += (x[f] as number) * (w[bindex([c as number, mm, ...k], ws)] as number);
      }
  }
  return { y, shape: ys };
}

/** Max or average pooling (floor mode). */
export function pool(
  x: ArrayLike<number>,
  xs: Shape,
  kernel: number[],
  strides_: number[],
  pads: number[],
  kind: "max" | "avg",
  countIncludePad = false,
): number[] {
  const nsp = kernel.length;
  const osp = xs
    .slice(2)
    .map(
      (d, i) =>
        Math.floor(
          (d + (pads[i] as number) + (pads[i + nsp] as number) - (kernel[i] as number)) /
            (strides_[i] as number),
        ) + 1,
    );
  const ys = [xs[0] as number, xs[1] as number, ...osp];
  return Array.from({ length: size(ys) }, (_, f) => {
    const [n, c, ...o] = unravel(f, ys) as number[];
    let acc = kind === "max" ? -Infinity : 0;
    let cnt = 0;
    for (let kf = 0; kf < size(kernel); kf++) {
      const k = unravel(kf, kernel);
      const pos = o.map((oi, i) => oi * (strides_[i] as number) - (pads[i] as number) + (k[i] as number));
      if (pos.some((q, i) => q < 0 || q >= (xs[i + 2] as number))) {
        if (countIncludePad) cnt++;
        continue;
      }
      const v = x[bindex([n as number, c as number, ...pos], xs)] as number;
      acc = kind === "max" ? Math.max(acc, v) : acc + v;
      cnt++;
    }
    return kind === "max" ? acc : acc / cnt;
  });
}

import { InputError } from "../errors.js";
import type { Mat4 } from "./affine.js";

// Orientation codes and nibabel-style `ornt` arrays: pure affine math, no voxel data.

/**
 * An orientation in nibabel's `ornt` form: entry `a` says which world axis (0 = R/L, 1 = A/P,
 * 2 = S/I) voxel axis `a` runs along and whether it runs along the positive (+1: R, A, S) or
 * negative (-1: L, P, I) direction. In a transform (see `orientationTransform`), entry `a` says
 * which output axis input axis `a` becomes and whether it is flipped.
 */
export type Ornt = readonly (readonly [axis: number, flip: 1 | -1])[];

const LETTERS: Record<string, readonly [number, 1 | -1]> = {
  R: [0, 1],
  L: [0, -1],
  A: [1, 1],
  P: [1, -1],
  S: [2, 1],
  I: [2, -1],
};
const NAMES = [
  ["L", "R"],
  ["P", "A"],
  ["I", "S"],
] as const;

/** Parses an orientation code such as "RAS", "LPS" or "PIR" (case-insensitive). */
export function axcodesToOrnt(code: string): Ornt {
  const letters = code.toUpperCase().split("");
  const ornt = letters.map((c) => LETTERS[c]);
  const axes = new Set(ornt.map((o) => o?.[0]));
  if (letters.length !== 3 || ornt.some((o) => o === undefined) || axes.size !== 3)
    throw new InputError(
      `orientation code "${code}" is not valid: it needs one letter from each of R/L, A/P and S/I, e.g. "RAS"`,
    );
  return ornt as Ornt;
}

/** The orientation code (e.g. "LPS") of an `Ornt` that names world axes. */
export function orntToAxcodes(ornt: Ornt): string {
  return ornt.map(([axis, flip]) => NAMES[axis]![flip === 1 ? 1 : 0]).join("");
}

/**
 * The voxel axes' world orientation, computed as nibabel's `io_orientation` does: take the
 * orthogonal factor of the normalised direction matrix (closest rotation/reflection, so an oblique
 * affine is judged as a whole rather than column by column), then, for voxel axes 0, 1, 2 in
 * turn, take the world axis with the largest absolute component and remove it from the choice.
 */
export function ioOrientation(affine: Mat4): Ornt {
  // Columns of the 3×3 part, normalised (zero columns count as length 1, as in nibabel).
  const m: number[][] = [0, 1, 2].map((r) => [0, 1, 2].map((c) => affine[r * 4 + c]!));
  for (let c = 0; c < 3; c++) {
    const n = Math.hypot(m[0]![c]!, m[1]![c]!, m[2]![c]!) || 1;
    for (let r = 0; r < 3; r++) m[r]![c]! /= n;
  }
  const q = orthogonalFactor(m);
  const out: [number, 1 | -1][] = [];
  for (let a = 0; a < 3; a++) {
    let best = -1;
    let bestAbs = 0;
    for (let w = 0; w < 3; w++) {
      const v = Math.abs(q[w]![a]!);
      if (v > bestAbs) {
        bestAbs = v;
        best = w;
      }
    }
    if (best < 0 || bestAbs < 1e-8)
      throw new InputError("the affine is degenerate: a voxel axis has no direction");
    out.push([best, q[best]![a]! < 0 ? -1 : 1]);
    for (let c = 0; c < 3; c++) q[best]![c] = 0;
  }
  return out;
}

/** The orientation code of an affine, nibabel's `aff2axcodes(affine)`. */
export function affineAxcodes(affine: Mat4): string {
  return orntToAxcodes(ioOrientation(affine));
}

/**
 * Polar decomposition m = Q·S by Newton's iteration Q ← (Q + Q⁻ᵀ)/2, which converges
 * quadratically to Q = U·Vᵀ of the SVD — the same matrix nibabel builds from `svd` when m has full
 * rank. For a rank-deficient m we fall back to m itself; nibabel drops the null space there.
 */
function orthogonalFactor(m: readonly (readonly number[])[]): number[][] {
  let q = m.map((r) => [...r]);
  for (let it = 0; it < 100; it++) {
    const inv = invert3(q);
    if (!inv) return m.map((r) => [...r]);
    let change = 0;
    const next = q.map((row, r) =>
      row.map((v, c) => {
        const nv = 0.5 * (v + inv[c]![r]!);
        change = Math.max(change, Math.abs(nv - v));
        return nv;
      }),
    );
    q = next;
    if (change < 1e-15) break;
  }
  return q;
}

function invert3(m: readonly (readonly number[])[]): number[][] | undefined {
  const [a, b, c] = m[0] as [number, number, number];
  const [d, e, f] = m[1] as [number, number, number];
  const [g, h, i] = m[2] as [number, number, number];
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-12) return undefined;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

/**
 * The transform taking data in orientation `from` to orientation `to` (nibabel's
 * `ornt_transform`): entry `a` = [output axis of input axis a, flip]. Both may be codes or `Ornt`s.
 */
export function orientationTransform(from: string | Ornt, to: string | Ornt): Ornt {
  const start = typeof from === "string" ? axcodesToOrnt(from) : from;
  const end = typeof to === "string" ? axcodesToOrnt(to) : to;
  return start.map(([world, flip]) => {
    const out = end.findIndex(([w]) => w === world);
    if (out < 0)
      throw new InputError("orientationTransform: the two orientations do not name the same world axes");
    return [out, flip === end[out]![1] ? 1 : -1] as const;
  });
}

/**
 * The affine taking output voxel indices of `transform` back to input voxel indices (nibabel's
 * `inv_ornt_aff`), for input spatial shape `shape`. A reoriented image's affine is
 * `affine · orntInverseAffine(transform, shape)`.
 */
export function orntInverseAffine(transform: Ornt, shape: readonly number[]): number[] {
  const m = new Array<number>(16).fill(0);
  m[15] = 1;
  transform.forEach(([out, flip], a) => {
    m[a * 4 + out] = flip;
    m[a * 4 + 3] = flip === -1 ? shape[a]! - 1 : 0;
  });
  return m;
}

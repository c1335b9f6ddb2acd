/**
 * Preview montages of a phantom scan: axial slices in radiological orientation (patient right on
 * the image left, anterior up), two rows — the brain window (L40/W80) with the hemorrhage mask
 * outlined in colour per subtype, and the bone window (L600/W2800) with the anatomy
 * parcellation's boundaries outlined in colour per label.
 */
import { PNG } from "pngjs";
import type { Volume } from "../volume/volume.js";

type Rgb = [number, number, number];

/** Outline colours per hemorrhage label (EDH, SDH, SAH, IPH, IVH). */
const HEM_COLORS: Rgb[] = [
  [0, 0, 0],
  [255, 40, 40],
  [255, 150, 0],
  [255, 240, 0],
  [255, 0, 255],
  [0, 220, 255],
];

/** Fill colours for anatomy labels 0..16. */
const ANAT_COLORS: Rgb[] = [
  [0, 0, 0],
  [200, 150, 120],
  [255, 255, 255],
  [60, 120, 255],
  [0, 40, 255],
  [230, 120, 120],
  [230, 160, 100],
  [240, 230, 200],
  [220, 240, 200],
  [200, 80, 160],
  [160, 80, 200],
  [120, 200, 120],
  [80, 160, 80],
  [30, 30, 30],
  [255, 255, 0],
  [255, 0, 0],
  [150, 100, 80],
];

export interface PreviewOptions {
  /** Number of slices across (default: up to 8, spread over the slices that contain head). */
  columns?: number;
}

function windowed(hu: number, level: number, width: number): number {
  const v = ((hu - (level - width / 2)) / width) * 255;
  return v < 0 ? 0 : Math.min(v, 255);
}

/** A PNG (bytes) montaging `image` (HU) with its hemorrhage and anatomy label maps. */
export function previewPng(
  image: Volume,
  hemorrhage: Volume,
  anatomy: Volume,
  opts: PreviewOptions = {},
): Uint8Array {
  const [nx, ny, nz] = image.shape as [number, number, number];
  const hu = image.real();
  const hem = hemorrhage.data as Uint8Array;
  const anat = anatomy.data as Uint8Array;
  const plane = nx * ny;
  const withHead: number[] = [];
  for (let k = 0; k < nz; k++) {
    let count = 0;
    for (let q = k * plane; q < (k + 1) * plane; q++) if (anat[q]! >= 3) count++;
    if (count > plane * 0.02) withHead.push(k);
  }
  const pool = withHead.length > 0 ? withHead : [...Array(nz).keys()];
  const cols = Math.min(opts.columns ?? 8, pool.length);
  const slices = Array.from(
    { length: cols },
    (_, c) => pool[Math.round(((c + 0.5) * pool.length) / cols - 0.5)]!,
  );
  const rows = 2;
  const png = new PNG({ width: cols * nx, height: rows * ny });
  const put = (row: number, col: number, i: number, j: number, rgb: Rgb) => {
    const px = col * nx + (nx - 1 - i);
    const py = row * ny + (ny - 1 - j);
    const o = (py * png.width + px) * 4;
    png.data[o] = rgb[0];
    png.data[o + 1] = rgb[1];
    png.data[o + 2] = rgb[2];
    png.data[o + 3] = 255;
  };
  slices.forEach((k, col) => {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const q = k * plane + j * nx + i;
        const b = windowed(hu[q]!, 40, 80);
        const h = hem[q]!;
        const edge =
          h > 0 &&
          (i === 0 ||
            j === 0 ||
            i === nx - 1 ||
            j === ny - 1 ||
            hem[q - 1] !== h ||
            hem[q + 1] !== h ||
            hem[q - nx] !== h ||
            hem[q + nx] !== h);
        put(0, col, i, j, edge ? HEM_COLORS[h]! : [b, b, b]);
        const bone = windowed(hu[q]!, 600, 2800);
        const a = anat[q]!;
        const boundary =
          a > 0 &&
          ((i > 0 && anat[q - 1]! < a) ||
            (i < nx - 1 && anat[q + 1]! < a) ||
            (j > 0 && anat[q - nx]! < a) ||
            (j < ny - 1 && anat[q + nx]! < a));
        put(1, col, i, j, boundary ? (ANAT_COLORS[a] ?? [255, 255, 255]) : [bone, bone, bone]);
      }
    }
  });
  // RGB without alpha, strongest deflate: previews are committed to docs and shipped with datasets.
  return PNG.sync.write(png, { colorType: 2, inputHasAlpha: true, deflateLevel: 9 });
}

/**
 * Rasterises a head CT case on a scan grid: pose applied to the sampling coordinates, slice
 * thickness by supersampling along z, then quantum noise, the reconstruction kernel's in-plane
 * blur, and int16 quantisation.
 */

import { Rng } from "../../random/rng.js";
import type { Mat4 } from "../../volume/affine.js";
import { Volume } from "../../volume/volume.js";
import { HeadModel } from "./model/head-model.js";
import type { HeadCtCase } from "./spec.js";

export interface ScanGeometry {
  shape: [number, number, number];
  /** Voxel size (mm): in-plane x, y and slice spacing z. */
  spacing: [number, number, number];
}

export interface RenderedHeadCt {
  /** int16 Hounsfield units. */
  image: Volume;
  /** uint8 hemorrhage subtypes (HEMORRHAGE_LABELS). */
  hemorrhage: Volume;
  /** uint8 anatomy parcellation (ANATOMY_LABELS). */
  anatomy: Volume;
}

/** Default voxel size for a grid: a 240 mm field of view and 160 mm of head along z. */
export function defaultSpacing(shape: readonly number[]): [number, number, number] {
  return [240 / shape[0]!, 240 / shape[1]!, 160 / shape[2]!];
}

/** Voxel → RAS affine of the scan: axis-aligned, centred on the scanner origin. */
export function scanAffine(g: ScanGeometry): Mat4 {
  const [nx, ny, nz] = g.shape;
  const [dx, dy, dz] = g.spacing;
  return [
    dx,
    0,
    0,
    (-(nx - 1) / 2) * dx,
    0,
    dy,
    0,
    (-(ny - 1) / 2) * dy,
    0,
    0,
    dz,
    (-(nz - 1) / 2) * dz,
    0,
    0,
    0,
    1,
  ];
}

/**
 * The map from voxel indices to canonical head coordinates, as a 3×4 row-major matrix:
 * q = S⁻¹ Rᵀ (affine · ijk − offset).
 */
export function voxelToHead(c: HeadCtCase, g: ScanGeometry): Float64Array {
  const { yaw, pitch, roll, offset } = c.pose;
  const cz = Math.cos(yaw);
  const sz = Math.sin(yaw);
  const cx = Math.cos(pitch);
  const sx = Math.sin(pitch);
  const cy = Math.cos(roll);
  const sy = Math.sin(roll);
  // R = Rz(yaw) · Rx(pitch) · Ry(roll): head → scanner.
  const rz = [cz, -sz, 0, sz, cz, 0, 0, 0, 1];
  const rx = [1, 0, 0, 0, cx, -sx, 0, sx, cx];
  const ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
  const r = mul3(mul3(rz, rx), ry);
  const aff = scanAffine(g);
  const out = new Float64Array(12);
  const s = c.anatomy.scale;
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 4; col++) {
      let v = 0;
      for (let m = 0; m < 3; m++) {
        const a = col < 3 ? aff[m * 4 + col]! : aff[m * 4 + 3]! - offset[m]!;
        v += r[m * 3 + row]! * a; // Rᵀ
      }
      out[row * 4 + col] = v / s[row]!;
    }
  }
  return out;
}

function mul3(a: number[], b: number[]): number[] {
  const o = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) o[i * 3 + j]! += a[i * 3 + k]! * b[k * 3 + j]!;
  return o;
}

/** Sub-samples along z per slice: thick slices average three planes (partial volume). */
export function zSubsamples(sliceMm: number): number {
  return sliceMm > 2.2 ? 3 : 1;
}

export interface RenderOptions {
  /** Skip noise, blur and streaks (for tests that compare clean densities). */
  clean?: boolean;
}

export function renderHeadCt(c: HeadCtCase, g: ScanGeometry, opts: RenderOptions = {}): RenderedHeadCt {
  const [nx, ny, nz] = g.shape;
  const n = nx * ny * nz;
  const model = new HeadModel(opts.clean ? { ...c, scanner: { ...c.scanner, streak: 0 } } : c);
  const m = voxelToHead(c, g);
  const probe = model.probe;
  const out = probe.out;
  const pt = probe.v;
  const hu = new Float32Array(n);
  const hem = new Uint8Array(n);
  const anat = new Uint8Array(n);
  // Slice centres first: densities and labels. Along each row only the span that can meet the
  // head is sampled; the rest is air (hem and anat stay 0, background). Coordinates are still
  // accumulated voxel by voxel, so the sampled points are the same doubles as without the span.
  const span = new Int32Array(2);
  const [dx, dy, dz] = [m[0]!, m[4]!, m[8]!];
  let p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++, p += nx) {
      let x = m[1]! * j + m[2]! * k + m[3]!;
      let y = m[5]! * j + m[6]! * k + m[7]!;
      let z = m[9]! * j + m[10]! * k + m[11]!;
      model.span(x, y, z, dx, dy, dz, nx, span);
      const lo = span[0]!;
      const hi = span[1]!;
      if (lo >= hi) {
        hu.fill(-1000, p, p + nx);
        continue;
      }
      hu.fill(-1000, p, p + lo);
      hu.fill(-1000, p + hi, p + nx);
      for (let i = 0; i < lo; i++) {
        x += dx;
        y += dy;
        z += dz;
      }
      for (let i = lo; i < hi; i++) {
        pt[0] = x;
        pt[1] = y;
        pt[2] = z;
        model.samplePoint();
        hu[p + i] = out[0]!;
        hem[p + i] = probe.hem;
        anat[p + i] = probe.anat;
        x += dx;
        y += dy;
        z += dz;
      }
    }
  }
  // Thick slices: a slab is the average of three planes (k − 1/3, k, k + 1/3). The outer planes
  // are sampled only on the sides where the labels change towards the neighbouring slice; on a
  // side without a change the slab is taken as uniform and the centre value stands in.
  const nsub = zSubsamples(g.spacing[2]);
  if (nsub > 1) {
    const plane = nx * ny;
    const third = 1 / 3;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const q = k * plane + j * nx + i;
          const a = anat[q]!;
          const h = hem[q]!;
          const below = k > 0 && (anat[q - plane] !== a || hem[q - plane] !== h);
          const above = k < nz - 1 && (anat[q + plane] !== a || hem[q + plane] !== h);
          if (!below && !above) continue;
          const c = hu[q]!;
          let sum = c;
          for (let side = -1; side <= 1; side += 2) {
            if (side < 0 ? !below : !above) {
              sum += c;
              continue;
            }
            const kk = k + side * third;
            pt[0] = m[0]! * i + m[1]! * j + m[2]! * kk + m[3]!;
            pt[1] = m[4]! * i + m[5]! * j + m[6]! * kk + m[7]!;
            pt[2] = m[8]! * i + m[9]! * j + m[10]! * kk + m[11]!;
            model.samplePoint();
            sum += out[0]!;
          }
          hu[q] = sum / 3;
        }
      }
    }
  }
  if (!opts.clean) {
    const [dx, dy, dz] = g.spacing;
    const sd = c.scanner.noiseSd * Math.sqrt(5 / (dx * dy * dz));
    addNoise(hu, sd, Rng.stream(c.seed, c.index, 202));
    const sigma = c.scanner.blurMm;
    blurInPlane(hu, nx, ny, nz, sigma / g.spacing[0], sigma / g.spacing[1]);
  }
  const img = new Int16Array(n);
  for (let q = 0; q < n; q++) {
    const v = Math.round(hu[q]!);
    img[q] = v < -1024 ? -1024 : Math.min(v, 3071);
  }
  const affine = scanAffine(g);
  const meta = { source: c.id, description: `medadapt head CT phantom ${c.id}` };
  return {
    image: new Volume({
      data: img,
      dtype: "int16",
      shape: [nx, ny, nz],
      affine,
      meta: { ...meta, modality: "CT", units: "HU" },
    }),
    hemorrhage: new Volume({ data: hem, dtype: "uint8", shape: [nx, ny, nz], affine, meta: { ...meta } }),
    anatomy: new Volume({ data: anat, dtype: "uint8", shape: [nx, ny, nz], affine, meta: { ...meta } }),
  };
}

/** Approximately Gaussian noise: a sum of four uniform bytes from one 32-bit draw. */
function addNoise(hu: Float32Array, sd: number, rng: Rng): void {
  if (sd <= 0) return;
  const scale = sd / 147.8;
  for (let q = 0; q < hu.length; q++) {
    const u = rng.u32();
    const s = (u & 255) + ((u >>> 8) & 255) + ((u >>> 16) & 255) + (u >>> 24) - 510;
    hu[q]! += s * scale;
  }
}

function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + r] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
}

/**
 * Separable Gaussian blur within each slice (edges clamped). Each pass writes every output once
 * from a copy (x: a row padded with its edge values, so the taps need no bounds tests; y: the
 * slice), summing the taps in the same order and with the same roundings as the accumulate-in-
 * place version before it (x in double, y in float32 after each tap), so images are unchanged.
 */
export function blurInPlane(
  v: Float32Array,
  nx: number,
  ny: number,
  nz: number,
  sx: number,
  sy: number,
): void {
  const plane = nx * ny;
  const kx = sx >= 0.05 ? gaussianKernel(sx) : null;
  const ky = sy >= 0.05 ? gaussianKernel(sy) : null;
  const rx = kx ? (kx.length - 1) >> 1 : 0;
  const padded = new Float32Array(nx + 2 * rx);
  const slab = new Float32Array(plane);
  const rows = new Int32Array(ky ? ky.length : 0);
  for (let kz = 0; kz < nz; kz++) {
    const o = kz * plane;
    if (kx) {
      const taps = kx.length;
      for (let j = 0; j < ny; j++) {
        const row = o + j * nx;
        padded.fill(v[row]!, 0, rx);
        padded.set(v.subarray(row, row + nx), rx);
        padded.fill(v[row + nx - 1]!, rx + nx);
        for (let i = 0; i < nx; i++) {
          let acc = 0;
          for (let t = 0; t < taps; t++) acc += kx[t]! * padded[i + t]!;
          v[row + i] = acc;
        }
      }
    }
    if (ky) {
      slab.set(v.subarray(o, o + plane));
      const r = (ky.length - 1) >> 1;
      const taps = ky.length;
      for (let j = 0; j < ny; j++) {
        for (let t = 0; t < taps; t++) {
          const jj = j + t - r;
          rows[t] = (jj < 0 ? 0 : jj >= ny ? ny - 1 : jj) * nx;
        }
        const out = o + j * nx;
        for (let i = 0; i < nx; i++) {
          let acc = 0;
          for (let t = 0; t < taps; t++) acc = Math.fround(acc + ky[t]! * slab[rows[t]! + i]!);
          v[out + i] = acc;
        }
      }
    }
  }
}

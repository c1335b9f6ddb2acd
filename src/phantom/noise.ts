/**
 * Smooth 3D value noise on a periodic random lattice, for gyri, bone texture and lesion
 * outlines. The lattice is a small table filled once per scan, so evaluating the noise costs
 * eight table reads and a trilinear blend — no hashing or allocation per voxel.
 */
import type { Rng } from "./rng.js";

const N = 32;
const MASK = N - 1;

export class LatticeNoise {
  readonly #table: Float32Array;

  constructor(rng: Rng) {
    this.#table = new Float32Array(N * N * N);
    for (let i = 0; i < this.#table.length; i++) this.#table[i] = rng.next() * 2 - 1;
  }

  /** Noise in about [-1, 1] at lattice coordinates (x, y, z); period 32 along each axis. */
  at(x: number, y: number, z: number): number {
    const fx = Math.floor(x);
    const fy = Math.floor(y);
    const fz = Math.floor(z);
    let tx = x - fx;
    let ty = y - fy;
    let tz = z - fz;
    tx = tx * tx * (3 - 2 * tx);
    ty = ty * ty * (3 - 2 * ty);
    tz = tz * tz * (3 - 2 * tz);
    const x0 = fx & MASK;
    const y0 = fy & MASK;
    const z0 = fz & MASK;
    const x1 = (x0 + 1) & MASK;
    const y1 = ((y0 + 1) & MASK) * N;
    const z1 = ((z0 + 1) & MASK) * N * N;
    const yy0 = y0 * N;
    const zz0 = z0 * N * N;
    const t = this.#table;
    const c00 = t[x0 + yy0 + zz0]! + (t[x1 + yy0 + zz0]! - t[x0 + yy0 + zz0]!) * tx;
    const c10 = t[x0 + y1 + zz0]! + (t[x1 + y1 + zz0]! - t[x0 + y1 + zz0]!) * tx;
    const c01 = t[x0 + yy0 + z1]! + (t[x1 + yy0 + z1]! - t[x0 + yy0 + z1]!) * tx;
    const c11 = t[x0 + y1 + z1]! + (t[x1 + y1 + z1]! - t[x0 + y1 + z1]!) * tx;
    const c0 = c00 + (c10 - c00) * ty;
    const c1 = c01 + (c11 - c01) * ty;
    return c0 + (c1 - c0) * tz;
  }

  /**
   * Two octaves in one call (`at(p·f) + g·at(p·2.3f + offset)`), so the per-voxel code makes one
   * call instead of two.
   */
  octaves2(x: number, y: number, z: number, f: number, g: number): number {
    return this.at(x * f, y * f, z * f) + g * this.at(x * f * 2.3 + 5, y * f * 2.3, z * f * 2.3);
  }
}

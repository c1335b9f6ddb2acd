/**
 * Smooth 3D value noise on a periodic random lattice, for gyri, bone texture and lesion
 * outlines. The lattice is a small table filled once per scan, so evaluating the noise costs
 * eight table reads and a trilinear blend — no hashing or allocation per voxel.
 */
import type { Rng } from "../random/rng.js";

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
   * `at(x·s, y·s, z·s + offsetZ)` at the point (v[ix], v[iy], v[iz]), written to v[out] (the
   * per-voxel path passes no doubles; see octaves2Into).
   */
  scaledInto(
    v: Float64Array,
    ix: number,
    iy: number,
    iz: number,
    s: number,
    offsetZ: number,
    out: number,
  ): void {
    v[out] = this.at(v[ix]! * s, v[iy]! * s, v[iz]! * s + offsetZ);
  }

  #f = 0.1;
  #g = 0.5;

  /** Sets the frequency and second-octave gain used by `octaves2Into`. */
  configureOctaves(frequency: number, gain: number): void {
    this.#f = frequency;
    this.#g = gain;
  }

  /**
   * Two octaves, `at(p·f) + g·at(p·2.3f + offset)`, at the point (v[ix], v[iy], v[iz]), written to
   * v[out]. Arguments and result travel through the array so that a per-voxel caller boxes no
   * doubles even when V8 does not inline this call.
   */
  octaves2Into(v: Float64Array, ix: number, iy: number, iz: number, out: number): void {
    const t = this.#table;
    const f = this.#f;
    let x = v[ix]! * f;
    let y = v[iy]! * f;
    let z = v[iz]! * f;
    let acc = 0;
    let w = 1;
    // The trilinear lookup is written out here (no calls) for the per-voxel path.
    for (let octave = 0; octave < 2; octave++) {
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
      const x1 = (x0 + 1) & MASK;
      const y0 = (fy & MASK) * N;
      const y1 = (((fy & MASK) + 1) & MASK) * N;
      const z0 = (fz & MASK) * N * N;
      const z1 = (((fz & MASK) + 1) & MASK) * N * N;
      const c00 = t[x0 + y0 + z0]! + (t[x1 + y0 + z0]! - t[x0 + y0 + z0]!) * tx;
      const c10 = t[x0 + y1 + z0]! + (t[x1 + y1 + z0]! - t[x0 + y1 + z0]!) * tx;
      const c01 = t[x0 + y0 + z1]! + (t[x1 + y0 + z1]! - t[x0 + y0 + z1]!) * tx;
      const c11 = t[x0 + y1 + z1]! + (t[x1 + y1 + z1]! - t[x0 + y1 + z1]!) * tx;
      const c0 = c00 + (c10 - c00) * ty;
      const c1 = c01 + (c11 - c01) * ty;
      acc += w * (c0 + (c1 - c0) * tz);
      w = this.#g;
      x = x * 2.3 + 5;
      y *= 2.3;
      z *= 2.3;
    }
    v[out] = acc;
  }
}

import { identity4, type Mat4, voxelSizes } from "./affine.js";
import { affineAxcodes } from "./orientation.js";

/** On-disk voxel types. `float16` and complex types are read and converted, never stored as such. */
export type DType =
  | "uint8"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "float32"
  | "float64"
  | "rgb24";

export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** Linear map from stored values to real-world units: real = stored · slope + intercept. */
export interface Scaling {
  readonly slope: number;
  readonly intercept: number;
}

export interface VolumeMeta {
  /** DICOM modality (CT, MR, …) when known. */
  modality?: string;
  seriesDescription?: string;
  seriesInstanceUID?: string;
  /** Real-world units after scaling, e.g. "HU". */
  units?: string;
  /** Free-form description (NIfTI `descrip`). */
  description?: string;
  /** Where the volume came from, for messages. */
  source?: string;
  /** Spacing along the slice axis when it varies (DICOM), in mm, one per gap. */
  sliceGaps?: number[];
  [key: string]: unknown;
}

export interface VolumeInit {
  data: VoxelArray;
  dtype: DType;
  /** [nx, ny, nz] or [nx, ny, nz, nt]; voxel order is NIfTI order, i fastest. */
  shape: readonly number[];
  /** voxel (i, j, k) → RAS+ mm, row-major 4×4. */
  affine?: Mat4;
  scaling?: Scaling;
  meta?: VolumeMeta;
}

export function voxelCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A 3D or 4D scan: voxels in their stored type, geometry, and real-world scaling.
 *
 * Voxels stay in the stored type so that an int16 CT costs 2 bytes per voxel until a float view
 * is asked for; `real()` applies the scaling once and caches the result.
 */
export class Volume {
  readonly data: VoxelArray;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly affine: Mat4;
  readonly scaling: Scaling;
  readonly meta: VolumeMeta;
  #real: Float32Array | undefined;

  constructor(init: VolumeInit) {
    const n = voxelCount(init.shape) * (init.dtype === "rgb24" ? 3 : 1);
    if (init.shape.length < 3 || init.shape.length > 4)
      throw new Error(`Volume: shape must be 3D or 4D, got [${init.shape.join(", ")}]`);
    if (init.data.length !== n)
      throw new Error(`Volume: ${init.data.length} voxels for shape [${init.shape.join(", ")}] (${n})`);
    this.data = init.data;
    this.dtype = init.dtype;
    this.shape = Object.freeze([...init.shape]);
    this.affine = Object.freeze([...(init.affine ?? identity4())]);
    this.scaling = init.scaling ?? { slope: 1, intercept: 0 };
    this.meta = init.meta ?? {};
  }

  get spacing(): [number, number, number] {
    return voxelSizes(this.affine);
  }

  /** nibabel's aff2axcodes of the affine, e.g. "RAS"; "???" when an axis has no direction. */
  get orientation(): string {
    try {
      return affineAxcodes(this.affine);
    } catch {
      return "???";
    }
  }

  get voxels(): number {
    return voxelCount(this.shape);
  }

  get isScaled(): boolean {
    return this.scaling.slope !== 1 || this.scaling.intercept !== 0;
  }

  /** Real-valued voxels (scaling applied) as float32; computed once. NaN stays NaN. */
  real(): Float32Array {
    if (this.#real) return this.#real;
    if (this.dtype === "rgb24") throw new Error("Volume.real: rgb24 volumes have no scalar values");
    const { slope, intercept } = this.scaling;
    const src = this.data;
    if (src instanceof Float32Array && slope === 1 && intercept === 0) {
      this.#real = src;
      return src;
    }
    const out = new Float32Array(src.length);
    if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]!) * slope + intercept;
    } else if (slope === 1 && intercept === 0) {
      out.set(src);
    } else {
      for (let i = 0; i < src.length; i++) out[i] = src[i]! * slope + intercept;
    }
    this.#real = out;
    return out;
  }

  /** A new volume sharing nothing mutable with this one, with some fields replaced. */
  with(changes: Partial<VolumeInit>): Volume {
    return new Volume({
      data: changes.data ?? this.data,
      dtype: changes.dtype ?? this.dtype,
      shape: changes.shape ?? this.shape,
      affine: changes.affine ?? this.affine,
      scaling: changes.scaling ?? this.scaling,
      meta: changes.meta ?? { ...this.meta },
    });
  }

  /** A float32 volume from real values with the given geometry. */
  static fromReal(data: Float32Array, shape: readonly number[], affine: Mat4, meta: VolumeMeta = {}): Volume {
    return new Volume({ data, dtype: "float32", shape, affine, meta });
  }
}

import type { DType, VoxelArray } from "../../volume/volume.js";

/** One NIfTI datatype code: how many bits a voxel takes and how medadapt stores it. */
export interface NiftiDatatype {
  readonly code: number;
  readonly dtype: DType;
  readonly bitpix: number;
  /** Bytes per element of the typed array (rgb24 is 3 uint8 elements per voxel). */
  readonly elementBytes: number;
  /** Elements per voxel. */
  readonly elementsPerVoxel: number;
}

/** The NIfTI datatype codes medadapt reads and writes (nifti1.h DT_*). */
export const DATATYPES: readonly NiftiDatatype[] = [
  { code: 2, dtype: "uint8", bitpix: 8, elementBytes: 1, elementsPerVoxel: 1 },
  { code: 4, dtype: "int16", bitpix: 16, elementBytes: 2, elementsPerVoxel: 1 },
  { code: 8, dtype: "int32", bitpix: 32, elementBytes: 4, elementsPerVoxel: 1 },
  { code: 16, dtype: "float32", bitpix: 32, elementBytes: 4, elementsPerVoxel: 1 },
  { code: 64, dtype: "float64", bitpix: 64, elementBytes: 8, elementsPerVoxel: 1 },
  { code: 128, dtype: "rgb24", bitpix: 24, elementBytes: 1, elementsPerVoxel: 3 },
  { code: 256, dtype: "int8", bitpix: 8, elementBytes: 1, elementsPerVoxel: 1 },
  { code: 512, dtype: "uint16", bitpix: 16, elementBytes: 2, elementsPerVoxel: 1 },
  { code: 768, dtype: "uint32", bitpix: 32, elementBytes: 4, elementsPerVoxel: 1 },
  { code: 1024, dtype: "int64", bitpix: 64, elementBytes: 8, elementsPerVoxel: 1 },
  { code: 1280, dtype: "uint64", bitpix: 64, elementBytes: 8, elementsPerVoxel: 1 },
];

/** Codes that are valid NIfTI but that medadapt refuses, with the reason given to the user. */
export const REFUSED_DATATYPES: ReadonlyMap<number, string> = new Map([
  [0, "datatype 0 (unknown)"],
  [1, "datatype 1 (binary, 1 bit per voxel) is not supported"],
  [32, "datatype 32 (complex64) is not supported"],
  [1536, "datatype 1536 (float128) is not supported"],
  [1792, "datatype 1792 (complex128) is not supported"],
  [2048, "datatype 2048 (complex256) is not supported"],
  [2304, "datatype 2304 (rgba32) is not supported"],
]);

export function datatypeByCode(code: number): NiftiDatatype | undefined {
  return DATATYPES.find((d) => d.code === code);
}

export function datatypeByDtype(dtype: DType): NiftiDatatype {
  const d = DATATYPES.find((t) => t.dtype === dtype);
  if (!d) throw new Error(`no NIfTI datatype for ${dtype}`);
  return d;
}

/** A typed array of the stored type viewing `length` elements of `buffer` from `byteOffset`. */
export function viewAs(dtype: DType, buffer: ArrayBuffer, byteOffset: number, length: number): VoxelArray {
  switch (dtype) {
    case "uint8":
    case "rgb24":
      return new Uint8Array(buffer, byteOffset, length);
    case "int8":
      return new Int8Array(buffer, byteOffset, length);
    case "int16":
      return new Int16Array(buffer, byteOffset, length);
    case "uint16":
      return new Uint16Array(buffer, byteOffset, length);
    case "int32":
      return new Int32Array(buffer, byteOffset, length);
    case "uint32":
      return new Uint32Array(buffer, byteOffset, length);
    case "int64":
      return new BigInt64Array(buffer, byteOffset, length);
    case "uint64":
      return new BigUint64Array(buffer, byteOffset, length);
    case "float32":
      return new Float32Array(buffer, byteOffset, length);
    case "float64":
      return new Float64Array(buffer, byteOffset, length);
  }
}

/** Reverses the byte order of every `width`-byte element of `bytes`, in place. */
export function swapInPlace(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  // Buffer.swap16/32/64 are native and far faster than a JS loop on large volumes.
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length - (bytes.length % width));
  if (width === 2) buf.swap16();
  else if (width === 4) buf.swap32();
  else if (width === 8) buf.swap64();
  else throw new Error(`swapInPlace: unsupported width ${width}`);
}
